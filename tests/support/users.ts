// Users made the way Supabase Auth makes them: rows in auth.users and auth.identities written
// as supabase_auth_admin (so the project's triggers on auth.users fire), a session, and an
// access token with GoTrue's claims, passed through the custom access token hook when
// config.toml enables one, exactly as GoTrue does at sign-in and refresh
// (scripts/lib/access-token.ts, which `npm run token` uses too).
import { randomUUID } from 'node:crypto';
import { issueAccessToken, type IssuedToken } from '../../scripts/lib/access-token.ts';
import { signJwt } from '../../scripts/lib/local-platform.ts';
import { connectAs } from './db.ts';

export type TestUser = IssuedToken;

export interface NewUser {
  email?: string;
  phone?: string;
  anonymous?: boolean;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
  /** Defaults to confirmed, as after clicking the confirmation link. */
  confirmed?: boolean;
}

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
export function signIn(userId: string): Promise<TestUser> {
  return issueAccessToken(connectAs('supabase_auth_admin'), userId);
}

/** A token whose claims the caller chose: for forged-claim and stale-token tests. */
export async function withClaims(user: TestUser, changes: Record<string, unknown>): Promise<TestUser> {
  const claims = { ...user.claims, ...changes };
  return { ...user, claims, jwt: await signJwt(claims) };
}
