// docs/openapi.json, generated: every edge function's endpoints as each describes them in its
// api.ts (request bodies from its own zod schemas), the response envelope, and the error codes
// each can answer, read from its source (`new HttpError(<status>, '<CODE>'`) and from the
// shared helpers it calls. `npm run gen:openapi` writes it; tests/quality/openapi.test.ts
// checks that the committed file is current.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Endpoint, JsonSchema } from '../../functions/_shared/api.ts';
import { ROOT } from './local-platform.ts';
import { functionConfigs } from './project-config.ts';

export const OPENAPI_FILE = path.join(ROOT, 'docs', 'openapi.json');

/** Error codes a function answers because it calls a shared helper. */
const SHARED_ERRORS: Array<{ calls: RegExp; status: number; code: string }> = [
  { calls: /\bcallerOf\(/, status: 401, code: 'UNAUTHORIZED' },
  { calls: /\brequireUser\(/, status: 401, code: 'SIGN_IN_REQUIRED' },
  { calls: /\brequireServiceRole\(/, status: 403, code: 'FORBIDDEN' },
  { calls: /\b(readJsonBody|parseJson)\(/, status: 400, code: 'INVALID_JSON' },
  { calls: /\b(readJsonBody|parseInput|invalidInput)\(/, status: 400, code: 'INVALID_INPUT' },
  { calls: /\bidempotencyKey(Of|Header)\(/, status: 400, code: 'INVALID_IDEMPOTENCY_KEY' },
  // Every function: errorResponse (functions/_shared/errors.ts).
  { calls: /\bhandle\(/, status: 500, code: 'INTERNAL' },
  { calls: /\bhandle\(/, status: 503, code: 'DATABASE_UNAVAILABLE' },
];

function sourcesOf(name: string): string {
  const dir = path.join(ROOT, 'functions', name);
  return readdirSync(dir).filter((file) => file.endsWith('.ts') && file !== 'api.ts')
    .sort().map((file) => readFileSync(path.join(dir, file), 'utf8')).join('\n');
}

/** status → codes, sorted. */
export function errorCodesOf(name: string): Map<number, string[]> {
  const source = sourcesOf(name);
  const found = new Map<number, Set<string>>();
  const add = (status: number, code: string) => found.set(status, (found.get(status) ?? new Set()).add(code));
  for (const match of source.matchAll(/new HttpError\(\s*(\d{3}),\s*'([A-Z_]+)'/g)) add(Number(match[1]), match[2]);
  for (const shared of SHARED_ERRORS) if (shared.calls.test(source)) add(shared.status, shared.code);
  return new Map([...found.entries()].sort(([a], [b]) => a - b).map(([status, codes]) => [status, [...codes].sort()]));
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request: the input is invalid (nothing changed).',
  401: 'No valid user access token.',
  403: 'Not allowed.',
  404: 'Not found (or not visible to the caller).',
  405: 'Method not allowed.',
  409: 'Conflict with the current state.',
  410: 'Gone.',
  422: 'A business rule refused it.',
  429: 'Too many requests (Retry-After says when to try again).',
  500: 'Internal error (nothing internal is revealed).',
  502: 'An upstream service failed.',
  503: 'Unavailable or not configured (Retry-After when it is temporary).',
};

const SECURITY: Record<Endpoint['caller'], Array<Record<string, string[]>>> = {
  user: [{ userToken: [] }],
  service_role: [{ serviceRoleKey: [] }],
  public: [],
  stripe: [],
  clickpesa: [],
  mpesa: [],
};

const CALLER_TEXT: Record<Endpoint['caller'], string> = {
  user: 'Caller: a signed-in user (anonymous sign-ins included), with their access token.',
  service_role: 'Caller: the service role key only (the database, schedulers, operators).',
  public: 'Caller: anyone; no token needed.',
  stripe: 'Caller: Stripe, proven by the Stripe-Signature header.',
  clickpesa: 'Caller: ClickPesa, proven by the checksum in the body (and the payment confirmed with ClickPesa\'s status endpoint).',
  mpesa: 'Caller: Safaricom Daraja, proven only by the secret token in the path (and the payment confirmed with the STK status query).',
};

function bodySchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as JsonSchema;
  return json;
}

function operation(name: string, endpoint: Endpoint, verifyJwt: boolean) {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(endpoint.responses)) {
    const content: Record<string, unknown> = {};
    if (response.data) {
      content['application/json'] = {
        schema: { allOf: [{ $ref: '#/components/schemas/Success' }, { type: 'object', properties: { data: response.data } }] },
      };
    }
    Object.assign(content, response.content ?? {});
    responses[status] = { description: response.description, content };
  }
  for (const [status, codes] of errorCodesOf(name)) {
    responses[String(status)] = {
      description: `${STATUS_TEXT[status] ?? 'Error.'} Codes: ${codes.join(', ')}.`,
      content: {
        'application/json': {
          schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { type: 'object', properties: { code: { type: 'string', enum: codes } } }] },
        },
      },
    };
  }
  if (verifyJwt) {
    responses['401'] ??= {
      description: 'The gateway refused the request: no valid project JWT (verify_jwt).',
      content: { 'application/json': { schema: { type: 'object', properties: { msg: { const: 'Invalid JWT' } } } } },
    };
  }
  return {
    operationId: `${endpoint.method}${endpoint.path.split(/[/-]/).filter(Boolean).map((part) => part[0].toUpperCase() + part.slice(1)).join('')}`,
    tags: [name],
    summary: endpoint.summary,
    description: [endpoint.description, CALLER_TEXT[endpoint.caller],
      verifyJwt ? 'The gateway checks the JWT first (verify_jwt = true).' : 'verify_jwt = false: the gateway lets every request through.']
      .filter(Boolean).join('\n\n'),
    security: SECURITY[endpoint.caller],
    ...(endpoint.parameters ? { parameters: endpoint.parameters } : {}),
    ...(endpoint.body
      ? {
        requestBody: {
          required: endpoint.body.required,
          ...(endpoint.body.description ? { description: endpoint.body.description } : {}),
          content: { 'application/json': { schema: bodySchema(endpoint.body.schema) } },
        },
      }
      : {}),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** The document, as text (what docs/openapi.json must hold). */
export async function buildOpenApi(): Promise<string> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const fn of functionConfigs()) {
    const described = path.join(ROOT, 'functions', fn.name, 'api.ts');
    const { endpoints } = await import(described) as { endpoints: Endpoint[] };
    for (const endpoint of endpoints) {
      paths[endpoint.path] = { ...paths[endpoint.path], [endpoint.method]: operation(fn.name, endpoint, fn.verifyJwt) };
    }
  }
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'Sokoni edge functions',
      version: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
      description: 'The edge functions of the Sokoni marketplace backend. Tables, views and RPCs are served by PostgREST, ' +
        'which describes them itself at /rest/v1/ (OpenAPI 2.0). Generated by `npm run gen:openapi`; do not edit.',
    },
    servers: [
      { url: 'http://127.0.0.1:54321/functions/v1', description: 'the local stack (npm start)' },
      { url: 'https://{project_ref}.supabase.co/functions/v1', description: 'a hosted project', variables: { project_ref: { default: 'your-project-ref' } } },
    ],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: {
        userToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A user\'s access token from Supabase Auth (supabase-js sends it).' },
        serviceRoleKey: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The project\'s service_role key. Never in a browser.' },
      },
      schemas: {
        Success: {
          type: 'object',
          required: ['status', 'message', 'data'],
          properties: { status: { const: 'success' }, message: { type: 'string' }, data: {} },
        },
        Error: {
          type: 'object',
          required: ['status', 'message', 'code'],
          properties: {
            status: { const: 'error' },
            message: { type: 'string', description: 'For people.' },
            code: { type: 'string', description: 'For programs: stable, UPPER_SNAKE_CASE. DB_<SQLSTATE> for a database refusal.' },
            details: { description: 'More about the error: for INVALID_INPUT, [{path, message}] per field.' },
          },
        },
      },
    },
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
