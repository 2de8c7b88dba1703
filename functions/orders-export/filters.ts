// The query string of GET /functions/v1/orders-export, validated. Pure.
import { z } from 'zod';

const ORDER_STATUSES = ['pending_payment', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded'] as const;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A date (whole day, UTC) or an ISO 8601 timestamp with its offset. */
const instant = z.string().refine(
  (value) => (DATE_ONLY.test(value) || /^\d{4}-\d{2}-\d{2}T/.test(value)) && !Number.isNaN(Date.parse(value)),
  'Use a date (2026-11-24) or an ISO 8601 timestamp (2026-11-24T08:00:00Z).',
);

export const exportQuery = z.object({
  business_id: z.uuid('business_id must be a UUID.'),
  from: instant.optional(),
  to: instant.optional(),
  status: z.enum(ORDER_STATUSES).optional(),
  order_id: z.uuid('order_id must be a UUID.').optional(),
}).strict();

export interface ExportFilters {
  businessId: string;
  /** Inclusive lower bound on the order's creation time. */
  from: string | null;
  /** Exclusive upper bound: a date `to` includes that whole day. */
  to: string | null;
  status: (typeof ORDER_STATUSES)[number] | null;
  orderId: string | null;
}

function startOfNextDay(date: string): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString();
}

export function parseExportQuery(params: URLSearchParams): ExportFilters {
  const entries: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in entries) throw new z.ZodError([{ code: 'custom', path: [key], message: `${key} is given more than once.`, input: value }]);
    entries[key] = value;
  }
  const query = exportQuery.parse(entries);
  const from = query.from ? new Date(DATE_ONLY.test(query.from) ? `${query.from}T00:00:00Z` : query.from).toISOString() : null;
  const to = query.to ? (DATE_ONLY.test(query.to) ? startOfNextDay(query.to) : new Date(query.to).toISOString()) : null;
  if (from && to && from >= to) {
    throw new z.ZodError([{ code: 'custom', path: ['to'], message: 'to must be after from.', input: query.to }]);
  }
  return { businessId: query.business_id, from, to, status: query.status ?? null, orderId: query.order_id ?? null };
}

/** A file name that says what is inside: orders-<business>-<range or status>-<today>.csv */
export function exportFileName(slug: string, filters: ExportFilters, today: Date): string {
  const parts = ['orders', slug.replace(/[^a-z0-9-]/gi, '').slice(0, 60) || 'business'];
  if (filters.orderId) parts.push(filters.orderId.slice(0, 8));
  if (filters.from) parts.push(`from-${filters.from.slice(0, 10)}`);
  if (filters.to) parts.push(`until-${filters.to.slice(0, 10)}`);
  if (filters.status) parts.push(filters.status.replace('_', '-'));
  parts.push(today.toISOString().slice(0, 10));
  return `${parts.join('-')}.csv`;
}
