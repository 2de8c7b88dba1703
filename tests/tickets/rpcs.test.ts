// The ticket RPCs as each kind of caller meets them: the customer, the business's staff by
// permission, another business, another customer and anon; every transition of the state
// machine; bad input that changes nothing.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOrder, createProduct } from '../notifications/fixtures.ts';
import { superuser } from '../support/db.ts';
import { type BusinessFixture, createBusiness, createCustomer } from '../support/fixtures.ts';
import { asAnon, asUser } from '../support/postgrest.ts';
import { storageAs } from '../support/storage.ts';
import type { TestUser } from '../support/users.ts';
import { comment, eventsOf, historyOf, insertTicket, ok, openTicket, rpc, setStatus, ticketRow } from './fixtures.ts';

let shop: BusinessFixture;
let rival: BusinessFixture;

beforeAll(async () => {
  [shop, rival] = await Promise.all([createBusiness('tickets-rpc'), createBusiness('tickets-rpc-rival')]);
});

function anonRpc(name: string, args: Record<string, unknown>) {
  const names = Object.keys(args);
  return asAnon((tx) => tx.unsafe(`select * from public.${name}(${names.map((a, i) => `${a} := $${i + 1}`).join(', ')})`, Object.values(args) as never[]));
}

async function countTickets(customer: TestUser): Promise<number> {
  const [{ count }] = await superuser()`select count(*)::int from public.tickets where customer_id = ${customer.id}`;
  return count;
}

describe('open_ticket', () => {
  it('a customer opens a ticket: numbered reference, open, due by the normal target, announced once', async () => {
    const customer = await createCustomer();
    const first = await openTicket(customer, shop.id, { subject: '  Late maize  ', category: 'delivery' });
    const second = await openTicket(customer, shop.id);
    expect(first).toMatchObject({ status: 'open', priority: 'normal', category: 'delivery', subject: 'Late maize', customer_id: customer.id });
    expect(first.reference).toMatch(/^[A-Z]{2,6}-\d{6}$/);
    const number = (ref: string) => Number(ref.split('-')[1]);
    expect(number(second.reference)).toBe(number(first.reference) + 1);
    expect(first.first_response_due_at.getTime() - first.created_at.getTime()).toBe(24 * 3600 * 1000);
    expect((await eventsOf(first.id)).map((e) => [e.kind, e.actor_id])).toEqual([['ticket_opened', customer.id]]);
  });

  it('references are numbered per business', async () => {
    const customer = await createCustomer();
    const here = await openTicket(customer, shop.id);
    const there = await openTicket(customer, rival.id);
    const [{ next_number: shopNext }] = await superuser()`select next_number from public.ticket_settings where business_id = ${shop.id}`;
    expect(Number(here.reference.split('-')[1])).toBe(Number(shopNext) - 1);
    const [{ next_number }] = await superuser()`select next_number from public.ticket_settings where business_id = ${rival.id}`;
    expect(Number(there.reference.split('-')[1])).toBe(Number(next_number) - 1);
  });

  it('may be about the customer\'s own order with that business, and no other', async () => {
    const [customer, stranger] = await Promise.all([createCustomer(), createCustomer()]);
    const product = await createProduct(shop.id);
    const own = await createOrder({ businessId: shop.id, customer, lines: [{ productId: product, name: 'Maize', unitPrice: 10, quantity: 1 }] });
    const strangers = await createOrder({ businessId: shop.id, customer: stranger, lines: [{ productId: product, name: 'Maize', unitPrice: 10, quantity: 1 }] });
    const rivalProduct = await createProduct(rival.id);
    const elsewhere = await createOrder({ businessId: rival.id, customer, lines: [{ productId: rivalProduct, name: 'Beans', unitPrice: 10, quantity: 1 }] });
    expect((await openTicket(customer, shop.id, { order_id: own, category: 'order' })).order_id).toBe(own);
    for (const order of [strangers, elsewhere, randomUUID()]) {
      const result = await rpc(customer, 'open_ticket', { business_id: shop.id, subject: 's', body: 'b', order_id: order });
      expect(result.error?.status).toBe(400);
    }
    expect(await countTickets(customer)).toBe(1);
  });

  it.each([
    ['an empty subject', { subject: '   ' }],
    ['a subject over 200 characters', { subject: 'x'.repeat(201) }],
    ['an empty body', { body: '' }],
    ['a body over 10,000 characters', { body: 'x'.repeat(10_001) }],
    ['an unknown category', { category: 'refund-now' }],
    ['an unknown priority', { priority: 'asap' }],
    ['a business id that is not a uuid', { business_id: 'shop' }],
  ])('%s is a 400 that creates nothing', async (_label, change) => {
    const customer = await createCustomer();
    const result = await rpc(customer, 'open_ticket', { business_id: shop.id, subject: 'Hello', body: 'World', ...change });
    expect(result.error?.status).toBe(400);
    expect(await countTickets(customer)).toBe(0);
  });

  it('customers cannot open urgent tickets (403)', async () => {
    const customer = await createCustomer();
    const result = await rpc(customer, 'open_ticket', { business_id: shop.id, subject: 's', body: 'b', priority: 'urgent' });
    expect(result.error?.status).toBe(403);
  });

  it('an unknown business is a 404', async () => {
    const result = await rpc(await createCustomer(), 'open_ticket', { business_id: randomUUID(), subject: 's', body: 'b' });
    expect(result.error?.status).toBe(404);
  });

  it('the business\'s own members cannot open tickets with it (422), but can with another business', async () => {
    expect((await rpc(shop.viewer, 'open_ticket', { business_id: shop.id, subject: 's', body: 'b' })).error?.status).toBe(422);
    expect((await rpc(shop.viewer, 'open_ticket', { business_id: rival.id, subject: 's', body: 'b' })).error).toBeNull();
  });

  it('anon cannot call it (401)', async () => {
    expect((await anonRpc('open_ticket', { business_id: shop.id, subject: 's', body: 'b' })).error?.status).toBe(401);
  });
});

