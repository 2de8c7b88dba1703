// Constants of the local platform. They mirror what `supabase start` uses, so clients,
// keys and URLs are interchangeable between this stack and the Docker one.
import { SignJWT } from 'jose';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The local stack's folder (data, pid file) and ports. SOKONI_LOCAL_DIR, SOKONI_DB_PORT and
 * SOKONI_API_PORT run a second stack beside the usual one (the stack's own tests do).
 */
export const LOCAL_DIR = process.env.SOKONI_LOCAL_DIR ?? `${ROOT}.local`;
export const LOCAL_DATA_DIR = `${LOCAL_DIR}/db`;
/** Written by `npm start` so that `npm run stop` can find it. */
export const STACK_PID_FILE = `${LOCAL_DIR}/stack.pid`;

/** The well-known local JWT secret of `supabase start`. Never used outside local stacks. */
export const JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

/** Local password of the login roles supabase_admin, postgres, authenticator and the service admins. */
export const LOCAL_PASSWORD = 'postgres';

export const DEFAULT_DB_PORT = Number(process.env.SOKONI_DB_PORT ?? 54322);
export const DEFAULT_API_PORT = Number(process.env.SOKONI_API_PORT ?? 54321);

const secretKey = new TextEncoder().encode(JWT_SECRET);

/** Signs claims with the local JWT secret (HS256), as Supabase Auth does for a local project. */
export function signJwt(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secretKey);
}

/** The anon and service_role API keys; identical to the ones `supabase start` prints. */
export async function apiKeys(): Promise<{ anonKey: string; serviceRoleKey: string }> {
  const exp = 1983812996;
  return {
    anonKey: await signJwt({ iss: 'supabase-demo', role: 'anon', exp }),
    serviceRoleKey: await signJwt({ iss: 'supabase-demo', role: 'service_role', exp }),
  };
}

/** SUPABASE_JWKS as the CLI gives functions on a legacy-secret project: the secret as an `oct` key. */
export function localJwks(): string {
  return JSON.stringify({ keys: [{ kty: 'oct', k: Buffer.from(JWT_SECRET).toString('base64url'), alg: 'HS256' }] });
}

export function databaseUrl(role: string, port: number, host = '127.0.0.1'): string {
  return `postgresql://${role}:${LOCAL_PASSWORD}@${host}:${port}/postgres`;
}
