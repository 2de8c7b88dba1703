// Private channel authorization through RLS on realtime.messages, as Realtime runs it
// (lib/realtime/tenants/authorization.ex): on a connection able to switch roles, in one
// transaction that is always rolled back,
// - read: probe rows (one per extension checked) are inserted before the role switch, then,
//   with role, realtime.topic, request.jwt.claims(.sub/.role) and request.headers set, a SELECT
//   as the user tells which of them RLS lets it see;
// - write: with the same settings, an INSERT as the user per extension (each in a savepoint)
//   tells whether RLS lets it write; insufficient_privilege means no.
// Policies tell Broadcast from Presence by the `extension` column.
import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';

export type Extension = 'broadcast' | 'presence';

/** null: not evaluated yet (Realtime's nil), so callers can tell "denied" from "not checked". */
export interface Policies {
  broadcast: { read: boolean | null; write: boolean | null };
  presence: { read: boolean | null; write: boolean | null };
}

export function emptyPolicies(): Policies {
  return { broadcast: { read: null, write: null }, presence: { read: null, write: null } };
}

export interface AuthorizationContext {
  /** The sub-topic (without `realtime:`), what realtime.topic() returns. */
  topic: string;
  claims: Record<string, unknown>;
  /** The upgrade request's x- headers (request.headers). */
  headers: Record<string, string>;
}

/** A probe query failed for another reason than RLS (a bad role, a broken policy). */
export class RlsPolicyError extends Error {}

/** Thrown inside the transaction to roll it back once the answer is known. */
class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super('rollback');
  }
}

async function inRolledBackTransaction<T>(sql: postgres.Sql, run: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  try {
    await sql.begin(async (tx) => {
      throw new Rollback(await run(tx));
    });
  } catch (error) {
    if (error instanceof Rollback) return error.value as T;
    if ((error as postgres.PostgresError).code !== undefined) throw new RlsPolicyError((error as Error).message);
    throw error;
  }
  throw new Error('unreachable: the probe transaction always rolls back');
}

async function setConnConfig(tx: postgres.TransactionSql, context: AuthorizationContext): Promise<void> {
  const role = context.claims.role;
  const sub = context.claims.sub;
  await tx`
    select set_config('role', ${role === undefined || role === null ? null : String(role)}, true),
           set_config('realtime.topic', ${context.topic}, true),
           set_config('request.jwt.claims', ${JSON.stringify(context.claims)}, true),
           set_config('request.jwt.claim.sub', ${sub === undefined || sub === null ? null : String(sub)}, true),
           set_config('request.jwt.claim.role', ${role === undefined || role === null ? null : String(role)}, true),
           set_config('request.headers', ${JSON.stringify(context.headers)}, true)`;
}

function extensionsToCheck(presenceEnabled: boolean): Extension[] {
  return presenceEnabled ? ['broadcast', 'presence'] : ['broadcast'];
}

/** get_read_authorizations/4; extensions not checked keep their previous value. */
export function readAuthorizations(
  sql: postgres.Sql,
  context: AuthorizationContext,
  policies: Policies,
  { presenceEnabled }: { presenceEnabled: boolean },
): Promise<Policies> {
  const probes = extensionsToCheck(presenceEnabled).map((extension) => ({ extension, id: randomUUID() }));
  return inRolledBackTransaction(sql, async (tx) => {
    for (const probe of probes) {
      await tx`insert into realtime.messages (id, topic, extension) values (${probe.id}, ${context.topic}, ${probe.extension})`;
    }
    await setConnConfig(tx, context);
    const visible = await tx<{ id: string }[]>`select id from realtime.messages where id = any(${probes.map((p) => p.id)}::uuid[])`;
    const seen = new Set(visible.map((row) => row.id));
    const next = structuredClone(policies);
    for (const probe of probes) next[probe.extension].read = seen.has(probe.id);
    return next;
  });
}

/** get_write_authorizations/4 (both extensions unless presence is left out). */
export function writeAuthorizations(
  sql: postgres.Sql,
  context: AuthorizationContext,
  policies: Policies,
  { presenceEnabled = true }: { presenceEnabled?: boolean } = {},
): Promise<Policies> {
  const checked = extensionsToCheck(presenceEnabled);
  return inRolledBackTransaction(sql, async (tx) => {
    await setConnConfig(tx, context);
    const next = structuredClone(policies);
    for (const extension of ['broadcast', 'presence'] as const) {
      if (!checked.includes(extension)) {
        next[extension].write = false;
        continue;
      }
      try {
        await tx.savepoint((sp) => sp`insert into realtime.messages (topic, extension) values (${context.topic}, ${extension})`);
        next[extension].write = true;
      } catch (error) {
        if ((error as postgres.PostgresError).code !== '42501') throw error;
        next[extension].write = false;
      }
    }
    return next;
  });
}
