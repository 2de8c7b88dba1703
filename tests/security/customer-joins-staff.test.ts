// Threat: a ticket's customer who later joins the business's staff reads what the staff wrote
// about them. Members cannot open tickets with their own business, but an admin may invite an
// existing ticket's customer: as a member with tickets.manage they read the ticket's internal
// notes, their attachments and its history, and act on it as staff. The ticket's customer now
// stays its customer on every path (table, join, history, Storage, RPCs), and is staff on the
// business's other tickets.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { type BusinessFixture, createBusiness, createCustomer } from '../support/fixtures.ts';
import { asUser } from '../support/postgrest.ts';
import { storageAs } from '../support/storage.ts';
import { signIn, type TestUser } from '../support/users.ts';
import { comment, ok, openTicket, rpc, setStatus } from '../tickets/fixtures.ts';

const BUCKET = 'ticket-attachments';
const pdf = { contentType: 'application/pdf', size: 1000 };
let shop: BusinessFixture;
let insider: TestUser;
let ownTicket: string;
let otherTicket: string;
let internalPath: string;

beforeAll(async () => {
  shop = await createBusiness('customer-joins');
  const customer = await createCustomer('customer-joins');
  ownTicket = (await openTicket(customer, shop.id, { subject: 'Refund please' })).id;
  otherTicket = (await openTicket(await createCustomer('customer-joins-other'), shop.id)).id;
  internalPath = `${ownTicket}/internal/${randomUUID()}-fraud-check.pdf`;
  expect((await storageAs(shop.viewer).upload(BUCKET, internalPath, pdf)).error).toBeNull();
  await ok(comment(shop.viewer, ownTicket, 'INTERNAL: this customer filed three chargebacks', true, [internalPath]));
  await ok(comment(shop.admin, ownTicket, 'We are looking into it.'));
  await ok(setStatus(shop.admin, ownTicket, 'waiting_on_customer', 'INTERNAL: stall until the chargeback clears'));
  await ok(comment(shop.viewer, otherTicket, 'INTERNAL: note on another customer', true));
  // Invited as an approver (tickets.manage), accepted; signed in again so the token is current.
  await superuser()`insert into public.business_members (business_id, user_id, role) values (${shop.id}, ${customer.id}, 'approver')`;
  insider = await signIn(customer.id);
});

const read = (user: TestUser, run: Parameters<typeof asUser>[1]) => asUser(user, run).then(({ data, error }) => {
  if (error) throw new Error(error.message);
  return data as Record<string, unknown>[];
});

describe('a ticket\'s customer who joins the staff stays its customer', () => {
  it('reads the public comments of their own ticket, never its internal notes', async () => {
    const bodies = (await read(insider, (tx) => tx`select body, internal from public.ticket_comments where ticket_id = ${ownTicket}`))
      .map((row) => row.body);
    expect(bodies).toEqual(['We are looking into it.']);
    // The same rows through a join from the ticket, as an embedding reads them.
    const joined = await read(insider, (tx) => tx`
      select c.body from public.tickets t join public.ticket_comments c on c.ticket_id = t.id where t.id = ${ownTicket}`);
    expect(joined.map((row) => row.body)).toEqual(['We are looking into it.']);
  });

  it('reads none of their own ticket\'s history (staff only)', async () => {
    expect(await read(insider, (tx) => tx`select note from public.ticket_history where ticket_id = ${ownTicket}`)).toEqual([]);
  });

  it('cannot download or list the internal attachment of their own ticket', async () => {
    expect((await storageAs(insider).download(BUCKET, internalPath)).error?.statusCode).toBe(404);
    expect((await storageAs(insider).list(BUCKET, `${ownTicket}/internal/`)).data ?? []).toEqual([]);
    expect((await storageAs(insider).upload(BUCKET, `${ownTicket}/internal/planted.pdf`, pdf)).error?.statusCode).toBe(403);
  });

  it.each([
    ['an internal note', () => comment(insider, ownTicket, 'Note to self', true)],
    ['a priority change', () => rpc(insider, 'set_ticket_priority', { ticket_id: ownTicket, priority: 'urgent' })],
    ['an assignment to themselves', () => rpc(insider, 'assign_ticket', { ticket_id: ownTicket, assignee_id: insider.id })],
    ['a move to resolved', () => setStatus(insider, ownTicket, 'resolved')],
  ])('is refused %s on their own ticket (42501, nothing changed)', async (_label, attempt) => {
    const before = await superuser()`select status, priority, assignee_id, (select count(*) from public.ticket_comments c where c.ticket_id = t.id) as comments
                                     from public.tickets t where t.id = ${ownTicket}`;
    const { error } = await attempt();
    expect(error?.code).toBe('42501');
    expect(await superuser()`select status, priority, assignee_id, (select count(*) from public.ticket_comments c where c.ticket_id = t.id) as comments
                             from public.tickets t where t.id = ${ownTicket}`).toEqual(before);
  });

  it('cannot be made their own ticket\'s assignee by a manager (422, nothing changed)', async () => {
    const { error } = await rpc(shop.admin, 'assign_ticket', { ticket_id: ownTicket, assignee_id: insider.id });
    expect(error?.code).toBe('PT422');
    const [row] = await superuser()`select assignee_id from public.tickets where id = ${ownTicket}`;
    expect(row.assignee_id).toBeNull();
  });

  it('is staff on the business\'s other tickets: reads their internal notes and history, and may add one', async () => {
    const notes = await read(insider, (tx) => tx`select body from public.ticket_comments where ticket_id = ${otherTicket} and internal`);
    expect(notes.map((row) => row.body)).toEqual(['INTERNAL: note on another customer']);
    await ok(comment(insider, otherTicket, 'INTERNAL: seen', true));
  });

  it('the other staff still read every note of the ticket', async () => {
    const notes = await read(shop.viewer, (tx) => tx`select body from public.ticket_comments where ticket_id = ${ownTicket} and internal`);
    expect(notes.map((row) => row.body)).toEqual(['INTERNAL: this customer filed three chargebacks']);
    expect((await read(shop.viewer, (tx) => tx`select note from public.ticket_history where ticket_id = ${ownTicket}`)).length).toBeGreaterThan(0);
  });
});
