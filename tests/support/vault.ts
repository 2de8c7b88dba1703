// Vault is shared by the whole test database, and database webhooks read where to call the
// functions from it. Suites that point Vault somewhere hold this lock meanwhile, so that one
// suite's webhooks never reach another suite's servers.
import { newConnection } from './db.ts';

const VAULT_LOCK = 74_656_601;

/** Waits for the Vault lock and returns its release. */
export async function lockVault(): Promise<() => Promise<void>> {
  const sql = newConnection('supabase_admin');
  await sql`select pg_advisory_lock(${VAULT_LOCK})`;
  return async () => {
    await sql`select pg_advisory_unlock(${VAULT_LOCK})`;
    await sql.end();
  };
}
