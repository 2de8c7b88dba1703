// `npm run stop`: stops a stack left running in another terminal or in the background.
import { existsSync, readFileSync } from 'node:fs';
import { LOCAL_DATA_DIR, STACK_PID_FILE } from './lib/local-platform.ts';
import { runningPostmaster } from './lib/postgres-cluster.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, what: string): Promise<void> {
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) throw new Error(`${what} (pid ${pid}) did not stop within 10 s`);
}

let stoppedSomething = false;
const stackPid = existsSync(STACK_PID_FILE) ? Number(readFileSync(STACK_PID_FILE, 'utf8')) : NaN;
if (stackPid && alive(stackPid)) {
  process.kill(stackPid, 'SIGTERM');
  await waitForExit(stackPid, 'npm start');
  console.log(`Stopped the local stack (pid ${stackPid}).`);
  stoppedSomething = true;
}
// A Postgres orphaned by a killed `npm start` still holds the data folder and the port.
const postmaster = runningPostmaster(LOCAL_DATA_DIR);
if (postmaster) {
  process.kill(postmaster, 'SIGINT');
  await waitForExit(postmaster, 'Postgres');
  console.log(`Stopped an orphaned Postgres (pid ${postmaster}).`);
  stoppedSomething = true;
}
if (!stoppedSomething) console.log('Nothing was running.');
