// Bootstraps the platform stand-in and applies migrations and seed with the real Supabase CLI.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { databaseUrl, ROOT } from './local-platform.ts';

const PLATFORM_DIR = path.join(ROOT, 'sql', 'platform');
const SUPABASE_CLI = path.join(ROOT, 'node_modules', '.bin', 'supabase');

/** Applies sql/platform/*.sql in order as supabase_admin. Every file is idempotent. */
export async function applyPlatform(port: number): Promise<void> {
  const sql = postgres(databaseUrl('supabase_admin', port), { max: 1, onnotice: () => {} });
  try {
    for (const file of readdirSync(PLATFORM_DIR).filter((f) => f.endsWith('.sql')).sort()) {
      try {
        await sql.unsafe(readFileSync(path.join(PLATFORM_DIR, file), 'utf8'));
      } catch (error) {
        throw new Error(`sql/platform/${file}: ${(error as Error).message}`);
      }
    }
  } finally {
    await sql.end();
  }
}

/** Runs the Supabase CLI from the project root; rejects with its output when it fails. */
export function supabaseCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(SUPABASE_CLI, args, {
      cwd: ROOT,
      // Local clusters have no TLS: say so, rather than have the CLI warn on every command.
      env: { ...process.env, PGSSLMODE: 'disable', SUPABASE_YES: '1', NO_COLOR: '1', DO_NOT_TRACK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`supabase ${args[0]} ${args[1] ?? ''} failed (exit ${code}):\n${stderr}${stdout}`))
    );
  });
}

/** `supabase db push` as `postgres`, the role migrations run as on a hosted project. */
export async function applyMigrations(port: number, options: { seed: boolean }): Promise<void> {
  await supabaseCli([
    'db',
    'push',
    `--remote=${databaseUrl('postgres', port)}`,
    '--yes',
    ...(options.seed ? ['--include-seed'] : []),
  ]);
}

/**
 * Rebuilds the database from scratch: drop and recreate it, then platform, migrations and seed.
 * (`supabase db reset --db-url` needs Docker; recreating the database is the same end state.)
 */
export async function resetDatabase(port: number): Promise<void> {
  const sql = postgres(databaseUrl('supabase_admin', port).replace(/\/postgres$/, '/template1'), { max: 1, onnotice: () => {} });
  try {
    await sql`drop database if exists postgres with (force)`;
    await sql`create database postgres`;
  } finally {
    await sql.end();
  }
  await applyPlatform(port);
  await applyMigrations(port, { seed: true });
}
