// Serves every edge function the way Supabase's edge runtime does locally: one Deno process
// per function behind a gateway on /functions/v1/<name>, which enforces verify_jwt (HS256,
// the project's JWT secret) and passes OPTIONS preflights through unauthenticated, so each
// function answers CORS itself as it must on a hosted project.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { jwtVerify } from 'jose';
import { JWT_SECRET, ROOT } from './local-platform.ts';
import { functionConfigs, type FunctionConfig } from './project-config.ts';

const DENO = path.join(ROOT, 'node_modules', '.bin', 'deno');

/**
 * Hosted functions run in isolates limited to 256 MB (supabase/cli
 * internal/functions/serve/templates/main.ts `memoryLimitMb`; docs guides/functions/limits).
 * The same V8 heap limit here makes garbage collection behave as it does there.
 */
export const WORKER_MEMORY_LIMIT_MB = 256;

/** `deno run` as the local stack runs a function; `memoryLimitMb: null` leaves V8's own sizing. */
function denoRunArgs(entrypoint: string, memoryLimitMb: number | null = WORKER_MEMORY_LIMIT_MB): string[] {
  return [
    'run', '--quiet', '--no-prompt',
    ...(memoryLimitMb === null ? [] : [`--v8-flags=--max-heap-size=${memoryLimitMb}`]),
    '--allow-net', '--allow-env', '--allow-read', '--allow-sys', entrypoint,
  ];
}
const secretKey = new TextEncoder().encode(JWT_SECRET);

export interface FunctionsServerOptions {
  /** The gateway's port; 0 takes any free one, bound before the functions start. */
  port: number;
  /**
   * Environment of every function: Supabase's variables plus the project's secrets. Given the
   * bound port, since SUPABASE_URL names it.
   */
  env: Record<string, string> | ((port: number) => Promise<Record<string, string>>);
  /** Functions served besides those in functions/ (test fixtures). */
  extraFunctions?: FunctionConfig[];
  /** Takes the HTTP upgrades it recognises (the Realtime WebSocket); false leaves them refused. */
  onUpgrade?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => boolean;
  log?: (line: string) => void;
}

export interface FunctionsServer {
  url: string;
  stop(): Promise<void>;
}

export interface Worker {
  config: FunctionConfig;
  port: number;
  child: ChildProcess;
  exited: Promise<void>;
}

const STARTUP_MS = 30_000;

/**
 * Starts one function in its own Deno process on a port it picks itself (PORT=0) and reports
 * (functions/_shared/http.ts): a port chosen here could be taken by another process before
 * Deno binds it, and a probe would then find the wrong server answering.
 */
export async function startWorker(
  config: FunctionConfig,
  env: Record<string, string>,
  log: (line: string) => void,
  memoryLimitMb: number | null = WORKER_MEMORY_LIMIT_MB,
): Promise<Worker> {
  const child = spawn(
    DENO,
    denoRunArgs(config.entrypoint, memoryLimitMb),
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: '0', DENO_NO_UPDATE_CHECK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`it did not listen within ${STARTUP_MS} ms`)), STARTUP_MS);
    void exited.then(() => (clearTimeout(timer), reject(new Error('it exited'))));
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        output = (output + chunk).slice(-4000);
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line.trim()) continue;
          const announced = /^\{"event":"listening","port":(\d+)\}$/.exec(line.trim());
          if (announced) {
            clearTimeout(timer);
            resolve(Number(announced[1]));
          } else {
            log(`[${config.name}] ${line}`);
          }
        }
      });
    }
  });
  try {
    return { config, port: await listening, child, exited };
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`function ${config.name} did not start: ${(error as Error).message}\n${output}`);
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Supabase's gate: a Bearer JWT signed with the project's secret and not expired. */
async function verifyJwtHeader(header: string | undefined): Promise<string | null> {
  if (!header) return 'Missing authorization header';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return 'Invalid JWT';
  try {
    await jwtVerify(match[1], secretKey, { algorithms: ['HS256'] });
    return null;
  } catch {
    return 'Invalid JWT';
  }
}

export async function startFunctionsServer(options: FunctionsServerOptions): Promise<FunctionsServer> {
  const log = options.log ?? (() => {});
  const workers = new Map<string, Worker>();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/functions\/v1\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const worker = match ? workers.get(match[1]) : undefined;
    if (!match || !worker) return json(res, 404, { code: 'NOT_FOUND', message: 'Requested function was not found' });
    if (req.method !== 'OPTIONS' && worker.config.verifyJwt) {
      const problem = await verifyJwtHeader(req.headers.authorization);
      if (problem) return json(res, 401, { msg: problem });
    }
    // As on Supabase, the function sees its own name as the first path segment.
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: worker.port,
        method: req.method,
        path: `/${match[1]}${match[2] ?? ''}${url.search}`,
        headers: { ...req.headers, host: `127.0.0.1:${worker.port}` },
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) json(res, 502, { code: 'BOOT_ERROR', message: `Function ${match[1]} failed: ${error.message}` });
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    if (!options.onUpgrade?.(req, socket, head)) socket.destroy();
  });
  // Bound first, so the port the functions are told is the one this server holds.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const stopWorkers = () => Promise.all([...workers.values()].map((w) => (w.child.kill('SIGTERM'), w.exited)));
  try {
    const env = typeof options.env === 'function' ? await options.env(port) : options.env;
    await Promise.all([...functionConfigs(), ...(options.extraFunctions ?? [])].map(async (config) => {
      workers.set(config.name, await startWorker(config, env, log));
    }));
  } catch (error) {
    await stopWorkers();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }

  return {
    url: `http://127.0.0.1:${port}/functions/v1`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stopWorkers();
    },
  };
}
