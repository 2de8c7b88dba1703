// Threat: business takeover through a leftover invitation. A rogue admin invites an accomplice
// as admin and is then removed (or demoted) by another admin; the accomplice must not be able
// to accept and take the business over. Removing or demoting a member withdraws the
// invitations they could no longer send, and acceptance re-checks the inviter's authority.
// Also: revoke_invitation and the list of pending invitations for members.manage holders.
import type { Row } from 'postgres';
import { describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { gate, waitUntilBlockedBy } from '../support/locks.ts';
import { type BusinessFixture, createBusiness, createCustomer } from '../support/fixtures.ts';
import { asAnon, asUser, type ApiResult } from '../support/postgrest.ts';
import { createUser, signIn, type TestUser, uniqueEmail } from '../support/users.ts';

function rpc(user: TestUser, call: string, args: Record<string, unknown>): Promise<ApiResult<Row[]>> {
  const names = Object.keys(args);
  const placeholders = names.map((name, i) => `${name} := $${i + 1}`).join(', ');
  return asUser(user, (tx) => tx.unsafe(`select * from public.${call}(${placeholders})`, Object.values(args) as never[]));
}

async function membersOf(businessId: string) {
  return await superuser()`
    select user_id, role::text from public.business_members where business_id = ${businessId} order by user_id`;
}

async function pendingInvitations(businessId: string) {
  return await superuser()`
    select id, email, role::text, invited_by from public.invitations
    where business_id = ${businessId} and accepted_at is null order by email`;
}

/** A business whose second admin (the rogue) has invited an accomplice as admin. */
async function rogueInvitation(role: 'admin' | 'approver' | 'editor' | 'viewer' = 'admin') {
  const shop = await createBusiness('takeover');
  const rogueUser = await createUser({ email: uniqueEmail('rogue') });
  await superuser()`insert into public.business_members (business_id, user_id, role) values (${shop.id}, ${rogueUser.id}, 'admin')`;
  const rogue = await signIn(rogueUser.id);
  const email = uniqueEmail('accomplice');
  const invited = await rpc(rogue, 'invite_member', { business_id: shop.id, email, role });
  expect(invited.error).toBeNull();
  const accomplice = await createUser({ email });
  return { shop, rogue, accomplice, invitation: invited.data![0] as { id: string; token: string } };
}

async function expectTakeoverRefused(shop: BusinessFixture, accomplice: TestUser, token: string) {
  const before = await membersOf(shop.id);
  const accepted = await rpc(accomplice, 'accept_invitation', { token });
  expect(accepted.error?.status).toBeGreaterThanOrEqual(400);
  expect(accepted.error?.status).toBeLessThan(500);
  expect(await membersOf(shop.id)).toEqual(before);
  // The remaining admin is still there and still the only one who can manage members.
  const removal = await rpc(accomplice, 'remove_member', { business_id: shop.id, user_id: shop.admin.id });
  expect(removal.error).toMatchObject({ code: '42501', status: 403 });
  return accepted.error!;
}

describe('business takeover through a leftover invitation', () => {
  it('removing the inviter withdraws their pending invitation: the accomplice cannot accept it', async () => {
    const { shop, rogue, accomplice, invitation } = await rogueInvitation();
    expect((await rpc(shop.admin, 'remove_member', { business_id: shop.id, user_id: rogue.id })).error).toBeNull();
    expect(await pendingInvitations(shop.id)).toEqual([]);
    const error = await expectTakeoverRefused(shop, accomplice, invitation.token);
    expect(error).toMatchObject({ code: 'PT404', status: 404 });
  });

  it.each(['approver', 'editor', 'viewer'] as const)(
    'demoting the inviter to %s withdraws the admin invitation they can no longer send',
    async (role) => {
      const { shop, rogue, accomplice, invitation } = await rogueInvitation();
      expect((await rpc(shop.admin, 'change_member_role', { business_id: shop.id, user_id: rogue.id, role })).error).toBeNull();
      expect(await pendingInvitations(shop.id)).toEqual([]);
      await expectTakeoverRefused(shop, accomplice, invitation.token);
    },
  );

  it('an inviter who leaves takes their pending invitations with them', async () => {
    const { shop, rogue, accomplice, invitation } = await rogueInvitation();
    expect((await asUser(rogue, (tx) => tx`select public.leave_business(${shop.id})`)).error).toBeNull();
    await expectTakeoverRefused(shop, accomplice, invitation.token);
  });

  it('a membership removed directly with the service key withdraws the invitations too', async () => {
    const { shop, rogue, accomplice, invitation } = await rogueInvitation();
    await superuser()`delete from public.business_members where business_id = ${shop.id} and user_id = ${rogue.id}`;
    await expectTakeoverRefused(shop, accomplice, invitation.token);
  });

  it('an inviter whose account is deleted leaves no usable invitation behind', async () => {
    const { shop, rogue, accomplice, invitation } = await rogueInvitation();
    await superuser()`delete from auth.users where id = ${rogue.id}`;
    expect(await pendingInvitations(shop.id)).toEqual([]);
    await expectTakeoverRefused(shop, accomplice, invitation.token);
  });

  it('acceptance after the inviter lost authority is refused even if the invitation survived (409)', async () => {
    const { shop, rogue, accomplice, invitation } = await rogueInvitation();
    const [row] = await superuser()`select * from public.invitations where id = ${invitation.id}`;
    expect((await rpc(shop.admin, 'change_member_role', { business_id: shop.id, user_id: rogue.id, role: 'editor' })).error).toBeNull();
    // The row as it was, as if a path that skipped the withdrawal (an edited permission map,
    // a restored backup) had left it: acceptance re-checks the inviter itself.
    await superuser()`insert into public.invitations ${superuser()(row as Record<string, unknown>)}`;
    const error = await expectTakeoverRefused(shop, accomplice, invitation.token);
    expect(error).toMatchObject({ code: 'PT409', status: 409 });
    expect(error.message).toContain('withdrawn');
  });

  it('acceptance racing the removal of its inviter waits for it and is then refused', async () => {
    const { shop, rogue, accomplice, invitation } = await rogueInvitation();
    const removalGate = gate();
    // The remaining admin removes the rogue and keeps the transaction (and the business lock) open.
    const removal = asUser(shop.admin, async (tx) => {
      await tx`select public.remove_member(business_id := ${shop.id}, user_id := ${rogue.id})`;
      const [{ pid }] = await tx`select pg_backend_pid() as pid`;
      await removalGate.hold(pid);
    });
    try {
      const holder = await removalGate.holding;
      const acceptance = rpc(accomplice, 'accept_invitation', { token: invitation.token });
      // Release only once the acceptance is waiting for the business row the removal holds.
      await waitUntilBlockedBy(holder);
      removalGate.release();
      expect((await removal).error).toBeNull();
      expect((await acceptance).error).toMatchObject({ code: 'PT409', status: 409 });
      expect(await membersOf(shop.id)).not.toContainEqual(expect.objectContaining({ user_id: accomplice.id }));
    } finally {
      removalGate.release();
    }
  });

  it('removing or demoting an unrelated member leaves other admins\' invitations valid', async () => {
    const { shop, accomplice, invitation } = await rogueInvitation('viewer');
    expect((await rpc(shop.admin, 'remove_member', { business_id: shop.id, user_id: shop.editor.id })).error).toBeNull();
    expect((await rpc(shop.admin, 'change_member_role', { business_id: shop.id, user_id: shop.approver.id, role: 'viewer' })).error).toBeNull();
    expect((await rpc(accomplice, 'accept_invitation', { token: invitation.token })).error).toBeNull();
    expect(await membersOf(shop.id)).toContainEqual({ user_id: accomplice.id, role: 'viewer' });
  });
});

describe('revoke_invitation', () => {
  async function pending(shop: BusinessFixture, role: 'admin' | 'viewer' = 'viewer') {
    const invited = await rpc(shop.admin, 'invite_member', { business_id: shop.id, email: uniqueEmail('invitee'), role });
    return invited.data![0] as { id: string; token: string; email: string };
  }

  it('an admin revokes a pending invitation: it is gone and its token no longer works', async () => {
    const shop = await createBusiness('revoke');
    const invitation = await pending(shop);
    expect((await rpc(shop.admin, 'revoke_invitation', { invitation_id: invitation.id })).error).toBeNull();
    expect(await pendingInvitations(shop.id)).toEqual([]);
    const invitee = await createUser({ email: invitation.email });
    expect((await rpc(invitee, 'accept_invitation', { token: invitation.token })).error).toMatchObject({ status: 404 });
  });

  it.each([
    ['a viewer', (shop: BusinessFixture) => shop.viewer],
    ['an editor', (shop: BusinessFixture) => shop.editor],
    ['an approver', (shop: BusinessFixture) => shop.approver],
  ])('%s of the business gets 404 and the invitation stays', async (_label, who) => {
    const shop = await createBusiness('revoke');
    const invitation = await pending(shop);
    expect((await rpc(who(shop), 'revoke_invitation', { invitation_id: invitation.id })).error).toMatchObject({ code: 'PT404', status: 404 });
    expect(await pendingInvitations(shop.id)).toHaveLength(1);
  });

  it('an admin of another business and a customer get 404; anon gets 401; nothing changes', async () => {
    const [shop, rival, customer] = await Promise.all([createBusiness('revoke'), createBusiness('revoke-rival'), createCustomer()]);
    const invitation = await pending(shop);
    for (const who of [rival.admin, customer]) {
      expect((await rpc(who, 'revoke_invitation', { invitation_id: invitation.id })).error).toMatchObject({ code: 'PT404', status: 404 });
    }
    const anon = await asAnon((tx) => tx`select public.revoke_invitation(invitation_id := ${invitation.id})`);
    expect(anon.error).toMatchObject({ code: '42501', status: 401 });
    expect(await pendingInvitations(shop.id)).toHaveLength(1);
  });

  it('answers 409 for an accepted invitation, 404 for an unknown id and 400 without an id', async () => {
    const shop = await createBusiness('revoke');
    const invitation = await pending(shop);
    const invitee = await createUser({ email: invitation.email });
    expect((await rpc(invitee, 'accept_invitation', { token: invitation.token })).error).toBeNull();
    expect((await rpc(shop.admin, 'revoke_invitation', { invitation_id: invitation.id })).error).toMatchObject({ code: 'PT409', status: 409 });
    expect(await membersOf(shop.id)).toContainEqual({ user_id: invitee.id, role: 'viewer' });
    expect((await rpc(shop.admin, 'revoke_invitation', { invitation_id: crypto.randomUUID() })).error?.status).toBe(404);
    expect((await rpc(shop.admin, 'revoke_invitation', { invitation_id: null })).error?.status).toBe(400);
  });
});

describe('pending invitations are listed for members.manage holders', () => {
  it('the admin lists them; other members, other businesses and customers see none', async () => {
    const [shop, rival, customer] = await Promise.all([createBusiness('listing'), createBusiness('listing-rival'), createCustomer()]);
    const email = uniqueEmail('listed');
    await rpc(shop.admin, 'invite_member', { business_id: shop.id, email, role: 'editor' });
    const list = (user: TestUser) => asUser(user, (tx) => tx`
      select email, role::text, invited_by from public.invitations
      where business_id = ${shop.id} and accepted_at is null`, { method: 'GET' });
    expect((await list(shop.admin)).data).toEqual([{ email, role: 'editor', invited_by: shop.admin.id }]);
    for (const who of [shop.approver, shop.editor, shop.viewer, rival.admin, customer]) {
      expect((await list(who)).data).toEqual([]);
    }
  });
});
