// Threat: a member who leaves the business keeps reading its tickets by e-mail. Tickets were
// e-mailed to their assignee (customer comments, internal notes) whoever the assignee was by
// then: an approver assigned a ticket, then removed or demoted, went on receiving every comment
// and internal note on it. Removing or demoting a member (whatever the path) unassigns their
// unclosed tickets with a history row, and ticket-notifications only e-mails an assignee who
// still holds tickets.manage — the managers hear instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { superuser } from '../support/db.ts';
import { type BusinessFixture, createBusiness, createCustomer } from '../support/fixtures.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import { asServiceRole, asUser } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';
import { comment, historyOf, ok, openTicket, rpc, ticketRow } from '../tickets/fixtures.ts';

let functions: RunningFunctions;
let serviceRoleKey: string;

beforeAll(async () => {
  serviceRoleKey = (await apiKeys()).serviceRoleKey;
  functions = await startFunctions({ SITE_URL: 'https://shop.sokoni.test' });
});

afterAll(async () => {
  await functions?.stop();
});

/** Delivers the database webhook of a ticket's last event to ticket-notifications (with the service key) and returns its outbox rows. */
async function notifyLastEvent(ticketId: string): Promise<{ recipient: string; message: string; text: string }[]> {
  const [event] = await superuser()`select id from private.ticket_events where ticket_id = ${ticketId} order by id desc limit 1`;
  const res = await functions.call('ticket-notifications', {
    method: 'POST',
    jwt: serviceRoleKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'INSERT', table: 'ticket_events', schema: 'private', record: { id: Number(event.id) }, old_record: null }),
  });
  expect(res.status).toBe(200);
  return await superuser()`
    select recipient, payload ->> 'message' as message, payload ->> 'text' as text
    from private.notifications where payload ->> 'event_id' = ${event.id} order by recipient` as never;
}

const email = (user: TestUser) => user.email!.toLowerCase();

describe('a departed assignee no longer reads the ticket by e-mail', () => {
  let shop: BusinessFixture;
  let customer: TestUser;

  beforeAll(async () => {
    shop = await createBusiness('departed');
    customer = await createCustomer('departed-customer');
  });

  async function assignedTicket(): Promise<string> {
    const ticket = await openTicket(customer, shop.id, { subject: 'Wrong size sent' });
    await ok(rpc(shop.admin, 'assign_ticket', { ticket_id: ticket.id, assignee_id: shop.approver.id }));
    return ticket.id;
  }

  const departures: Array<[string, () => Promise<unknown>, () => Promise<unknown>]> = [
    [
      'removed by an admin',
      () => ok(rpc(shop.admin, 'remove_member', { business_id: shop.id, user_id: shop.approver.id })),
      () => superuser()`insert into public.business_members (business_id, user_id, role) values (${shop.id}, ${shop.approver.id}, 'approver')`,
    ],
    [
      'demoted to viewer (no tickets.manage)',
      () => ok(rpc(shop.admin, 'change_member_role', { business_id: shop.id, user_id: shop.approver.id, role: 'viewer' })),
      () => superuser()`update public.business_members set role = 'approver' where business_id = ${shop.id} and user_id = ${shop.approver.id}`,
    ],
    [
      'removed directly with the service key',
      () => asServiceRole((tx) => tx`delete from public.business_members where business_id = ${shop.id} and user_id = ${shop.approver.id}`),
      () => superuser()`insert into public.business_members (business_id, user_id, role) values (${shop.id}, ${shop.approver.id}, 'approver')`,
    ],
  ];

  it.each(departures)('an assignee %s is unassigned, with a history row, and gets no more e-mails about the ticket', async (_how, depart, restore) => {
    const ticketId = await assignedTicket();
    try {
      await depart();
      expect((await ticketRow(ticketId)).assignee_id).toBeNull();
      expect((await historyOf(ticketId)).at(-1)).toMatchObject({
        field: 'assignee', old_value: shop.approver.id, new_value: null, actor_id: null,
      });

      await ok(comment(customer, ticketId, 'My home address is 12 Moi Avenue, call 0700 000 000'));
      const customerComment = await notifyLastEvent(ticketId);
      expect(customerComment.map((row) => row.recipient)).not.toContain(email(shop.approver));
      expect(customerComment.map((row) => row.recipient)).toContain(email(shop.admin));

      await ok(comment(shop.admin, ticketId, 'INTERNAL: refund without return', true));
      const note = await notifyLastEvent(ticketId);
      expect(note.map((row) => row.recipient)).not.toContain(email(shop.approver));
    } finally {
      await restore();
    }
  });

  it('an event announced while the assignee still held the ticket is not e-mailed to them once they have left', async () => {
    const ticketId = await assignedTicket();
    // The comment's event is queued while the approver is the assignee; they are removed before
    // ticket-notifications processes it (a webhook that arrives late, or the sweep).
    await ok(comment(customer, ticketId, 'Please call me back on 0700 111 111'));
    const [event] = await superuser()`select id from private.ticket_events where ticket_id = ${ticketId} order by id desc limit 1`;
    await superuser()`update private.ticket_events set processed_at = null where id = ${event.id}`;
    await superuser()`delete from private.notifications where payload ->> 'event_id' = ${event.id}`;
    await ok(rpc(shop.admin, 'remove_member', { business_id: shop.id, user_id: shop.approver.id }));
    try {
      const rows = await notifyLastEvent(ticketId);
      expect(rows.map((row) => row.recipient)).not.toContain(email(shop.approver));
      expect(rows.map((row) => row.recipient)).toContain(email(shop.admin));
    } finally {
      await superuser()`insert into public.business_members (business_id, user_id, role) values (${shop.id}, ${shop.approver.id}, 'approver')`;
    }
  });

  it('a former member cannot be made the assignee again, and the removed member reads nothing through the API', async () => {
    const ticketId = await assignedTicket();
    await ok(rpc(shop.admin, 'remove_member', { business_id: shop.id, user_id: shop.approver.id }));
    try {
      const reassign = await rpc(shop.admin, 'assign_ticket', { ticket_id: ticketId, assignee_id: shop.approver.id });
      expect(reassign.error).toMatchObject({ code: 'PT422' });
      const read = await asUser(shop.approver, (tx) => tx`select id from public.ticket_comments where ticket_id = ${ticketId}`);
      expect(read).toEqual({ data: [], error: null });
    } finally {
      await superuser()`insert into public.business_members (business_id, user_id, role) values (${shop.id}, ${shop.approver.id}, 'approver')`;
    }
  });

  it('an assignee whose account is deleted leaves the ticket unassigned (the deletion goes through)', async () => {
    const other = await createBusiness('departed-deleted');
    const ticket = await openTicket(await createCustomer('departed-deleted-customer'), other.id, { subject: 'Never delivered' });
    await ok(rpc(other.admin, 'assign_ticket', { ticket_id: ticket.id, assignee_id: other.approver.id }));
    await superuser()`delete from auth.users where id = ${other.approver.id}`;
    expect((await ticketRow(ticket.id)).assignee_id).toBeNull();
  });

  it('deleting a business whose tickets are assigned goes through (the unassign trigger meets the cascade)', async () => {
    const doomed = await createBusiness('departed-business');
    const ticket = await openTicket(await createCustomer('departed-business-customer'), doomed.id, { subject: 'Gone' });
    await ok(rpc(doomed.admin, 'assign_ticket', { ticket_id: ticket.id, assignee_id: doomed.approver.id }));
    await superuser()`delete from public.businesses where id = ${doomed.id}`;
    expect(await ticketRow(ticket.id)).toBeUndefined();
  });
});
