// Maps whatever a handler throws to the envelope: deliberate HttpErrors keep their status,
// invalid input is 400, database errors follow PostgREST's SQLSTATE mapping, and anything
// else is a 500 that reveals nothing internal. zod is imported for its types only, so a
// function that validates by hand (orders-export, which runs near its memory budget) does not
// load it.
import type { z } from 'zod';
import { failure } from './envelope.ts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: HeadersInit = {},
  ) {
    super(message);
  }
}

export interface InputIssue {
  /** The field, dotted for nested ones ('' for the whole input). */
  path: string;
  message: string;
}

/** 400 INVALID_INPUT, listing what is wrong with each field. */
export function invalidInput(issues: InputIssue[]): HttpError {
  return new HttpError(400, 'INVALID_INPUT', 'The request is invalid.', issues);
}

/** The input as `schema` parses it, or invalidInput with zod's issues. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidInput(result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })));
}

/** The HTTP status PostgREST answers for a SQLSTATE (PostgREST src/PostgREST/Error.hs). */
export function httpStatusForSqlState(sqlState: string, authenticated: boolean): number {
  const exact: Record<string, number> = {
    '23503': 409,
    '23505': 409,
    '25006': 405,
    '53400': 500,
    '57P01': 503,
    P0001: 400,
    '42883': 404,
    '42P01': 404,
    '42P17': 500,
    '42501': authenticated ? 403 : 401,
  };
  if (sqlState in exact) return exact[sqlState];
  const custom = /^PT(\d{3})$/.exec(sqlState);
  if (custom) return Number(custom[1]);
  const byClass: Record<string, number> = {
    '08': 503, '09': 500, '0L': 403, '0P': 403, '25': 500, '28': 403, '2D': 500, '38': 500,
    '39': 500, '3B': 500, '40': 500, '53': 503, '54': 500, '55': 500, '57': 500, '58': 500,
    F0: 500, HV: 500, P0: 500, XX: 500,
  };
  return byClass[sqlState.slice(0, 2)] ?? 400;
}

function isPostgresError(error: unknown): error is Error & { code: string; detail?: string; hint?: string } {
  return error instanceof Error && error.name === 'PostgresError' && typeof (error as { code?: unknown }).code === 'string';
}

export function errorResponse(error: unknown, log: (entry: Record<string, unknown>) => void): Response {
  if (error instanceof HttpError) {
    return failure(error.status, error.code, error.message, error.details, error.headers);
  }
  if (isPostgresError(error)) {
    const status = httpStatusForSqlState(error.code, true);
    if (status < 500) return failure(status, `DB_${error.code}`, error.message, error.detail ?? undefined);
    log({ level: 'error', event: 'database_error', code: error.code, message: error.message, stack: error.stack });
    return failure(status, status === 503 ? 'DATABASE_UNAVAILABLE' : 'INTERNAL', 'The database could not complete the request.');
  }
  log({
    level: 'error',
    event: 'unhandled_error',
    message: String((error as Error)?.message ?? error),
    stack: error instanceof Error ? error.stack : undefined,
  });
  return failure(500, 'INTERNAL', 'Something went wrong.');
}
