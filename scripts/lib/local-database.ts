// Commands that need the local database (`npm run db:reset`) use the running stack when
// there is one, and otherwise start the cluster just for the command.
import { DEFAULT_DB_PORT, LOCAL_DATA_DIR } from './local-platform.ts';
import { dataDirState, runningPostmaster, startCluster } from './postgres-cluster.ts';

export async function withLocalDatabase<T>(run: (port: number) => Promise<T>): Promise<T> {
  if (runningPostmaster(LOCAL_DATA_DIR)) return run(DEFAULT_DB_PORT);
  if (dataDirState(LOCAL_DATA_DIR) !== 'ready') {
    throw new Error('There is no local database yet: run `npm start` once first.');
  }
  const cluster = await startCluster({ dataDir: LOCAL_DATA_DIR, port: DEFAULT_DB_PORT, durable: true });
  try {
    return await run(DEFAULT_DB_PORT);
  } finally {
    await cluster.stop();
  }
}
