// Serves one edge function in its own Deno process, as the local stack does, so that a
// benchmark can call it directly and read that process's memory from /proc.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../lib/local-platform.ts';
import { freePort, waitForPort } from '../lib/ports.ts';

export interface ServedFunction {
  url: string;
  pid: number;
  /** Peak and current resident memory of the function's process, in MiB (VmHWM, VmRSS). */
  memory(): Promise<{ peakMiB: number; currentMiB: number }>;
  stop(): Promise<void>;
}

/** `v8Flags` (comma-separated, as DENO_V8_FLAGS takes them) e.g. caps the heap like a memory-limited isolate. */
export async function serveFunction(name: string, env: Record<string, string>, v8Flags?: string): Promise<ServedFunction> {
  const port = await freePort();
  const child = spawn(
    path.join(ROOT, 'node_modules', '.bin', 'deno'),
    ['run', '--quiet', '--no-prompt', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', path.join(ROOT, 'functions', name, 'index.ts')],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port), DENO_NO_UPDATE_CHECK: '1', ...(v8Flags ? { DENO_V8_FLAGS: v8Flags } : {}) }, stdio: ['ignore', 'ignore', 'inherit'] },
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