describe('anti-abuse limits', () => {
  it('a customer opens at most 5 tickets an hour (429 for the 6th)', async () => {
    const customer = await createCustomer();
    for (let i = 0; i < 5; i++) await openTicket(customer, shop.id);
    const sixth = await rpc(customer, 'open_ticket', { business_id: rival.id, subject: 's', body: 'b' });
    expect(sixth.error?.status).toBe(429);
    expect(await countTickets(customer)).toBe(5);
  });

  it('a customer has at most 20 unresolved tickets (422 for the 21st); resolved ones do not count', async () => {
    const customer = await createCustomer();
    for (let i = 0; i < 20; i++) await insertTicket({ businessId: shop.id, customerId: customer.id, age: '2 hours' });
    expect((await rpc(customer, 'open_ticket', { business_id: shop.id, subject: 's', body: 'b' })).error?.status).toBe(422);
    await superuser()`
      update public.tickets set status = 'resolved', resolved_at = now()
      where id = (select id from public.tickets where customer_id = ${customer.id} limit 1)`;
    expect((await rpc(customer, 'open_ticket', { business_id: shop.id, subject: 's', body: 'b' })).error).toBeNull();
  });

  it('two opens at once cannot both take the last slot of the hour', async () => {
    const customer = await createCustomer();
    for (let i = 0; i < 4; i++) await openTicket(customer, shop.id);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstOpened!: () => void;
    const opened = new Promise<void>((resolve) => (firstOpened = resolve));
    // The first request opens the 5th ticket and keeps its transaction open.
    const first = asUser(customer, async (tx) => {
      const rows = await tx`select * from public.open_ticket(business_id := ${shop.id}, subject := 'first', body := 'b')`;
      firstOpened();
      await held;
      return rows;
    });
    await opened;
    const second = asUser(customer, (tx) => tx`select * from public.open_ticket(business_id := ${shop.id}, subject := 'second', body := 'b')`);
    // The second waits for the first's per-customer lock before counting.
    await expect.poll(async () => {
      const [{ waiting }] = await superuser()`
        select count(*)::int as waiting from pg_locks where locktype = 'advisory' and not granted`;
      return waiting;
    }, { timeout: 5000 }).toBeGreaterThan(0);
    release();
    expect((await first).error).toBeNull();
    expect((await second).error?.status).toBe(429);
    expect(await countTickets(customer)).toBe(5);
  });
});

