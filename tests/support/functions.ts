// Starts the edge functions (Deno, behind the verify_jwt gateway) against the test database,
// with whatever outbound base URLs a test points at its fake servers.
import path from 'node:path';
import { inject } from 'vitest';
import { ROOT } from '../../scripts/lib/local-platform.ts';
import type { FunctionConfig } from '../../scripts/lib/project-config.ts';
import { startFunctionsServer, type FunctionsServer } from '../../scripts/lib/functions-server.ts';
import { functionEnvironment } from '../../scripts/lib/stack.ts';

export interface RunningFunctions extends FunctionsServer {
  /** fetch() against /functions/v1/<path>. */
  call(path: string, init?: RequestInit & { jwt?: string }): Promise<Response>;
  logs: string[];
}

const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'functions');

/** `probe`: a fixture function with verify_jwt at its default, echoing the caller's claims. */
const fixtures: FunctionConfig[] = [
  { name: 'probe', verifyJwt: true, entrypoint: path.join(FIXTURES, 'probe', 'index.ts') },
];

export async function startFunctions(env: Record<string, string> = {}): Promise<RunningFunctions> {
  const logs: string[] = [];
  const server = await startFunctionsServer({
    port: 0,
    extraFunctions: fixtures,
    env: (port) => functionEnvironment(inject('stack').dbPort, port, env),
    log: (line) => logs.push(line),
  });
  return {
    ...server,
    logs,
    call(path, { jwt, ...init } = {}) {
      const headers = new Headers(init.headers);
      if (jwt) headers.set('authorization', `Bearer ${jwt}`);
      return fetch(`${server.url}/${path.replace(/^\//, '')}`, { ...init, headers });
    },
  };
}
