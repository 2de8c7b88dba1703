// The functions' database. Handlers reach data as the caller (`asCaller`, RLS on) by default;
// `serviceDb` is the `postgres` connection of SUPABASE_DB_URL, which bypasses RLS, as on
// Supabase: each use of it is a decision (the service's own bookkeeping, or a private RPC that
// checks the caller itself) and says why where it is made.
import postgres from 'postgres';
import { database, type Db } from './caller-transaction.ts';
import { envText } from './env.ts';
import { MessageSocket } from './postgres-socket.ts';

export type Sql = postgres.Sql;
export type { CallerTx, Db } from './caller-transaction.ts';

const CONNECT_TIMEOUT_SECONDS = 5;

export function connectDatabase(url = envText('SUPABASE_DB_URL')): Db {
  if (!url) throw new Error('SUPABASE_DB_URL is not set');
  const sslmode = new URL(url).searchParams.get('sslmode');
  // Plain TCP reads through a reused buffer (postgres-socket.ts); TLS keeps postgres.js's own.
  const plain = sslmode === null || sslmode === 'disable';
  const socket = async ({ host, port }: { host: string[]; port: number[] }) => {
    // postgres.js times the connection only once it has the socket.
    const conn = await Deno.connect({ hostname: host[0], port: port[0], signal: AbortSignal.timeout(CONNECT_TIMEOUT_SECONDS * 1000) });
    conn.setNoDelay(true);
    return new MessageSocket(conn);
  };
  return database(postgres(url, {
    ...(plain ? { socket } : {}), // not in postgres.js's option types, though documented
    max: 5,
    connect_timeout: CONNECT_TIMEOUT_SECONDS,
    idle_timeout: 20,
    // The edge runtime reaches Postgres through a pooler in transaction mode.
    prepare: false,
    onnotice: () => {},
  }));
}
