// The response envelope every function answers with (ARCHITECTURE.md, "Edge function contract").
import { corsHeaders } from './cors.ts';

export type SuccessEnvelope<T> = { status: 'success'; message: string; data: T };
export type ErrorEnvelope = { status: 'error'; message: string; code: string; details?: unknown };

const jsonHeaders = { ...corsHeaders, 'content-type': 'application/json; charset=utf-8' };

export function success<T>(data: T, message = 'OK', status = 200, headers: HeadersInit = {}): Response {
  const body: SuccessEnvelope<T> = { status: 'success', message, data };
  return new Response(JSON.stringify(body), { status, headers: { ...jsonHeaders, ...headers } });
}

export function failure(
  status: number,
  code: string,
  message: string,
  details?: unknown,
  headers: HeadersInit = {},
): Response {
  const body: ErrorEnvelope = { status: 'error', message, code, ...(details === undefined ? {} : { details }) };
  return new Response(JSON.stringify(body), { status, headers: { ...jsonHeaders, ...headers } });
}