// Every (from, to) pair for a tickets.manage holder.
const STATUSES = ['open', 'in_progress', 'waiting_on_customer', 'resolved', 'closed'] as const;
const LEGAL: Record<string, string[]> = {
  open: ['in_progress', 'waiting_on_customer', 'resolved', 'closed'],
  in_progress: ['waiting_on_customer', 'resolved', 'closed'],
  waiting_on_customer: ['in_progress', 'resolved', 'closed'],
  resolved: ['closed', 'open'],
  closed: [],
};
const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to, LEGAL[from].includes(to)] as const));

describe('set_ticket_status', () => {
  let customer: TestUser;
  beforeAll(async () => {
    customer = await createCustomer();
  });

  it.each(pairs)('%s → %s: allowed %s', async (from, to, legal) => {
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id, status: from });
    const result = await setStatus(shop.approver, ticket, to, 'Checked with the courier');
    if (!legal) {
      expect(result.error?.status).toBe(409);
      expect((await ticketRow(ticket)).status).toBe(from);
      expect(await historyOf(ticket)).toEqual([]);
      return;
    }
    expect(result.error).toBeNull();
    const row = await ticketRow(ticket);
    expect(row.status).toBe(to);
    expect(row.closed_at !== null).toBe(to === 'closed');
    expect(row.resolved_at !== null).toBe(to === 'resolved' || (to === 'closed' && from === 'resolved'));
    expect(await historyOf(ticket)).toEqual([
      { field: 'status', old_value: from, new_value: to, actor_id: shop.approver.id, note: 'Checked with the courier' },
    ]);
  });

  it('the customer may close their own ticket, from any state but closed', async () => {
    for (const from of ['open', 'in_progress', 'waiting_on_customer', 'resolved']) {
      const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id, status: from });
      expect((await setStatus(customer, ticket, 'closed')).error).toBeNull();
      expect((await historyOf(ticket))[0]).toMatchObject({ new_value: 'closed', actor_id: customer.id });
    }
  });

  it('the customer may not move their ticket anywhere else (403)', async () => {
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id });
    for (const to of ['in_progress', 'waiting_on_customer', 'resolved']) {
      expect((await setStatus(customer, ticket, to)).error?.status).toBe(403);
    }
  });

  it.each([
    ['a viewer', (): TestUser | null => shop.viewer, 403],
    ['an editor', (): TestUser | null => shop.editor, 403],
    ['another customer', (): TestUser | null => null, 404],
    ['another business\'s admin', (): TestUser | null => rival.admin, 404],
  ] as const)('%s cannot change the status', async (_label, who, status) => {
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id });
    const caller = who() ?? await createCustomer();
    expect((await setStatus(caller, ticket, 'closed')).error?.status).toBe(status);
    expect((await ticketRow(ticket)).status).toBe('open');
  });

  it('anon cannot (401); an unknown ticket is a 404; a bad status a 400', async () => {
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id });
    expect((await anonRpc('set_ticket_status', { ticket_id: ticket, status: 'closed' })).error?.status).toBe(401);
    expect((await setStatus(shop.admin, randomUUID(), 'closed')).error?.status).toBe(404);
    expect((await setStatus(shop.admin, ticket, 'done')).error?.status).toBe(400);
    expect((await setStatus(shop.admin, ticket, 'resolved', 'x'.repeat(2001))).error?.status).toBe(400);
  });

  it('reopening a resolved ticket clears its resolution time', async () => {
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id, status: 'resolved' });
    await ok(setStatus(shop.admin, ticket, 'open'));
    expect((await ticketRow(ticket)).resolved_at).toBeNull();
  });
});

