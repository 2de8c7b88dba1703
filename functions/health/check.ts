import type { Sql } from '../_shared/database.ts';

export interface HealthReport {
  database: { reachable: boolean; latest_migration: string | null; latency_ms: number | null; error?: string };
  checked_at: string;
}

const TIMEOUT_MS = 3000;

async function latestMigration(serviceDb: Sql): Promise<string | null> {
  const [{ tracked }] = await serviceDb<{ tracked: boolean }[]>`
    select to_regclass('supabase_migrations.schema_migrations') is not null as tracked`;
  if (!tracked) return null;
  const rows = await serviceDb<{ version: string }[]>`
    select version from supabase_migrations.schema_migrations order by version desc limit 1`;
  return rows[0]?.version ?? null;
}

/** Asks the database for the newest migration the Supabase CLI recorded, within a deadline. */
export async function checkHealth(serviceDb: Sql, now: () => Date): Promise<HealthReport> {
  const started = performance.now();
  const checked_at = now().toISOString();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    });
    const latest = await Promise.race([latestMigration(serviceDb), timeout]);
    return {
      database: { reachable: true, latest_migration: latest, latency_ms: Math.round(performance.now() - started) },
      checked_at,
    };
  } catch (error) {
    return {
      database: { reachable: false, latest_migration: null, latency_ms: null, error: (error as Error).message },
      checked_at,
    };
  } finally {
    clearTimeout(timer);
  }
}
