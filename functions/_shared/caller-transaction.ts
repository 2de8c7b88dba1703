// Functions reach Postgres as `postgres`, which bypasses RLS. Whatever a function reads or
// writes on a user's behalf runs through asCaller: one transaction with the settings PostgREST
// applies (role, request.jwt.claims, search_path), so the same policies decide as for
// supabase-js clients.
import type postgres from 'postgres';
import type { Claims } from './auth.ts';

export type CallerTx = postgres.TransactionSql;

export function asCaller<T>(
  db: postgres.Sql,
  claims: Claims,
  run: (tx: CallerTx) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  const mode = options.readOnly ? 'isolation level read committed read only' : 'isolation level read committed';
  return db.begin(mode, async (tx) => {
    await tx`select set_config('search_path', 'public, extensions', true),
                    set_config('role', ${claims.role ?? 'anon'}, true),
                    set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    return run(tx);
  }) as Promise<T>;
}