describe('comment_on_ticket', () => {
  it('the customer replies publicly; a reply on a ticket waiting on them moves it to in_progress', async () => {
    const customer = await createCustomer();
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id, status: 'waiting_on_customer' });
    const reply = await ok(comment(customer, ticket, 'Here is my receipt.'));
    expect(reply).toMatchObject({ internal: false, author_id: customer.id, body: 'Here is my receipt.' });
    expect((await ticketRow(ticket)).status).toBe('in_progress');
    expect(await historyOf(ticket)).toEqual([
      { field: 'status', old_value: 'waiting_on_customer', new_value: 'in_progress', actor_id: customer.id, note: 'The customer replied' },
    ]);
  });

  it('a customer reply within 7 days of the resolution reopens the ticket; after that a new ticket is needed', async () => {
    const customer = await createCustomer();
    const recent = await insertTicket({ businessId: shop.id, customerId: customer.id, status: 'resolved', age: '6 days', resolvedAfter: '1 minute' });
    await ok(comment(customer, recent, 'It broke again.'));
    expect(await ticketRow(recent)).toMatchObject({ status: 'open', resolved_at: null });
    const old = await insertTicket({ businessId: shop.id, customerId: customer.id, status: 'resolved', age: '8 days', resolvedAfter: '1 minute' });
    expect((await comment(customer, old, 'It broke again.')).error?.status).toBe(422);
    expect((await ticketRow(old)).status).toBe('resolved');
  });

  it('nobody comments on a closed ticket (409)', async () => {
    const customer = await createCustomer();
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id, status: 'closed' });
    expect((await comment(customer, ticket, 'Hello?')).error?.status).toBe(409);
    expect((await comment(shop.admin, ticket, 'Note', true)).error?.status).toBe(409);
  });

  it('customers cannot add internal notes (403)', async () => {
    const customer = await createCustomer();
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id });
    expect((await comment(customer, ticket, 'psst', true)).error?.status).toBe(403);
  });

  it('tickets.read holders add internal notes but only tickets.manage holders reply to the customer', async () => {
    const customer = await createCustomer();
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id });
    for (const member of [shop.viewer, shop.editor, shop.approver, shop.admin]) {
      expect((await comment(member, ticket, 'internal', true)).error).toBeNull();
    }
    expect((await comment(shop.viewer, ticket, 'public')).error?.status).toBe(403);
    expect((await comment(shop.editor, ticket, 'public')).error?.status).toBe(403);
    expect((await comment(shop.approver, ticket, 'public')).error).toBeNull();
  });

  it('the first public staff reply sets first_response_at, and later replies and notes do not move it', async () => {
    const customer = await createCustomer();
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id });
    await ok(comment(shop.admin, ticket, 'note', true));
    await ok(comment(customer, ticket, 'anyone?'));
    expect((await ticketRow(ticket)).first_response_at).toBeNull();
    await ok(comment(shop.approver, ticket, 'On it.'));
    const answered = (await ticketRow(ticket)).first_response_at;
    expect(answered).not.toBeNull();
    await ok(comment(shop.admin, ticket, 'Shipped today.'));
    expect((await ticketRow(ticket)).first_response_at).toEqual(answered);
  });

  it.each([
    ['another customer', (): TestUser | null => null, 404],
    ['another business\'s admin', (): TestUser | null => rival.admin, 404],
  ] as const)('%s cannot comment (%i)', async (_label, who, status) => {
    const customer = await createCustomer();
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id });
    expect((await comment(who() ?? await createCustomer(), ticket, 'hi')).error?.status).toBe(status);
  });

  it('anon cannot comment (401)', async () => {
    const ticket = await insertTicket({ businessId: shop.id, customerId: (await createCustomer()).id });
    expect((await anonRpc('comment_on_ticket', { ticket_id: ticket, body: 'hi' })).error?.status).toBe(401);
  });

  describe('attachments', () => {
    const pdf = { contentType: 'application/pdf', size: 1000 };

    it('are files the commenter uploaded to the ticket folder (internal/ for notes)', async () => {
      const customer = await createCustomer();
      const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id });
      await storageAs(customer).upload('ticket-attachments', `${ticket}/receipt.pdf`, pdf);
      await storageAs(shop.viewer).upload('ticket-attachments', `${ticket}/internal/courier.pdf`, pdf);
      expect((await ok(comment(customer, ticket, 'receipt', false, [`${ticket}/receipt.pdf`]))).attachments).toEqual([`${ticket}/receipt.pdf`]);
      expect((await comment(shop.viewer, ticket, 'courier', true, [`${ticket}/internal/courier.pdf`])).error).toBeNull();
    });

    it.each([
      ['a path outside the ticket folder', (_t: string) => [`${randomUUID()}/x.pdf`]],
      ['an internal path on a public comment', (t: string) => [`${t}/internal/courier.pdf`]],
      ['a file nobody uploaded', (t: string) => [`${t}/missing.pdf`]],
      ['a file someone else uploaded', (t: string) => [`${t}/staff.pdf`]],
      ['the same file twice', (t: string) => [`${t}/mine.pdf`, `${t}/mine.pdf`]],
      ['more than 10 files', (t: string) => Array.from({ length: 11 }, (_, i) => `${t}/f${i}.pdf`)],
    ])('%s is a 400 that adds nothing', async (_label, paths) => {
      const customer = await createCustomer();
      const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id });
      await storageAs(customer).upload('ticket-attachments', `${ticket}/mine.pdf`, pdf);
      await storageAs(shop.admin).upload('ticket-attachments', `${ticket}/staff.pdf`, pdf);
      await storageAs(shop.admin).upload('ticket-attachments', `${ticket}/internal/courier.pdf`, pdf);
      expect((await comment(customer, ticket, 'see attached', false, paths(ticket))).error?.status).toBe(400);
      const [{ count }] = await superuser()`select count(*)::int from public.ticket_comments where ticket_id = ${ticket}`;
      expect(count).toBe(0);
    });
  });

  it.each([
    ['an empty body', ''],
    ['a body over 10,000 characters', 'x'.repeat(10_001)],
  ])('%s is a 400', async (_label, body) => {
    const customer = await createCustomer();
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id });
    expect((await comment(customer, ticket, body)).error?.status).toBe(400);
  });
});

