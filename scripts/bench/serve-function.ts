// Serves one edge function in its own Deno process, as the local stack does, so that a
// benchmark can call it directly and read that process's memory from /proc.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../lib/local-platform.ts';
import { DENO, denoRunArgs, WORKER_MEMORY_LIMIT_MB } from '../lib/functions-server.ts';
import { freePort, waitForPort } from '../lib/ports.ts';

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
  const port = await freePort();
  const child = spawn(
    DENO,
    denoRunArgs(path.join(ROOT, 'functions', name, 'index.ts'), memoryLimitMb),
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port), DENO_NO_UPDATE_CHECK: '1' }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let dead = false;
  void exited.then(() => (dead = true));
  await waitForPort(port, 30_000, () => dead);
  return {
    url: `http://127.0.0.1:${port}/${name}`,
    pid: child.pid!,
    async memory() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
      return { peakMiB: kib('VmHWM') / 1024, currentMiB: kib('VmRSS') / 1024 };
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
