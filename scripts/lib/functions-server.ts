// Serves every edge function the way Supabase's edge runtime does locally: one Deno process
// per function behind the API gateway's /functions/v1/<name> route, which enforces verify_jwt
// (HS256, the project's JWT secret) and passes OPTIONS preflights through unauthenticated, so
// each function answers CORS itself as it must on a hosted project.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { jwtVerify } from 'jose';
import { JWT_SECRET, ROOT } from './local-platform.ts';
import { proxy, sendJson, startGateway, type Route } from './gateway.ts';
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

/** /functions/v1/<name>[/…] → that function's worker, behind verify_jwt. */
export function functionsRoute(workers: Map<string, Worker>): Route {
  return {
    async request(req, res, rest) {
      const match = /^\/([^/?]+)([^?]*)(\?.*)?$/.exec(rest);
      const worker = match ? workers.get(match[1]) : undefined;
      if (!match || !worker) return sendJson(res, 404, { code: 'NOT_FOUND', message: 'Requested function was not found' });
      if (req.method !== 'OPTIONS' && worker.config.verifyJwt) {
        const problem = await verifyJwtHeader(req.headers.authorization);
        if (problem) return sendJson(res, 401, { msg: problem });
      }
      // As on Supabase, the function sees its own name as the first path segment.
      proxy(
        req,
        res,
        { host: '127.0.0.1', port: worker.port },
        `/${match[1]}${match[2]}${match[3] ?? ''}`,
        { ...req.headers, host: `127.0.0.1:${worker.port}` },
        (error) => sendJson(res, 502, { code: 'BOOT_ERROR', message: `Function ${match[1]} failed: ${error.message}` }),
      );
    },
  };
}

export interface FunctionWorkers {
  workers: Map<string, Worker>;
  stop(): Promise<void>;
}

/** One worker per function, started side by side; none left running if one fails. */
export async function startFunctionWorkers(
  configs: FunctionConfig[],
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<FunctionWorkers> {
  const workers = new Map<string, Worker>();
  const stop = async () => {
    await Promise.all([...workers.values()].map((w) => (w.child.kill('SIGTERM'), w.exited)));
  };
  const started = await Promise.allSettled(configs.map(async (config) => {
    workers.set(config.name, await startWorker(config, env, log));
  }));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { workers, stop };
}

/**
 * The functions behind a gateway of their own (tests, benchmarks); `npm start` mounts
 * functionsRoute on the stack's gateway instead.
 */
export async function startFunctionsServer(options: FunctionsServerOptions): Promise<FunctionsServer> {
  const log = options.log ?? (() => {});
  // Bound first, so the port the functions are told is the one this server holds.
  const gateway = await startGateway({ port: options.port });
  try {
    const env = typeof options.env === 'function' ? await options.env(gateway.port) : options.env;
    const functions = await startFunctionWorkers([...functionConfigs(), ...(options.extraFunctions ?? [])], env, log);
    gateway.routes.set('/functions/v1', functionsRoute(functions.workers));
    return {
      url: `${gateway.url}/functions/v1`,
      async stop() {
        await gateway.stop();
        await functions.stop();
      },
    };
  } catch (error) {
    await gateway.stop();
    throw error;
  }
}