describe('set_ticket_priority', () => {
  it('a manager changes it: history written, the unanswered ticket\'s due time follows the new target', async () => {
    const customer = await createCustomer();
    const ticket = await openTicket(customer, shop.id);
    const row = await ok(rpc(shop.approver, 'set_ticket_priority', { ticket_id: ticket.id, priority: 'urgent' }));
    expect(row.priority).toBe('urgent');
    expect(row.first_response_due_at.getTime() - row.created_at.getTime()).toBe(3600 * 1000);
    expect(await historyOf(ticket.id)).toEqual([
      { field: 'priority', old_value: 'normal', new_value: 'urgent', actor_id: shop.approver.id, note: null },
    ]);
  });

  it('an answered ticket keeps its due time', async () => {
    const customer = await createCustomer();
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id, firstResponseAfter: '1 hour' });
    const before = (await ticketRow(ticket)).first_response_due_at;
    const row = await ok(rpc(shop.admin, 'set_ticket_priority', { ticket_id: ticket, priority: 'low' }));
    expect(row.first_response_due_at).toEqual(before);
  });

  it.each([
    ['the customer', 'customer', 403],
    ['a viewer', 'viewer', 403],
    ['an editor', 'editor', 403],
    ['another business\'s admin', 'rival', 404],
  ] as const)('%s cannot (%i)', async (_label, who, status) => {
    const customer = await createCustomer();
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id });
    const caller = who === 'customer' ? customer : who === 'rival' ? rival.admin : shop[who];
    expect((await rpc(caller, 'set_ticket_priority', { ticket_id: ticket, priority: 'high' })).error?.status).toBe(status);
  });

  it('anon cannot (401); closed tickets are final (409)', async () => {
    const ticket = await insertTicket({ businessId: shop.id, customerId: (await createCustomer()).id, status: 'closed' });
    expect((await anonRpc('set_ticket_priority', { ticket_id: ticket, priority: 'high' })).error?.status).toBe(401);
    expect((await rpc(shop.admin, 'set_ticket_priority', { ticket_id: ticket, priority: 'high' })).error?.status).toBe(409);
  });
});

