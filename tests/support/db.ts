// Connections to the test database. `superuser` is for fixtures and inspection only: every
// assertion about what a client may do goes through the PostgREST-faithful helpers.
import postgres from 'postgres';
import { inject } from 'vitest';
import { databaseUrl } from '../../scripts/lib/local-platform.ts';

export type Sql = postgres.Sql;

const pools = new Map<string, Sql>();

export function dbPort(): number {
  return inject('stack').dbPort;
}

/** A pooled connection as one of the platform's login roles. */
export function connectAs(role: 'supabase_admin' | 'postgres' | 'authenticator' | 'supabase_auth_admin' | 'supabase_storage_admin'): Sql {
  let sql = pools.get(role);
  if (!sql) {
    sql = postgres(databaseUrl(role, dbPort()), { max: 8, idle_timeout: 5, onnotice: () => {} });
    pools.set(role, sql);
  }
  return sql;
}

/** supabase_admin: the superuser, for fixtures and for reading what really happened. */
export function superuser(): Sql {
  return connectAs('supabase_admin');
}

/** A dedicated connection (not pooled), for tests that hold transactions concurrently. */
export function newConnection(role: Parameters<typeof connectAs>[0], max = 1): Sql {
  return postgres(databaseUrl(role, dbPort()), { max, onnotice: () => {} });
}
