// Authorizes a private Broadcast/Presence channel the way Realtime does
// (lib/realtime/tenants/authorization.ex): with role, realtime.topic and request.jwt.claims
// set, a read probe checks that a message row of the topic is visible to SELECT as the user,
// and a write probe checks that an INSERT as the user passes RLS. Always rolled back.
import type postgres from 'postgres';
import { connectAs } from './db.ts';
import type { Caller } from './postgrest.ts';

export interface ChannelPermissions {
  read: boolean;
  write: boolean;
}

/** Thrown to roll the probe transaction back. */
class ProbeDone extends Error {}

export async function authorizeChannel(
  caller: Caller,
  topic: string,
  extension: 'broadcast' | 'presence' = 'broadcast',
): Promise<ChannelPermissions> {
  const role = String(caller.claims.role ?? 'anon');
  let result: ChannelPermissions | null = null;
  try {
    await connectAs('supabase_admin').begin(async (tx) => {
      // The probe row is written before the role switch, so only SELECT policies decide `read`.
      await tx`insert into realtime.messages (topic, extension, payload, event, private)
               values (${topic}, ${extension}, '{}'::jsonb, 'probe', true)`;
      await tx`select set_config('role', ${role}, true),
                      set_config('realtime.topic', ${topic}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true)`;
      const visible = await tx`select 1 from realtime.messages where topic = ${topic} and extension = ${extension} limit 1`;
      const write = await tryInsert(tx, topic, extension);
      result = { read: visible.length > 0, write };
      throw new ProbeDone();
    });
  } catch (error) {
    if (!(error instanceof ProbeDone)) throw error;
  }
  return result!;
}

async function tryInsert(tx: postgres.TransactionSql, topic: string, extension: string): Promise<boolean> {
  try {
    await tx.savepoint(async (sp) => {
      await sp`insert into realtime.messages (topic, extension, payload, event, private)
               values (${topic}, ${extension}, '{}'::jsonb, 'probe', true)`;
    });
    return true;
  } catch (error) {
    if ((error as postgres.PostgresError).code === '42501') return false;
    throw error;
  }
}
