// Acting as the caller: one transaction with the settings PostgREST applies (search_path, the
// role's own settings from ALTER ROLE … SET such as authenticated's 8 s statement_timeout, role,
// request.jwt.claims), so the same policies and limits decide as for supabase-js clients.
import type postgres from 'postgres';
import type { Claims } from './auth.ts';

export type CallerTx = postgres.TransactionSql;

/** What handlers reach the database through (functions/_shared/database.ts connects it). */
export interface Db {
  /** One transaction as the caller: their role, claims and the role's settings; RLS applies. */
  asCaller<T>(claims: Claims, run: (tx: CallerTx) => Promise<T>, options?: { readOnly?: boolean }): Promise<T>;
  /** `postgres`, which bypasses RLS. Only for what no caller may do themselves; say why at each use. */
  serviceDb: postgres.Sql;
}

/** A Db over a connection pool. */
export function database(serviceDb: postgres.Sql): Db {
  return {
    asCaller: (claims, run, options) => asCaller(serviceDb, claims, run, options),
    serviceDb,
  };
}

type RoleSettings = Map<string, Array<[string, string]>>;

// Read once per connection pool, as PostgREST reads them once at start-up (and on reload).
const roleSettingsOf = new WeakMap<postgres.Sql, Promise<RoleSettings>>();

function roleSettings(db: postgres.Sql): Promise<RoleSettings> {
  let settings = roleSettingsOf.get(db);
  if (!settings) {
    settings = db<{ rolname: string; setconfig: string[] }[]>`
      select r.rolname, s.setconfig
      from pg_catalog.pg_db_role_setting s join pg_catalog.pg_roles r on r.oid = s.setrole
      where s.setdatabase = 0
         or s.setdatabase = (select d.oid from pg_catalog.pg_database d where d.datname = current_database())
      order by s.setdatabase`.then((rows) => {
      const map: RoleSettings = new Map();
      for (const row of rows) {
        const pairs = row.setconfig.map((entry): [string, string] => {
          const at = entry.indexOf('=');
          return [entry.slice(0, at), entry.slice(at + 1)];
        });
        map.set(row.rolname, [...(map.get(row.rolname) ?? []), ...pairs]);
      }
      return map;
    });
    // A failed read is retried by the next request instead of being cached.
    settings.catch(() => roleSettingsOf.delete(db));
    roleSettingsOf.set(db, settings);
  }
  return settings;
}

export async function asCaller<T>(
  db: postgres.Sql,
  claims: Claims,
  run: (tx: CallerTx) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  const role = claims.role ?? 'anon';
  const settings: Array<[string, string]> = [
    ['search_path', 'public, extensions'],
    ...((await roleSettings(db)).get(role) ?? []),
    ['role', role],
    ['request.jwt.claims', JSON.stringify(claims)],
  ];
  const mode = options.readOnly ? 'isolation level read committed read only' : 'isolation level read committed';
  return db.begin(mode, async (tx) => {
    // One round trip, applied in order.
    await tx`select count(pg_catalog.set_config(s.name, s.value, true))
             from unnest(${settings.map(([name]) => name)}::text[], ${settings.map(([, value]) => value)}::text[]) as s(name, value)`;
    return run(tx);
  }) as Promise<T>;
}
