// The endpoints of orders-export, for docs/openapi.json. Its query string is checked by hand
// (filters.ts: no zod in the export, for memory); the parameters here come from the same lists.
import { type Endpoint, type Parameter, uuid } from '../_shared/api.ts';
import { ORDER_STATUSES, PARAMETERS } from './filters.ts';

const filters: Record<string, Omit<Parameter, 'name' | 'in'>> = {
  business_id: { description: 'The business whose orders to export (needs orders.export in it). Required unless job_id is given.', schema: uuid },
  from: { description: 'Orders created at or after: a date (2026-11-01) or an ISO 8601 timestamp.', schema: { type: 'string' } },
  to: { description: 'Orders created before: a timestamp, or a date (that whole day included).', schema: { type: 'string' } },
  status: { description: 'Only orders in this status.', schema: { type: 'string', enum: [...ORDER_STATUSES] } },
  order_id: { description: 'Only this order.', schema: uuid },
};

const job = {
  type: 'object',
  properties: {
    job_id: uuid,
    status: { type: 'string', enum: ['running', 'succeeded', 'failed'] },
    line_count: { type: ['integer', 'null'] },
    error: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    completed_at: { type: ['string', 'null'], format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time' },
    download_url: { type: ['string', 'null'], format: 'uri', description: 'The first file\'s signed URL.' },
    files: {
      type: 'array',
      description: 'The export as gzipped CSV: one file, or parts within the storage upload limit, each a complete CSV.',
      items: { type: 'object', properties: { name: { type: 'string' }, url: { type: 'string', format: 'uri' } } },
    },
  },
};

export const endpoints: Endpoint[] = [
  {
    method: 'get',
    path: '/orders-export',
    summary: 'A business\'s order lines as CSV, or (with job_id) the state of a large export',
    description: 'Small exports stream as CSV (200). Larger ones (above EXPORT_INLINE_MAX_LINES) run as a job (202, Location: ' +
      'orders-export?job_id=…); poll with `job_id` alone for its state and signed download URLs.',
    caller: 'user',
    parameters: [
      ...PARAMETERS.map((name): Parameter => ({ name, in: 'query', ...filters[name] })),
      { name: 'job_id', in: 'query', description: 'Instead of the filters: the job to report on.', schema: uuid },
    ],
    responses: {
      200: {
        description: 'The CSV (RFC 4180, UTF-8 with BOM); or, with job_id, the job.',
        content: { 'text/csv': { schema: { type: 'string' } } },
        data: job,
      },
      202: {
        description: 'The export is large: it runs as a job.',
        data: { type: 'object', properties: { job_id: uuid, status: { const: 'running' }, file_name: { type: 'string' }, at_least_lines: { type: 'integer' } } },
      },
    },
  },
  {
    method: 'post',
    path: '/orders-export/cleanup',
    summary: 'Remove export files older than 7 days and fail jobs that died (scheduled hourly)',
    caller: 'service_role',
    responses: {
      200: { description: 'Done.', data: { type: 'object', properties: { removed: { type: 'integer' }, stale_jobs_failed: { type: 'integer' } } } },
    },
  },
];
