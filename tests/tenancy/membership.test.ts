// Businesses, invitations and membership changes through the RPCs, including every rule
// and every attempt to escalate.
import type { Row } from 'postgres';
import { describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { whileLocked } from '../support/locks.ts';
import { asAnon, asUser, type ApiResult } from '../support/postgrest.ts';
import { createUser, uniqueEmail, withClaims, type TestUser } from '../support/users.ts';

type Rows = Row[];

function rpc(user: TestUser, call: string, args: Record<string, unknown>): Promise<ApiResult<Rows>> {
  const names = Object.keys(args);
  const placeholders = names.map((name, i) => `${name} := $${i + 1}`).join(', ');
  return asUser(user, (tx) => tx.unsafe(`select * from public.${call}(${placeholders})`, Object.values(args) as never[]));
}

async function roleOf(businessId: string, userId: string): Promise<string | null> {
  const [row] = await superuser()`select role from public.business_members where business_id = ${businessId} and user_id = ${userId}`;
  return row?.role ?? null;
}

describe('create_business', () => {
  it('makes the caller its admin and derives a free slug from the name', async () => {
    const owner = await createCustomer('founder');
    const name = `Shamba Fresh ${Date.now()}`;
    const first = await rpc(owner, 'create_business', { name });
    const second = await rpc(owner, 'create_business', { name });
    expect(first.error).toBeNull();
    const [a, b] = [first.data![0].create_business, second.data![0].create_business] as string[];
    const rows = await superuser()`select id, slug, created_by from public.businesses where id in (${a}, ${b}) order by created_at`;
    expect(rows[0].slug).toBe(`shamba-fresh-${name.split(' ')[2]}`);
    expect(rows[1].slug).toBe(`${rows[0].slug}-2`);
    expect(rows[0].created_by).toBe(owner.id);
    expect(await roleOf(a, owner.id)).toBe('admin');
  });

  it('answers 409 for a slug that is taken', async () => {
    const owner = await createCustomer();
    const slug = `taken-${Date.now()}`;
    expect((await rpc(owner, 'create_business', { name: 'One', slug })).error).toBeNull();
    const again = await rpc(owner, 'create_business', { name: 'Two', slug });
    expect(again.error).toMatchObject({ code: '23505', status: 409 });
  });

  it.each([
    ['an empty name', { name: '  ' }],
    ['a malformed slug', { name: 'Ok', slug: 'Not A Slug' }],
    ['a malformed contact e-mail', { name: 'Ok', contact_email: 'not-an-email' }],
  ])('answers 400 for %s and creates nothing', async (_label, args) => {
    const owner = await createCustomer();
    const result = await rpc(owner, 'create_business', args);
    expect(result.error?.status).toBe(400);
    const [row] = await superuser()`select count(*)::int as n from public.businesses where created_by = ${owner.id}`;
    expect(row.n).toBe(0);
  });

  it('is refused to anon (401) and to anonymous sign-ins (403)', async () => {
    const anon = await asAnon((tx) => tx`select public.create_business(name := 'Nope')`);
    expect(anon.error).toMatchObject({ code: '42501', status: 401 });
    const visitor = await createUser({ anonymous: true });
    const result = await rpc(visitor, 'create_business', { name: 'Nope' });
    expect(result.error).toMatchObject({ code: '42501', status: 403 });
  });
});

describe('invitations', () => {
  it('an admin invites, the invitee accepts once and becomes a member with that role', async () => {
    const shop = await createBusiness('invites');
    const email = uniqueEmail('newcomer');
    const invited = await rpc(shop.admin, 'invite_member', { business_id: shop.id, email: email.toUpperCase(), role: 'editor' });
    expect(invited.error).toBeNull();
    const invitation = invited.data![0];
    expect(invitation).toMatchObject({ email, role: 'editor', invited_by: shop.admin.id, accepted_at: null });
    const days = (Date.parse(String(invitation.expires_at)) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);

    const newcomer = await createUser({ email });
    const accepted = await rpc(newcomer, 'accept_invitation', { token: invitation.token });
    expect(accepted.data![0].accept_invitation).toBe(shop.id);
    expect(await roleOf(shop.id, newcomer.id)).toBe('editor');

    const reused = await rpc(newcomer, 'accept_invitation', { token: invitation.token });
    expect(reused.error).toMatchObject({ code: 'PT409', status: 409 });
  });

  it('cannot be accepted by someone whose e-mail differs', async () => {
    const shop = await createBusiness('invites');
    const invited = await rpc(shop.admin, 'invite_member', { business_id: shop.id, email: uniqueEmail('intended'), role: 'approver' });
    const thief = await createCustomer('thief');
    const result = await rpc(thief, 'accept_invitation', { token: invited.data![0].token });
    expect(result.error).toMatchObject({ code: '42501', status: 403 });
    expect(await roleOf(shop.id, thief.id)).toBeNull();
  });

  it('cannot be accepted with a forged email claim', async () => {
    const shop = await createBusiness('invites');
    const email = uniqueEmail('victim');
    const invited = await rpc(shop.admin, 'invite_member', { business_id: shop.id, email, role: 'admin' });
    const thief = await withClaims(await createCustomer('forger'), { email });
    const result = await rpc(thief, 'accept_invitation', { token: invited.data![0].token });
    expect(result.error?.status).toBe(403);
  });

  it('cannot be accepted before the address is confirmed', async () => {
    const shop = await createBusiness('invites');
    const email = uniqueEmail('unconfirmed');
    const invited = await rpc(shop.admin, 'invite_member', { business_id: shop.id, email, role: 'viewer' });
    const unconfirmed = await createUser({ email, confirmed: false });
    const result = await rpc(unconfirmed, 'accept_invitation', { token: invited.data![0].token });
    expect(result.error?.status).toBe(403);
  });

  it('refuses expired tokens with 422', async () => {
    const shop = await createBusiness('invites');
    const email = uniqueEmail('late');
    const invited = await rpc(shop.admin, 'invite_member', { business_id: shop.id, email, role: 'viewer' });
    await superuser()`update public.invitations set expires_at = now() - interval '1 minute' where id = ${invited.data![0].id}`;
    const late = await createUser({ email });
    const result = await rpc(late, 'accept_invitation', { token: invited.data![0].token });
    expect(result.error).toMatchObject({ code: 'PT422', status: 422 });
    expect(await roleOf(shop.id, late.id)).toBeNull();
  });

  it('answers 404 for an unknown token and 400 for a malformed one', async () => {
    const user = await createCustomer();
    expect((await rpc(user, 'accept_invitation', { token: 'a'.repeat(64) })).error?.status).toBe(404);
    expect((await rpc(user, 'accept_invitation', { token: 'nope' })).error?.status).toBe(400);
  });

  it('a new invitation for the same address replaces the pending one', async () => {
    const shop = await createBusiness('invites');
    const email = uniqueEmail('twice');
    const first = await rpc(shop.admin, 'invite_member', { business_id: shop.id, email, role: 'viewer' });
    await rpc(shop.admin, 'invite_member', { business_id: shop.id, email, role: 'editor' });
    const invitee = await createUser({ email });
    expect((await rpc(invitee, 'accept_invitation', { token: first.data![0].token })).error?.status).toBe(404);
  });

  it.each([
    ['viewer'], ['editor'], ['approver'],
  ] as const)('a %s cannot invite anyone', async (role) => {
    const shop = await createBusiness('invites');
    const result = await rpc(shop[role], 'invite_member', { business_id: shop.id, email: uniqueEmail('x'), role: 'viewer' });
    expect(result.error).toMatchObject({ code: '42501', status: 403 });
  });

  it('an admin of another business cannot invite into this one', async () => {
    const [shop, rival] = await Promise.all([createBusiness('invites'), createBusiness('rival')]);
    const result = await rpc(rival.admin, 'invite_member', { business_id: shop.id, email: uniqueEmail('x'), role: 'admin' });
    expect(result.error?.status).toBe(403);
  });

  it('a member cannot invite themselves to a higher role', async () => {
    const shop = await createBusiness('invites');
    const result = await rpc(shop.editor, 'invite_member', { business_id: shop.id, email: shop.editor.email!, role: 'admin' });
    expect(result.error?.status).toBe(403);
  });

  it('an admin cannot invite an existing member (409)', async () => {
    const shop = await createBusiness('invites');
    const result = await rpc(shop.admin, 'invite_member', { business_id: shop.id, email: shop.viewer.email!, role: 'admin' });
    expect(result.error).toMatchObject({ code: 'PT409', status: 409 });
  });

  it.each([
    ['an unknown business', { email: 'x@example.test', role: 'viewer', business_id: '00000000-0000-0000-0000-000000000001' }, 404],
    ['a malformed e-mail', { email: 'not-an-email', role: 'viewer' }, 400],
    ['an invalid role', { email: 'x@example.test', role: 'owner' }, 400],
  ])('answers the right 4xx for %s', async (_label, args, status) => {
    const shop = await createBusiness('invites');
    const result = await rpc(shop.admin, 'invite_member', { business_id: shop.id, ...args });
    expect(result.error?.status).toBe(status);
    const [row] = await superuser()`select count(*)::int as n from public.invitations where business_id = ${shop.id}`;
    expect(row.n).toBe(0);
  });
});

describe('changing and removing members', () => {
  it('an admin changes another member’s role, effective on the very next request', async () => {
    const shop = await createBusiness('roles');
    const before = await asUser(shop.editor, (tx) => tx`select public.has_permission(${shop.id}, 'products.approve') as ok`);
    expect(before.data![0].ok).toBe(false);
    expect((await rpc(shop.admin, 'change_member_role', { business_id: shop.id, user_id: shop.editor.id, role: 'approver' })).error).toBeNull();
    // Same (now stale) token: authorization reads the live tables.
    const after = await asUser(shop.editor, (tx) => tx`select public.has_permission(${shop.id}, 'products.approve') as ok`);
    expect(after.data![0].ok).toBe(true);
  });

  it('a demoted admin loses admin rights at once, even with a token that still says admin', async () => {
    const shop = await createBusiness('roles');
    await rpc(shop.admin, 'change_member_role', { business_id: shop.id, user_id: shop.approver.id, role: 'admin' });
    const promoted = shop.approver;
    await rpc(shop.admin, 'change_member_role', { business_id: shop.id, user_id: promoted.id, role: 'viewer' });
    const stale = await withClaims(promoted, { business_roles: { [shop.id]: 'admin' } });
    const result = await rpc(stale, 'invite_member', { business_id: shop.id, email: uniqueEmail('x'), role: 'admin' });
    expect(result.error?.status).toBe(403);
  });

  it('nobody can change their own role', async () => {
    const shop = await createBusiness('roles');
    const result = await rpc(shop.admin, 'change_member_role', { business_id: shop.id, user_id: shop.admin.id, role: 'viewer' });
    expect(result.error?.status).toBe(403);
    const editor = await rpc(shop.editor, 'change_member_role', { business_id: shop.id, user_id: shop.editor.id, role: 'admin' });
    expect(editor.error?.status).toBe(403);
    expect(await roleOf(shop.id, shop.editor.id)).toBe('editor');
  });

  it('non-managers cannot change or remove members', async () => {
    const shop = await createBusiness('roles');
    for (const actor of [shop.viewer, shop.editor, shop.approver]) {
      expect((await rpc(actor, 'change_member_role', { business_id: shop.id, user_id: shop.viewer.id, role: 'admin' })).error?.status).toBe(403);
      expect((await rpc(actor, 'remove_member', { business_id: shop.id, user_id: shop.viewer.id })).error?.status).toBe(403);
    }
    expect(await roleOf(shop.id, shop.viewer.id)).toBe('viewer');
  });

  it('the last admin cannot be demoted, removed, or leave', async () => {
    const shop = await createBusiness('roles');
    // Two admins: one demotes the other, then nobody can demote or remove the last one.
    await rpc(shop.admin, 'change_member_role', { business_id: shop.id, user_id: shop.approver.id, role: 'admin' });
    expect((await rpc(shop.approver, 'remove_member', { business_id: shop.id, user_id: shop.admin.id })).error).toBeNull();
    const leave = await asUser(shop.approver, (tx) => tx`select public.leave_business(${shop.id})`);
    expect(leave.error).toMatchObject({ code: 'PT422', status: 422 });
    expect(await roleOf(shop.id, shop.approver.id)).toBe('admin');
  });

  it('two admins demoting each other at the same moment leave one admin', async () => {
    const shop = await createBusiness('roles');
    await rpc(shop.admin, 'change_member_role', { business_id: shop.id, user_id: shop.approver.id, role: 'admin' });
    // Both calls are in flight together: each waits on the business row until both are waiting.
    const results = await whileLocked(
      (tx) => tx`select 1 from public.businesses where id = ${shop.id} for update`,
      () => Promise.all([
        rpc(shop.admin, 'change_member_role', { business_id: shop.id, user_id: shop.approver.id, role: 'viewer' }),
        rpc(shop.approver, 'change_member_role', { business_id: shop.id, user_id: shop.admin.id, role: 'viewer' }),
      ]),
      { query: 'change_member_role', count: 2 },
    );
    expect(results.filter((r) => r.error === null)).toHaveLength(1);
    // The loser was demoted first: it no longer manages members (403), or it would leave no admin (422).
    expect([403, 422]).toContain(results.find((r) => r.error)!.error!.status);
    const [row] = await superuser()`select count(*)::int as n from public.business_members where business_id = ${shop.id} and role = 'admin'`;
    expect(row.n).toBe(1);
  });

  it('members can leave; removed members lose access', async () => {
    const shop = await createBusiness('roles');
    expect((await asUser(shop.viewer, (tx) => tx`select public.leave_business(${shop.id})`)).error).toBeNull();
    expect(await roleOf(shop.id, shop.viewer.id)).toBeNull();
    expect((await rpc(shop.admin, 'remove_member', { business_id: shop.id, user_id: shop.editor.id })).error).toBeNull();
    const members = await asUser(shop.editor, (tx) => tx`select user_id from public.business_members where business_id = ${shop.id}`, { method: 'GET' });
    expect(members.data).toEqual([]);
  });

  it('answers 404 for a user who is not a member', async () => {
    const shop = await createBusiness('roles');
    const stranger = await createCustomer();
    expect((await rpc(shop.admin, 'remove_member', { business_id: shop.id, user_id: stranger.id })).error?.status).toBe(404);
    expect((await rpc(shop.admin, 'change_member_role', { business_id: shop.id, user_id: stranger.id, role: 'viewer' })).error?.status).toBe(404);
  });
});

describe('the permission map is data', () => {
  it('granting a permission to a role in role_permissions changes behaviour with no code change', async () => {
    const shop = await createBusiness('data');
    const check = () => asUser(shop.viewer, (tx) => tx`select public.has_permission(${shop.id}, 'orders.export') as ok`);
    expect((await check()).data![0].ok).toBe(false);
    await superuser()`insert into public.role_permissions (role, permission) values ('viewer', 'orders.export')`;
    try {
      expect((await check()).data![0].ok).toBe(true);
    } finally {
      await superuser()`delete from public.role_permissions where role = 'viewer' and permission = 'orders.export'`;
    }
    expect((await check()).data![0].ok).toBe(false);
  });

  it('a member manager cannot grant a role that can do more than their own', async () => {
    const shop = await createBusiness('data');
    // Give editors members.manage: they may now manage viewers, but never create admins.
    await superuser()`insert into public.role_permissions (role, permission) values ('editor', 'members.manage')`;
    try {
      const toAdmin = await rpc(shop.editor, 'change_member_role', { business_id: shop.id, user_id: shop.viewer.id, role: 'admin' });
      expect(toAdmin.error?.status).toBe(403);
      const invite = await rpc(shop.editor, 'invite_member', { business_id: shop.id, email: uniqueEmail('x'), role: 'approver' });
      expect(invite.error?.status).toBe(403);
      const removeAdmin = await rpc(shop.editor, 'remove_member', { business_id: shop.id, user_id: shop.admin.id });
      expect(removeAdmin.error?.status).toBe(403);
    } finally {
      await superuser()`delete from public.role_permissions where role = 'editor' and permission = 'members.manage'`;
    }
  });
});

describe('forged claims grant nothing', () => {
  it.each([
    ['app_metadata', { app_metadata: { role: 'admin', provider: 'email' } }],
    ['user_metadata', { user_metadata: { role: 'admin' } }],
    ['business_roles', {}],
  ])('a customer with forged %s is still a customer', async (label, changes) => {
    const shop = await createBusiness('forged');
    const customer = await createCustomer();
    const forged = await withClaims(customer, label === 'business_roles' ? { business_roles: { [shop.id]: 'admin' } } : changes);
    const members = await asUser(forged, (tx) => tx`select user_id from public.business_members where business_id = ${shop.id}`, { method: 'GET' });
    expect(members.data).toEqual([]);
    const invite = await rpc(forged, 'invite_member', { business_id: shop.id, email: uniqueEmail('x'), role: 'admin' });
    expect(invite.error?.status).toBe(403);
    const permitted = await asUser(forged, (tx) => tx`select public.has_permission(${shop.id}, 'members.manage') as ok`);
    expect(permitted.data![0].ok).toBe(false);
  });
});

describe('profiles', () => {
  it('are created from sign-up metadata', async () => {
    const user = await createUser({
      userMetadata: { full_name: ' Wanjiku Kamau ', phone: '+254700000001', company_name: 'Kamau Farms', tax_id: 'P0512', address: { city: 'Nakuru' } },
    });
    const { data } = await asUser(user, (tx) => tx`select full_name, phone, company_name, tax_id, address from public.profiles`, { method: 'GET' });
    expect(data).toEqual([{ full_name: 'Wanjiku Kamau', phone: '+254700000001', company_name: 'Kamau Farms', tax_id: 'P0512', address: { city: 'Nakuru' } }]);
  });

  it('survive metadata that does not fit', async () => {
    const user = await createUser({ userMetadata: { full_name: 'x'.repeat(500), address: 'not an object' } });
    const [row] = await superuser()`select char_length(full_name) as n, address from public.profiles where id = ${user.id}`;
    expect(row).toEqual({ n: 200, address: null });
  });

  it('cannot have their id changed by their owner', async () => {
    const user = await createCustomer();
    const result = await asUser(user, (tx) => tx`update public.profiles set id = gen_random_uuid() where id = ${user.id}`);
    expect(result.error).toMatchObject({ code: '42501', status: 403 });
  });

  it('co-members see each other’s names through list_business_members, outsiders see nothing', async () => {
    const shop = await createBusiness('directory');
    const { data } = await asUser(shop.viewer, (tx) => tx`select user_id, role, full_name from public.list_business_members(${shop.id})`);
    expect(data).toHaveLength(4);
    expect(data!.find((m) => m.user_id === shop.admin.id)).toMatchObject({ role: 'admin', full_name: 'directory admin' });
    const outsider = await createCustomer();
    const hidden = await asUser(outsider, (tx) => tx`select * from public.list_business_members(${shop.id})`);
    expect(hidden.data).toEqual([]);
  });
});
