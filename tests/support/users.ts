// Users made the way Supabase Auth makes them: rows in auth.users and auth.identities written
// as supabase_auth_admin (so the project's triggers on auth.users fire), a session, and an
// access token with GoTrue's claims, passed through the custom access token hook when
// config.toml enables one, exactly as GoTrue does at sign-in and refresh.
import { randomUUID } from 'node:crypto';
import { signJwt } from '../../scripts/lib/local-platform.ts';
import { readConfig } from '../../scripts/lib/project-config.ts';
import { connectAs } from './db.ts';

export interface TestUser {
  id: string;
  email: string | null;
  phone: string | null;
  isAnonymous: boolean;
  sessionId: string;
  claims: Record<string, unknown>;
  jwt: string;
}

export interface NewUser {
  email?: string;
  phone?: string;
  anonymous?: boolean;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
  /** Defaults to confirmed, as after clicking the confirmation link. */
  confirmed?: boolean;
}

const ISSUER = 'http://127.0.0.1:54321/auth/v1';
const REQUIRED_CLAIMS = ['aud', 'exp', 'iat', 'sub', 'email', 'phone', 'role', 'aal', 'session_id', 'is_anonymous'];

let counter = 0;
/** A unique, readable e-mail address for a test user. */
export function uniqueEmail(label = 'user'): string {
  return `${label}.${process.pid}.${Date.now()}.${++counter}@example.test`;
}

export async function createUser(input: NewUser = {}): Promise<TestUser> {
  const auth = connectAs('supabase_auth_admin');
  const anonymous = input.anonymous ?? false;
  const email = anonymous ? null : (input.email ?? uniqueEmail());
  const provider = anonymous ? 'anonymous' : 'email';
  const appMetadata = anonymous ? {} : { provider, providers: [provider], ...input.appMetadata };
  const id = randomUUID();
  await auth.begin(async (tx) => {
    await tx`
      insert into auth.users (id, instance_id, aud, role, email, encrypted_password, email_confirmed_at,
                              phone, raw_app_meta_data, raw_user_meta_data, is_anonymous, created_at, updated_at)
      values (${id}, '00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated', ${email},
              '',
              ${input.confirmed === false || anonymous ? null : new Date()}, ${input.phone ?? null},
              ${tx.json(appMetadata as never)}, ${tx.json((input.userMetadata ?? {}) as never)}, ${anonymous}, now(), now())`;
    if (!anonymous) {
      await tx`
        insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
        values (${id}, ${id}, ${tx.json({ sub: id, email, email_verified: input.confirmed !== false } as never)}, ${provider}, now(), now(), now())`;
    }
  });
  return signIn(id);
}

/** A new session and access token for an existing user (sign-in, or refresh after changes). */
export async function signIn(userId: string): Promise<TestUser> {
  const auth = connectAs('supabase_auth_admin');
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
  claims = await runAccessTokenHook(userId, claims, user.is_anonymous ? 'anonymous' : 'password');
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

/** A token whose claims the caller chose: for forged-claim and stale-token tests. */
export async function withClaims(user: TestUser, changes: Record<string, unknown>): Promise<TestUser> {
  const claims = { ...user.claims, ...changes };
  return { ...user, claims, jwt: await signJwt(claims) };
}

export class AccessTokenHookError extends Error {
  constructor(readonly httpCode: number, message: string) {
    super(message);
  }
}

/** GoTrue's custom access token hook: `select <fn>(event)` as supabase_auth_admin, 2 s timeout. */
export async function runAccessTokenHook(
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
  const output = await connectAs('supabase_auth_admin').begin(async (tx) => {
    await tx`set local statement_timeout = '2s'`;
    const [row] = await tx`select ${tx(schema)}.${tx(fn)}(${tx.json({ user_id: userId, claims, authentication_method: authenticationMethod } as never)}::jsonb) as output`;
    return row.output as { claims?: Record<string, unknown>; error?: { http_code?: number; message?: string } };
  });
  if (output.error) throw new AccessTokenHookError(output.error.http_code ?? 500, output.error.message ?? 'hook error');
  const missing = REQUIRED_CLAIMS.filter((name) => !(name in (output.claims ?? {})));
  if (missing.length) throw new Error(`access token hook dropped required claims: ${missing.join(', ')}`);
  return output.claims!;
}
