// The wrapper every handler goes through, and the local/hosted serve entry.
import { preflight } from './cors.ts';
import { errorResponse } from './errors.ts';
import { envText } from './env.ts';
import { type Logger, requestIdOf, withRequestId } from './log.ts';

export type Handler = (req: Request) => Promise<Response>;

/**
 * Answers CORS preflights, turns thrown errors into the envelope, logs each request; every line
 * logged while serving it carries its request id (log.ts).
 */
export function handle(log: Logger, handler: Handler): Handler {
  return (req) => withRequestId(requestIdOf(req), () => served(log, handler, req));
}

async function served(log: Logger, handler: Handler, req: Request): Promise<Response> {
  if (req.method === 'OPTIONS') return preflight();
  const started = performance.now();
  let response: Response;
  try {
    response = await handler(req);
  } catch (error) {
    response = errorResponse(error, log);
  }
  log({
    event: 'request',
    method: req.method,
    path: new URL(req.url).pathname,
    status: response.status,
    ms: Math.round(performance.now() - started),
  });
  return response;
}

/**
 * Deno.serve on hosted Supabase. Locally the stack sets PORT (0: any free port) and learns the
 * port from the first line the function prints, so no other process can take it in between.
 */
export function serve(handler: Handler): void {
  const port = envText('PORT');
  Deno.serve(
    port
      ? { port: Number(port), hostname: '127.0.0.1', onListen: ({ port }) => console.log(JSON.stringify({ event: 'listening', port })) }
      : {},
    handler,
  );
}
