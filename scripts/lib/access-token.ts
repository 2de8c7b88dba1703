// Access tokens as Supabase Auth (GoTrue) issues them at sign-in and refresh: a new session in
// auth.sessions, GoTrue's claims, the custom access token hook when config.toml enables one,
// signed with the local JWT secret. Shared by `npm run token` and the tests' createUser().
import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { signJwt } from './local-platform.ts';
import { readConfig } from './project-config.ts';

const ISSUER = 'http://127.0.0.1:54321/auth/v1';
const REQUIRED_CLAIMS = ['aud', 'exp', 'iat', 'sub', 'email', 'phone', 'role', 'aal', 'session_id', 'is_anonymous'];

export interface IssuedToken {
  id: string;
  email: string | null;
  phone: string | null;
  isAnonymous: boolean;
  sessionId: string;
  claims: Record<string, unknown>;
  jwt: string;
}

export class AccessTokenHookError extends Error {
  constructor(readonly httpCode: number, message: string) {
    super(message);
  }
}

/** A new session and access token for an existing user; `auth` connects as supabase_auth_admin. */
export async function issueAccessToken(auth: postgres.Sql, userId: string): Promise<IssuedToken> {
  const [user] = await auth`
    select id, email, phone, is_anonymous, raw_app_meta_data, raw_user_meta_data
    from auth.users where id = ${userId}`;
  if (!user) throw new Error(`no auth user ${userId}`);
  const sessionId = randomUUID();
  await auth`insert into auth.sessions (id, user_id, created_at, updated_at, aal) values (${sessionId}, ${userId}, now(), now(), 'aal1')`;
  const iat = Math.floor(Date.now() / 1000);
  const accessTokenSeconds = Number((readConfig().auth as { jwt_expiry?: number } | undefined)?.jwt_expiry ?? 3600);
  let claims: Record<string, unknown> = {
    aud: 'authenticated',
    exp: iat + accessTokenSeconds,
    iat,
    iss: ISSUER,
    sub: user.id,
    email: user.email ?? '',
    phone: user.phone ?? '',
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: 'authenticated',
    aal: 'aal1',
    amr: [{ method: user.is_anonymous ? 'anonymous' : 'password', timestamp: iat }],
    session_id: sessionId,
    is_anonymous: user.is_anonymous,
  };
  claims = await runAccessTokenHook(auth, userId, claims, user.is_anonymous ? 'anonymous' : 'password');
  return {
    id: user.id,
    email: user.email,
    phone: user.phone,
    isAnonymous: user.is_anonymous,
    sessionId,
    claims,
    jwt: await signJwt(claims),
  };
}

/** GoTrue's custom access token hook: `select <fn>(event)` as supabase_auth_admin, 2 s timeout. */
export async function runAccessTokenHook(
  auth: postgres.Sql,
  userId: string,
  claims: Record<string, unknown>,
  authenticationMethod: string,
): Promise<Record<string, unknown>> {
  const hook = ((readConfig().auth as Record<string, unknown>)?.hook as Record<string, { enabled?: boolean; uri?: string }> | undefined)
    ?.custom_access_token;
  if (!hook?.enabled || !hook.uri) return claims;
  const match = /^pg-functions:\/\/[^/]+\/([^/]+)\/([^/]+)$/.exec(hook.uri);
  if (!match) throw new Error(`unsupported hook uri ${hook.uri}`);
  const [, schema, fn] = match;
  const output = await auth.begin(async (tx) => {
    await tx`set local statement_timeout = '2s'`;
    const [row] = await tx`select ${tx(schema)}.${tx(fn)}(${tx.json({ user_id: userId, claims, authentication_method: authenticationMethod } as never)}::jsonb) as output`;
    return row.output as { claims?: Record<string, unknown>; error?: { http_code?: number; message?: string } };
  });
  if (output.error) throw new AccessTokenHookError(output.error.http_code ?? 500, output.error.message ?? 'hook error');
  const missing = REQUIRED_CLAIMS.filter((name) => !(name in (output.claims ?? {})));
  if (missing.length) throw new Error(`access token hook dropped required claims: ${missing.join(', ')}`);
  return output.claims!;
}
