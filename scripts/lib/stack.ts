// The local stand-in of `supabase start`: Postgres, platform bootstrap, migrations and seed,
// the pg_net delivery worker, Realtime, the API gateway, then PostgREST (/rest/v1) beside the
// edge functions (/functions/v1), and the pg_cron worker; stopped in reverse. Used by
// `npm start` and by the test harness.
import postgres from 'postgres';
import { apiKeys, databaseUrl, JWT_SECRET, localJwks } from './local-platform.ts';
import { applyMigrations, applyPlatform } from './database-setup.ts';
import { functionConfigs } from './project-config.ts';
import { functionsRoute, startFunctionWorkers } from './functions-server.ts';
import { notServedLocally, startGateway } from './gateway.ts';
import { restRoute, startPostgrest } from './postgrest.ts';
import { startCronWorker } from './cron-worker.ts';
import { startNetWorker } from './net-worker.ts';
import { realtimeRoute, startRealtimeServer } from './realtime-server.ts';
import { startCluster } from './postgres-cluster.ts';
import { assertPortFree } from './ports.ts';
import { readDotEnv } from './project-config.ts';

export interface StackOptions {
  dataDir: string;
  dbPort: number;
  apiPort: number;
  durable: boolean;
  /** Extra environment for the functions (outbound base URLs, secrets); wins over .env. */
  functionEnv?: Record<string, string>;
  /**
   * Serve the edge functions and run scheduled jobs (the test harness starts functions on
   * demand and runs jobs itself, so that nothing changes data behind a test's back).
   */
  functions: boolean;
  log?: (line: string) => void;
  /** Checked between steps: a Ctrl-C during start stops what has started so far. */
  aborted?: () => boolean;
}

export interface Stack {
  dbUrl: string;
  dbPort: number;
  apiUrl: string;
  restUrl: string;
  functionsUrl: string | null;
  /** What supabase-js connects to (it appends /websocket), on the API gateway. */
  realtimeUrl: string;
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  stop(): Promise<void>;
}

export class StartAborted extends Error {}

export async function functionEnvironment(dbPort: number, apiPort: number, extra: Record<string, string> = {}) {
  const { anonKey, serviceRoleKey } = await apiKeys();
  return {
    ...readDotEnv(),
    SUPABASE_URL: `http://127.0.0.1:${apiPort}`,
    SUPABASE_ANON_KEY: anonKey,
    SUPABASE_SERVICE_ROLE_KEY: serviceRoleKey,
    // As on a hosted project, functions reach the database as `postgres`.
    SUPABASE_DB_URL: databaseUrl('postgres', dbPort),
    SUPABASE_JWKS: localJwks(),
    ...extra,
  };
}

/**
 * Database webhooks and scheduled jobs read where to call the functions from Vault, as a hosted
 * project's do (see README, "Deploying"): the local stack writes its own values at every start.
 */
async function storeFunctionSecrets(dbPort: number, functionsUrl: string, serviceRoleKey: string): Promise<void> {
  const sql = postgres(databaseUrl('supabase_admin', dbPort), { max: 1, onnotice: () => {} });
  try {
    for (const [name, secret] of [['functions_base_url', functionsUrl], ['service_role_key', serviceRoleKey]]) {
      await sql`
        insert into vault.secrets (name, secret) values (${name}, ${secret})
        on conflict (name) where name is not null do update set secret = excluded.secret, updated_at = now()`;
    }
  } finally {
    await sql.end();
  }
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => {});
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((e) => log(`stop failed: ${e}`));
  };
  const step = <T>(name: string, run: () => Promise<T>): Promise<T> => {
    if (options.aborted?.()) return Promise.reject(new StartAborted('start aborted'));
    log(name);
    return run();
  };
  try {
    if (options.apiPort !== 0) await assertPortFree(options.apiPort, 'API gateway');
    const cluster = await step('starting Postgres', () =>
      startCluster({ dataDir: options.dataDir, port: options.dbPort, durable: options.durable })
    );
    stops.push(() => cluster.stop());
    await step('applying the platform bootstrap (sql/platform)', () => applyPlatform(options.dbPort));
    await step(cluster.created ? 'applying migrations and seed' : 'applying pending migrations', () =>
      applyMigrations(options.dbPort, { seed: cluster.created })
    );
    const netWorker = await step('starting the pg_net delivery worker', () =>
      startNetWorker(databaseUrl('supabase_admin', options.dbPort), (event) => log(JSON.stringify(event)))
    );
    stops.push(() => netWorker.stop());
    const keys = await apiKeys();
    // As Realtime's database user, which switches to the API roles to probe policies.
    const realtime = await step('starting Realtime', () =>
      startRealtimeServer({ dbUrl: databaseUrl('supabase_admin', options.dbPort), jwtSecret: JWT_SECRET, log })
    );
    stops.push(() => realtime.stop());
    // Bound before the servers behind it start: the functions are told its port.
    const gateway = await step('binding the API gateway', () =>
      startGateway({
        port: options.apiPort,
        // Not run by the Docker-free stack. A local server for one of them replaces its entry.
        routes: [
          ['/auth/v1', notServedLocally('auth')],
          ['/storage/v1', notServedLocally('storage')],
          ['/realtime/v1', realtimeRoute(realtime)],
        ],
      })
    );
    stops.push(() => gateway.stop());
    const restUrl = `${gateway.url}/rest/v1`;
    const env = options.functions ? await functionEnvironment(options.dbPort, gateway.port, options.functionEnv) : null;
    // PostgREST and the functions are independent: started side by side, each stopped with the
    // rest if the other fails.
    const [rest, functions] = await Promise.allSettled([
      step('starting PostgREST', () => startPostgrest({ dbPort: options.dbPort, externalUrl: restUrl, log })),
      env ? step('serving edge functions', () => startFunctionWorkers(functionConfigs(), env, log)) : Promise.resolve(null),
    ]);
    if (rest.status === 'fulfilled') stops.push(() => rest.value.stop());
    if (functions.status === 'fulfilled' && functions.value) stops.push(() => functions.value!.stop());
    if (rest.status === 'rejected') throw rest.reason;
    if (functions.status === 'rejected') throw functions.reason;
    gateway.routes.set('/rest/v1', restRoute(rest.value.socketPath, keys));
    let functionsUrl: string | null = null;
    if (env && functions.value) {
      gateway.routes.set('/functions/v1', functionsRoute(functions.value.workers));
      functionsUrl = `${gateway.url}/functions/v1`;
      await step('storing the functions URL and service key in Vault', () =>
        storeFunctionSecrets(options.dbPort, functionsUrl!, env.SUPABASE_SERVICE_ROLE_KEY)
      );
      const cronWorker = await step('starting the pg_cron worker', () =>
        Promise.resolve(startCronWorker(databaseUrl('supabase_admin', options.dbPort), (event) => log(JSON.stringify(event))))
      );
      stops.push(() => cronWorker.stop());
    }
    if (options.aborted?.()) throw new StartAborted('start aborted');
    return {
      dbUrl: databaseUrl('postgres', options.dbPort),
      dbPort: options.dbPort,
      apiUrl: gateway.url,
      restUrl,
      functionsUrl,
      realtimeUrl: `ws://127.0.0.1:${gateway.port}/realtime/v1`,
      jwtSecret: JWT_SECRET,
      anonKey: keys.anonKey,
      serviceRoleKey: keys.serviceRoleKey,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
