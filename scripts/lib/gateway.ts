// The API gateway on the API port (54321), the local stand-in of Supabase's Kong: one HTTP
// server, a table of path prefixes each served by its own route. Routes are looked up per
// request, so a server started after the gateway (the functions, which need the gateway's port
// first) is mounted by setting its entry.
//
// mirrors: supabase/cli internal/start/templates/kong.yml (services rest-v1, auth-v1,
// storage-v1, realtime-v1, functions-v1, each `strip_path: true` under its prefix).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface Route {
  /** `rest` is the path after the prefix (always starting with `/`) with the query string. */
  request(req: http.IncomingMessage, res: http.ServerResponse, rest: string): void | Promise<void>;
  /** WebSocket upgrades; without it the gateway refuses them (400). */
  upgrade?(req: http.IncomingMessage, socket: Duplex, head: Buffer, rest: string): void;
}

export interface Gateway {
  url: string;
  port: number;
  /** Path prefix (`/rest/v1`) → route; an entry may be set or replaced at any time. */
  routes: Map<string, Route>;
  stop(): Promise<void>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Answers a WebSocket upgrade request with a plain HTTP error and closes the connection. */
export function refuseUpgrade(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}

/** The route whose prefix is the longest one the path starts with (followed by `/` or the end). */
function findRoute(routes: Map<string, Route>, url: string): { route: Route; rest: string } | null {
  const [pathname, query = ''] = url.split(/\?(.*)/s);
  let best: string | null = null;
  for (const prefix of routes.keys()) {
    if ((pathname === prefix || pathname.startsWith(`${prefix}/`)) && (best === null || prefix.length > best.length)) {
      best = prefix;
    }
  }
  if (best === null) return null;
  const rest = pathname.slice(best.length) || '/';
  return { route: routes.get(best)!, rest: query ? `${rest}?${query}` : rest };
}

/** Kong's answer when no route matches. */
const NO_ROUTE = { message: 'no Route matched with those values' };

export async function startGateway(options: { port: number; routes?: Iterable<[string, Route]> }): Promise<Gateway> {
  const routes = new Map(options.routes ?? []);
  const server = http.createServer((req, res) => {
    const found = findRoute(routes, req.url ?? '/');
    if (!found) return sendJson(res, 404, NO_ROUTE);
    Promise.resolve(found.route.request(req, res, found.rest)).catch((error) => {
      if (!res.headersSent) sendJson(res, 502, { message: `An invalid response was received from the upstream server: ${(error as Error).message}` });
      else res.destroy();
    });
  });
  server.on('upgrade', (req, socket: Socket, head) => {
    const found = findRoute(routes, req.url ?? '/');
    if (found?.route.upgrade) return found.route.upgrade(req, socket, head, found.rest);
    if (!found) return refuseUpgrade(socket, 404, NO_ROUTE);
    refuseUpgrade(socket, 400, { message: 'This path does not accept WebSocket connections' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    routes,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A service `npm start` does not run: 501 in the JSON shape of that service's own errors, naming
 * what is served locally and where the rest runs.
 */
export function notServedLocally(service: 'auth' | 'storage'): Route {
  const message =
    `The ${SERVICE_NAMES[service]} is not part of the Docker-free local stack (npm start), which serves ` +
    'the database API at /rest/v1, Realtime at /realtime/v1 and edge functions at /functions/v1; ' +
    '`npx supabase start` runs ' +
    'the full platform where Docker is available.' +
    (service === 'auth' ? ' For a signed-in user\'s access token locally, run `npm run token` (see README).' : '');
  const body = ERROR_SHAPES[service](message);
  return {
    request: (_req, res) => sendJson(res, 501, body),
    upgrade: (_req, socket) => refuseUpgrade(socket, 501, body),
  };
}

const SERVICE_NAMES = { auth: 'Auth server (GoTrue)', storage: 'Storage API' } as const;

/** Error bodies as each server writes them. */
const ERROR_SHAPES: Record<'auth' | 'storage', (message: string) => unknown> = {
  // GoTrue's HTTPError: {code, error_code, msg}.
  auth: (msg) => ({ code: 501, error_code: 'not_implemented', msg }),
  // Storage API's error: statusCode as a string, a code, error and message.
  storage: (message) => ({ statusCode: '501', code: 'NotImplemented', error: 'Not Implemented', message }),
};

export type Upstream = { socketPath: string } | { host: string; port: number };

/** Streams the request to the upstream and its answer back, status and headers unchanged. */
export function proxy(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  upstream: Upstream,
  path: string,
  headers: http.IncomingHttpHeaders,
  onError: (error: Error) => void,
): void {
  const forward = http.request({ ...upstream, method: req.method, path, headers }, (upstreamRes) => {
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
    upstreamRes.pipe(res);
  });
  forward.on('error', (error) => {
    if (!res.headersSent) onError(error);
    else res.destroy();
  });
  res.on('close', () => forward.destroy());
  req.pipe(forward);
}

/** Kong's cors plugin (default config, as in kong.yml): answers preflights before any key check. */
export function answerPreflight(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.method !== 'OPTIONS' || !req.headers.origin || !req.headers['access-control-request-method']) return false;
  res.writeHead(200, {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT',
    ...(req.headers['access-control-request-headers']
      ? { 'access-control-allow-headers': req.headers['access-control-request-headers'] }
      : {}),
    'content-length': '0',
  });
  res.end();
  return true;
}
