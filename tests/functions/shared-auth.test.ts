// The functions' own token check and their way of acting as the caller in the database.
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { callerOf, jwksVerifier, requireServiceRole, requireUser } from '../../functions/_shared/auth.ts';
import { asCaller } from '../../functions/_shared/caller-transaction.ts';
import { HttpError } from '../../functions/_shared/errors.ts';
import { apiKeys, localJwks, signJwt } from '../../scripts/lib/local-platform.ts';
import { connectAs } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { superuser } from '../support/db.ts';
import { createUser } from '../support/users.ts';

const verify = jwksVerifier(localJwks());
const withToken = (jwt?: string) => new Request('http://local/fn', { headers: jwt ? { authorization: `Bearer ${jwt}` } : {} });

async function statusOf(promise: Promise<unknown> | (() => unknown)): Promise<number | null> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
    return null;
  } catch (error) {
    return error instanceof HttpError ? error.status : -1;
  }
}

describe('callerOf', () => {
  it('accepts a token signed with the project key and returns its claims', async () => {
    const user = await createCustomer('auth');
    const caller = await callerOf(withToken(user.jwt), verify);
    expect(caller.claims.sub).toBe(user.id);
    expect(requireUser(caller)).toEqual({ id: user.id, isAnonymous: false });
  });

  it('refuses a missing, forged or expired token with 401', async () => {
    const forged = await new SignJWT({ role: 'service_role' }).setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
    const expired = await signJwt({ role: 'authenticated', sub: crypto.randomUUID(), exp: Math.floor(Date.now() / 1000) - 60 });
    for (const jwt of [undefined, 'not-a-jwt', forged, expired]) {
      expect(await statusOf(callerOf(withToken(jwt), verify))).toBe(401);
    }
  });

  it('tells users, the anon key and the service key apart', async () => {
    const { anonKey, serviceRoleKey } = await apiKeys();
    const anon = await callerOf(withToken(anonKey), verify);
    const service = await callerOf(withToken(serviceRoleKey), verify);
    const visitor = await callerOf(withToken((await createUser({ anonymous: true })).jwt), verify);
    expect(await statusOf(() => requireUser(anon))).toBe(401);
    expect(await statusOf(() => requireServiceRole(anon))).toBe(403);
    expect(await statusOf(() => requireServiceRole(visitor))).toBe(403);
    expect(requireUser(visitor).isAnonymous).toBe(true);
    expect(await statusOf(() => requireServiceRole(service))).toBeNull();
  });
});

describe('asCaller', () => {
  it('applies the role\'s own settings as PostgREST does: authenticated 8 s, anon 3 s statement timeout', async () => {
    const customer = await createCustomer('ascaller-settings');
    const db = connectAs('postgres');
    const timeoutAs = async (claims: Record<string, unknown>) =>
      (await asCaller(db, claims, (tx) => tx`select current_setting('statement_timeout') as t, current_user as role`))[0];
    expect(await timeoutAs(customer.claims)).toEqual({ t: '8s', role: 'authenticated' });
    expect(await timeoutAs({ role: 'anon' })).toEqual({ t: '3s', role: 'anon' });
    // Outside the caller transaction the connection keeps its own (none for postgres).
    expect((await db`select current_setting('statement_timeout') as t`)[0].t).toBe('0');
  });

  it('a statement longer than the role\'s timeout is cancelled inside the caller transaction', async () => {
    const db = connectAs('postgres');
    // anon's 3 s: a 4 s sleep is cancelled (57014), as PostgREST's request would be.
    await expect(asCaller(db, { role: 'anon' }, (tx) => tx`select pg_sleep(4)`)).rejects.toMatchObject({ code: '57014' });
  });

  it('applies the caller\'s RLS although the connection is postgres', async () => {
    const shop = await createBusiness('ascaller');
    const [draft] = await superuser()`
      insert into public.products (business_id, name, price, created_by)
      values (${shop.id}, 'Secret draft', 10, ${shop.editor.id}) returning id`;
    const outsider = await createCustomer('ascaller-outsider');
    const db = connectAs('postgres');
    const seenBy = (claims: Record<string, unknown>) =>
      asCaller(db, claims, (tx) => tx`select id from public.products where id = ${draft.id}`, { readOnly: true });
    expect(await db`select id from public.products where id = ${draft.id}`).toHaveLength(1);
    expect(await seenBy(outsider.claims)).toHaveLength(0);
    expect(await seenBy({ role: 'anon' })).toHaveLength(0);
    expect(await seenBy(shop.viewer.claims)).toHaveLength(1);
  });
});
