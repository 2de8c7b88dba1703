// Starts a throwaway local stack (Postgres, platform, migrations, seed, pg_net worker, the API
// gateway with PostgREST at /rest/v1 and Realtime at /realtime/v1) on free ports for the whole
// test run and removes it afterwards, whatever the tests did.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { onFreePort } from '../../scripts/lib/postgres-cluster.ts';
import { startStack, type Stack } from '../../scripts/lib/stack.ts';

export interface ProvidedStack {
  dbPort: number;
  /** The API gateway: PostgREST at /rest/v1 (no functions: tests start those on demand). */
  apiUrl: string;
  /** The local Realtime server, as supabase-js names it (`ws://…/realtime/v1`). */
  realtimeUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: ProvidedStack;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sokoni-test-'));
  // As root, Postgres runs as the OS user `postgres`, which must reach the data folder.
  await chmod(dir, 0o755);
  let stack: Stack | null = null;
  const teardown = async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // A port found free can be taken before Postgres binds it: then again on another port, in a
    // new data folder (the seed is applied only to a new cluster).
    stack = await onFreePort((dbPort, attempt) => startStack({
      dataDir: path.join(dir, `db-${attempt}`),
      dbPort,
      apiPort: 0,
      durable: false,
      functions: false,
    }));
  } catch (error) {
    await teardown();
    throw error;
  }
  project.provide('stack', { dbPort: stack.dbPort, apiUrl: stack.apiUrl, realtimeUrl: stack.realtimeUrl });
  return teardown;
}
