// One JSON object per line, as the edge runtime's log drain expects, each carrying the id of
// the request it belongs to: Supabase's own `sb-request-id` when the platform sent one, else
// one made here. The id follows the request's async work (AsyncLocalStorage), background jobs
// and streamed replies included.
import { AsyncLocalStorage } from 'node:async_hooks';

export type Logger = (entry: Record<string, unknown>) => void;

const requestContext = new AsyncLocalStorage<{ requestId: string }>();

/** The header Supabase's API gateway gives every request. */
export const REQUEST_ID_HEADER = 'sb-request-id';

export function requestIdOf(req: Request): string {
  const given = req.headers.get(REQUEST_ID_HEADER)?.trim();
  return given && given.length <= 200 ? given : crypto.randomUUID();
}

/** Runs `work` (and all it starts) as part of the request `requestId`. */
export function withRequestId<T>(requestId: string, work: () => T): T {
  return requestContext.run({ requestId }, work);
}

export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

export function jsonLogger(fn: string): Logger {
  return (entry) => {
    const requestId = currentRequestId();
    console.log(JSON.stringify({ time: new Date().toISOString(), fn, ...(requestId ? { request_id: requestId } : {}), ...entry }));
  };
}
