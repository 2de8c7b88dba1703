// A throwaway cluster with the platform bootstrap and the project's migrations (no seed), on a
// free port, removed on stop: for benchmarks and for the CLI gates (advisors, type
// generation), which must see exactly what the migrations build and nothing a test added.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { applyMigrations, applyPlatform } from './database-setup.ts';
import { databaseUrl } from './local-platform.ts';
import { startCluster } from './postgres-cluster.ts';

export interface ScratchDatabase {
  port: number;
  /** supabase_admin, for loading data and inspecting. */
  admin: postgres.Sql;
  stop(): Promise<void>;
}

export async function startScratchDatabase(): Promise<ScratchDatabase> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sokoni-scratch-'));
  // As root, Postgres runs as the OS user `postgres`, which must reach the data folder.
  await chmod(dir, 0o755);
  let cluster: Awaited<ReturnType<typeof startCluster>> | null = null;
  let admin: postgres.Sql | null = null;
  const stop = async () => {
    await admin?.end();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Port 0: a free one, retried if another process takes it before Postgres binds it.
    cluster = await startCluster({ dataDir: path.join(dir, 'db'), port: 0, durable: false });
    admin = postgres(databaseUrl('supabase_admin', cluster.port), { max: 4, onnotice: () => {} });
    await applyPlatform(cluster.port);
    await applyMigrations(cluster.port, { seed: false });
  } catch (error) {
    await stop();
    throw error;
  }
  return { port: cluster.port, admin, stop };
}
