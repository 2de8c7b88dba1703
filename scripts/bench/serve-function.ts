// Serves one edge function in its own Deno process, as the local stack does, so that a
// benchmark can call it directly and read that process's memory from /proc.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startWorker, WORKER_MEMORY_LIMIT_MB } from '../lib/functions-server.ts';
import { ROOT } from '../lib/local-platform.ts';

export interface ServedFunction {
  url: string;
  pid: number;
  /** Peak and current resident memory of the function's process, in MiB (VmHWM, VmRSS). */
  memory(): Promise<{ peakMiB: number; currentMiB: number }>;
  stop(): Promise<void>;
}

/** `memoryLimitMb`: the worker's heap limit as the local stack sets it, or null for V8's own sizing. */
export async function serveFunction(
  name: string,
  env: Record<string, string>,
  memoryLimitMb: number | null = WORKER_MEMORY_LIMIT_MB,
): Promise<ServedFunction> {
  const entrypoint = path.join(ROOT, 'functions', name, 'index.ts');
  // The function's per-request log lines would drown the benchmark's table; failures show in its answers.
  const worker = await startWorker({ name, verifyJwt: false, entrypoint }, env, () => {}, memoryLimitMb);
  return {
    url: `http://127.0.0.1:${worker.port}/${name}`,
    pid: worker.child.pid!,
    async memory() {
      const status = await readFile(`/proc/${worker.child.pid}/status`, 'utf8');
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
      return { peakMiB: kib('VmHWM') / 1024, currentMiB: kib('VmRSS') / 1024 };
    },
    async stop() {
      worker.child.kill('SIGTERM');
      await worker.exited;
    },
  };
}
