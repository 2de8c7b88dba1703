// The functions' database connection: SUPABASE_DB_URL, the `postgres` role, as on Supabase.
import postgres from 'postgres';

export type Sql = postgres.Sql;

export function connectDatabase(url = Deno.env.get('SUPABASE_DB_URL')): Sql {
  if (!url) throw new Error('SUPABASE_DB_URL is not set');
  return postgres(url, {
    max: 5,
    connect_timeout: 5,
    idle_timeout: 20,
    // The edge runtime reaches Postgres through a pooler in transaction mode.
    prepare: false,
    onnotice: () => {},
  });
}
