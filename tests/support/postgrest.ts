// Runs a callback the way PostgREST runs a request (Query.hs / PreQuery.hs): connected as
// `authenticator`, one READ COMMITTED transaction (READ ONLY for GET/HEAD), then one statement
// of set_config(…, true) calls for search_path, the target role's own settings, role,
// request.jwt.claims, request.method, request.path, request.headers and request.cookies.
// Errors come back with the HTTP status PostgREST would answer.
// tests/client/harness-crosscheck.test.ts holds it to the real PostgREST the stack serves.
import type postgres from 'postgres';
import { httpStatusForSqlState } from '../../functions/_shared/errors.ts';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { connectAs } from './db.ts';
import type { TestUser } from './users.ts';

export type Tx = postgres.TransactionSql;
export type Method = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RequestOptions {
  method?: Method;
  path?: string;
  headers?: Record<string, string>;
  /** PostgREST's `Prefer: tx=rollback`: run everything, then roll back. */
  rollback?: boolean;
}

export interface ApiError {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
  /** The HTTP status PostgREST would answer. */
  status: number;
}

export type ApiResult<T> = { data: T; error: null } | { data: null; error: ApiError };

export interface Caller {
  claims: Record<string, unknown>;
  jwt: string;
}

class Rollback extends Error {
  constructor(readonly value: unknown) {
    super('rollback');
  }
}

let roleSettings: Promise<Map<string, Array<[string, string]>>> | null = null;

/** Per-role settings (ALTER ROLE … SET), which PostgREST applies per request. */
function settingsOf(role: string): Promise<Array<[string, string]>> {
  roleSettings ??= connectAs('supabase_admin')`
      select r.rolname, s.setconfig
      from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
      where s.setdatabase = 0 or s.setdatabase = (select oid from pg_database where datname = current_database())`
    .then((rows) => {
      const map = new Map<string, Array<[string, string]>>();
      for (const row of rows) {
        const pairs = (row.setconfig as string[]).map((entry): [string, string] => {
          const at = entry.indexOf('=');
          return [entry.slice(0, at), entry.slice(at + 1)];
        });
        map.set(row.rolname, [...(map.get(row.rolname) ?? []), ...pairs]);
      }
      return map;
    });
  return roleSettings.then((map) => map.get(role) ?? []);
}

export async function request<T>(caller: Caller, run: (tx: Tx) => Promise<T>, options: RequestOptions = {}): Promise<ApiResult<T>> {
  const method = options.method ?? 'POST';
  const role = String(caller.claims.role ?? 'anon');
  const readOnly = method === 'GET' || method === 'HEAD';
  const headers = {
    accept: 'application/json',
    apikey: (await apiKeys()).anonKey,
    authorization: `Bearer ${caller.jwt}`,
    'content-type': 'application/json',
    'x-client-info': 'supabase-js-node/2',
    ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const sql = connectAs('authenticator');
  try {
    const data = await sql.begin(readOnly ? 'isolation level read committed read only' : 'isolation level read committed', async (tx) => {
      const settings: Array<[string, string]> = [
        ['search_path', '"public", "extensions"'],
        ...(await settingsOf(role)),
        ['role', role],
        ['request.jwt.claims', JSON.stringify(caller.claims)],
        ['request.method', method],
        ['request.path', options.path ?? '/'],
        ['request.headers', JSON.stringify(headers)],
        ['request.cookies', '{}'],
      ];
      // One round trip, as PostgREST sends them.
      await tx.unsafe(
        `select ${settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`,
        settings.flat(),
      );
      const result = await run(tx);
      if (options.rollback) throw new Rollback(result);
      return result;
    });
    return { data: data as T, error: null };
  } catch (caught) {
    if (caught instanceof Rollback) return { data: caught.value as T, error: null };
    const error = caught as postgres.PostgresError;
    if (error?.name !== 'PostgresError') throw caught;
    return {
      data: null,
      error: {
        code: error.code,
        message: error.message,
        details: error.detail ?? null,
        hint: error.hint ?? null,
        status: httpStatusForSqlState(error.code, role !== 'anon'),
      },
    };
  }
}

/** A request with the anon key, as supabase-js sends it for a visitor who is not signed in. */
export async function asAnon<T>(run: (tx: Tx) => Promise<T>, options?: RequestOptions) {
  const jwt = (await apiKeys()).anonKey;
  return request({ jwt, claims: decode(jwt) }, run, options);
}

/** A request with the service_role key: bypasses RLS, never reachable from a browser. */
export async function asServiceRole<T>(run: (tx: Tx) => Promise<T>, options?: RequestOptions) {
  const jwt = (await apiKeys()).serviceRoleKey;
  return request({ jwt, claims: decode(jwt) }, run, options);
}

/** A request with a signed-in user's access token. */
export function asUser<T>(user: TestUser, run: (tx: Tx) => Promise<T>, options?: RequestOptions) {
  return request(user, run, options);
}

function decode(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}
