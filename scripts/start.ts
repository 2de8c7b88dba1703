// `npm start`: the local Supabase stand-in, in the foreground until Ctrl-C or SIGTERM.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { DEFAULT_API_PORT, DEFAULT_DB_PORT, LOCAL_DATA_DIR, LOCAL_DIR, STACK_PID_FILE } from './lib/local-platform.ts';
import { StartAborted, startStack, type Stack } from './lib/stack.ts';

const verbose = process.argv.includes('--verbose');
const started = performance.now();
let stopping = false;
let stack: Stack | null = null;

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  // If start-up is still running, startStack sees `aborted` and unwinds itself.
  if (stack) {
    await stack.stop();
    rmSync(STACK_PID_FILE, { force: true });
    console.log('stopped.');
    process.exit(0);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

mkdirSync(LOCAL_DIR, { recursive: true });
writeFileSync(STACK_PID_FILE, String(process.pid));
try {
  stack = await startStack({
    dataDir: LOCAL_DATA_DIR,
    dbPort: DEFAULT_DB_PORT,
    apiPort: DEFAULT_API_PORT,
    durable: true,
    functions: true,
    aborted: () => stopping,
    log: (line) => (verbose || !line.startsWith('[') && !line.startsWith('{') ? console.log(`  ${line}`) : undefined),
  });
} catch (error) {
  rmSync(STACK_PID_FILE, { force: true });
  if (error instanceof StartAborted || stopping) {
    console.log('stopped.');
    process.exit(0);
  }
  console.error(`\nnpm start failed: ${(error as Error).message}`);
  process.exit(1);
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`
Sokoni local stack is running (ready in ${seconds} s). Ctrl-C stops it.

         API URL: ${stack.apiUrl}
        REST URL: ${stack.restUrl}
   Functions URL: ${stack.functionsUrl}
    Realtime URL: ${stack.realtimeUrl}
          DB URL: ${stack.dbUrl}
      JWT secret: ${stack.jwtSecret}
        anon key: ${stack.anonKey}
service_role key: ${stack.serviceRoleKey}
`);