describe('assign_ticket', () => {
  it('a manager assigns a tickets.manage holder, and unassigns; each change is in the history', async () => {
    const ticket = await insertTicket({ businessId: shop.id, customerId: (await createCustomer()).id });
    expect((await ok(rpc(shop.admin, 'assign_ticket', { ticket_id: ticket, assignee_id: shop.approver.id }))).assignee_id).toBe(shop.approver.id);
    expect((await ok(rpc(shop.admin, 'assign_ticket', { ticket_id: ticket, assignee_id: null }))).assignee_id).toBeNull();
    expect((await historyOf(ticket)).map((h) => [h.field, h.old_value, h.new_value])).toEqual([
      ['assignee', null, shop.approver.id],
      ['assignee', shop.approver.id, null],
    ]);
    expect((await eventsOf(ticket)).map((e) => e.kind)).toEqual(['ticket_opened', 'assigned']);
  });

  it.each([
    ['a viewer (no tickets.manage)', () => shop.viewer.id],
    ['another business\'s admin', () => rival.admin.id],
    ['a stranger', () => randomUUID()],
  ])('cannot assign %s (422)', async (_label, assignee) => {
    const ticket = await insertTicket({ businessId: shop.id, customerId: (await createCustomer()).id });
    expect((await rpc(shop.admin, 'assign_ticket', { ticket_id: ticket, assignee_id: assignee() })).error?.status).toBe(422);
  });

  it.each([
    ['the customer', 'customer', 403],
    ['an editor', 'editor', 403],
    ['another business\'s admin', 'rival', 404],
  ] as const)('%s cannot assign (%i)', async (_label, who, status) => {
    const customer = await createCustomer();
    const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id });
    const caller = who === 'customer' ? customer : who === 'rival' ? rival.admin : shop[who];
    expect((await rpc(caller, 'assign_ticket', { ticket_id: ticket, assignee_id: shop.admin.id })).error?.status).toBe(status);
  });

  it('anon cannot (401)', async () => {
    const ticket = await insertTicket({ businessId: shop.id, customerId: (await createCustomer()).id });
    expect((await anonRpc('assign_ticket', { ticket_id: ticket, assignee_id: shop.admin.id })).error?.status).toBe(401);
  });
});

describe('rate_ticket', () => {
  it('the customer rates a resolved or closed ticket once', async () => {
    const customer = await createCustomer();
    for (const status of ['resolved', 'closed']) {
      const ticket = await insertTicket({ businessId: shop.id, customerId: customer.id, status });
      const rated = await ok(rpc(customer, 'rate_ticket', { ticket_id: ticket, rating: 4, comment: ' Quick and kind ' }));
      expect(rated).toMatchObject({ rating: 4, rating_comment: 'Quick and kind' });
      expect((await rpc(customer, 'rate_ticket', { ticket_id: ticket, rating: 1 })).error?.status).toBe(409);
      expect((await ticketRow(ticket)).rating).toBe(4);
    }
  });

  it('not before it is resolved (422), not out of 1..5 (400)', async () => {
    const customer = await createCustomer();
    const open = await insertTicket({ businessId: shop.id, customerId: customer.id });
    expect((await rpc(customer, 'rate_ticket', { ticket_id: open, rating: 5 })).error?.status).toBe(422);
    const resolved = await insertTicket({ businessId: shop.id, customerId: customer.id, status: 'resolved' });
    for (const rating of [0, 6, 2.5]) {
      expect((await rpc(customer, 'rate_ticket', { ticket_id: resolved, rating })).error?.status).toBe(400);
    }
    expect((await rpc(customer, 'rate_ticket', { ticket_id: resolved, rating: 5, comment: 'x'.repeat(2001) })).error?.status).toBe(400);
    expect((await ticketRow(resolved)).rating).toBeNull();
  });

  it.each([
    ['staff', 'admin', 403],
    ['another customer', 'other', 404],
    ['another business\'s admin', 'rival', 404],
  ] as const)('%s cannot rate (%i)', async (_label, who, status) => {
    const ticket = await insertTicket({ businessId: shop.id, customerId: (await createCustomer()).id, status: 'resolved' });
    const caller = who === 'admin' ? shop.admin : who === 'rival' ? rival.admin : await createCustomer();
    expect((await rpc(caller, 'rate_ticket', { ticket_id: ticket, rating: 5 })).error?.status).toBe(status);
  });

  it('anon cannot (401)', async () => {
    const ticket = await insertTicket({ businessId: shop.id, customerId: (await createCustomer()).id, status: 'resolved' });
    expect((await anonRpc('rate_ticket', { ticket_id: ticket, rating: 5 })).error?.status).toBe(401);
  });
});

describe('ticket_stats access', () => {
  it.each(['viewer', 'editor', 'approver', 'admin'] as const)('a %s reads their business\'s stats', async (role) => {
    expect((await rpc(shop[role], 'ticket_stats', { business_id: shop.id })).error).toBeNull();
  });

  it('customers (403), another business\'s admin (403) and anon (401) cannot', async () => {
    expect((await rpc(await createCustomer(), 'ticket_stats', { business_id: shop.id })).error?.status).toBe(403);
    expect((await rpc(rival.admin, 'ticket_stats', { business_id: shop.id })).error?.status).toBe(403);
    expect((await anonRpc('ticket_stats', { business_id: shop.id })).error?.status).toBe(401);
  });
});
