// `npm run db:wipe`: delete the local data folder (after an interrupted first start, say).
import { rm } from 'node:fs/promises';
import { LOCAL_DATA_DIR } from './lib/local-platform.ts';
import { runningPostmaster } from './lib/postgres-cluster.ts';

const pid = runningPostmaster(LOCAL_DATA_DIR);
if (pid) {
  console.error(`Postgres (pid ${pid}) is still running on ${LOCAL_DATA_DIR}: stop the stack first (\`npm run stop\`).`);
  process.exit(1);
}
await rm(LOCAL_DATA_DIR, { recursive: true, force: true });
console.log(`Removed ${LOCAL_DATA_DIR}. The next \`npm start\` creates a new database.`);
