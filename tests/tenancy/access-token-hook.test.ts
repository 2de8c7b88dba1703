// public.custom_access_token_hook, called the way GoTrue calls it (tests/support/users.ts).
import { describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { asServiceRole, asUser } from '../support/postgrest.ts';
import { createUser, signIn } from '../support/users.ts';

const REQUIRED = ['aud', 'exp', 'iat', 'sub', 'email', 'phone', 'role', 'aal', 'session_id', 'is_anonymous'];

describe('custom access token hook', () => {
  it('gives a customer an empty business_roles claim and keeps every required claim', async () => {
    const customer = await createCustomer();
    expect(customer.claims.business_roles).toEqual({});
    for (const claim of REQUIRED) expect(customer.claims).toHaveProperty(claim);
    expect(customer.claims).toMatchObject({ sub: customer.id, role: 'authenticated', is_anonymous: false });
  });

  it('works for anonymous sign-ins', async () => {
    const visitor = await createUser({ anonymous: true });
    expect(visitor.claims).toMatchObject({ business_roles: {}, is_anonymous: true, role: 'authenticated' });
  });

  it('lists every business of a member with the role held there', async () => {
    const [first, second] = await Promise.all([createBusiness('hook'), createBusiness('hook')]);
    await superuser()`insert into public.business_members (business_id, user_id, role) values (${second.id}, ${first.admin.id}, 'viewer')`;
    const refreshed = await signIn(first.admin.id);
    expect(refreshed.claims.business_roles).toEqual({ [first.id]: 'admin', [second.id]: 'viewer' });
  });

  it('can be executed by supabase_auth_admin only', async () => {
    const user = await createCustomer();
    const event = JSON.stringify({ user_id: user.id, claims: user.claims, authentication_method: 'password' });
    const asAuthenticated = await asUser(user, (tx) => tx`select public.custom_access_token_hook(${event}::jsonb)`);
    expect(asAuthenticated.error).toMatchObject({ code: '42501' });
    const asService = await asServiceRole((tx) => tx`select public.custom_access_token_hook(${event}::jsonb)`);
    expect(asService.error).toMatchObject({ code: '42501' });
    const [grant] = await superuser()`
      select array_agg(grantee::regrole::text order by grantee::regrole::text) as grantees
      from pg_proc p, aclexplode(p.proacl) a
      where p.oid = 'public.custom_access_token_hook(jsonb)'::regprocedure and a.privilege_type = 'EXECUTE'`;
    expect(grant.grantees).toEqual(['postgres', 'supabase_auth_admin']);
  });
});
