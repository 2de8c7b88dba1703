// Threat: limits per customer, bypassed with a new anonymous sign-in every few requests. Every
// ticket e-mails the business's managers and every conversation may e-mail each chat.read
// member hourly; the per-customer limits (5 tickets an hour, 30 messages a minute) count one
// account, and anonymous sign-ins cost nothing. Anonymous sign-ins share a budget per business
// and hour (20 tickets, 20 new conversations); beyond it they get 429 and nothing is created,
// while confirmed customers are not counted against it and are never shut out.
import { describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { whileLocked } from '../support/locks.ts';
import { createUser, type TestUser } from '../support/users.ts';
import { rpc } from '../tickets/fixtures.ts';

const guests = (n: number) => Promise.all(Array.from({ length: n }, () => createUser({ anonymous: true })));

const openTicket = (user: TestUser, businessId: string) =>
  rpc(user, 'open_ticket', { business_id: businessId, subject: 'Where is my order', body: 'Nothing came.' });
const startConversation = (user: TestUser, businessId: string) =>
  rpc(user, 'start_conversation', { business_id: businessId, body: 'Hello?' });

async function count(table: 'tickets' | 'conversations', businessId: string): Promise<number> {
  const [row] = await superuser().unsafe(`select count(*)::int as n from public.${table} where business_id = $1`, [businessId]);
  return row.n;
}

describe.each([
  ['tickets', openTicket, 'tickets'],
  ['conversations', startConversation, 'conversations'],
] as const)('a flood of %s from fresh anonymous sign-ins', (_what, create, table) => {
  it('the 21st from a new anonymous account within an hour is refused with 429 and creates nothing; a confirmed customer still gets through', async () => {
    const shop = await createBusiness(`flood-${table}`);
    for (const guest of await guests(20)) expect((await create(guest, shop.id)).error).toBeNull();
    const [late] = await guests(1);
    expect((await create(late, shop.id)).error).toMatchObject({ code: 'PT429', status: 429 });
    expect(await count(table, shop.id)).toBe(20);
    expect((await create(await createCustomer(`flood-${table}-confirmed`), shop.id)).error).toBeNull();
    expect(await count(table, shop.id)).toBe(21);
  });

  it('the budget is per business, and those of more than an hour ago do not count', async () => {
    const [spent, fresh] = await Promise.all([createBusiness(`flood-${table}-spent`), createBusiness(`flood-${table}-fresh`)]);
    const crowd = await guests(20);
    for (const guest of crowd) expect((await create(guest, spent.id)).error).toBeNull();
    const [another] = await guests(1);
    expect((await create(another, fresh.id)).error).toBeNull();
    await superuser().unsafe(`update public.${table} set created_at = created_at - interval '61 minutes' where business_id = $1`, [spent.id]);
    expect((await create(another, spent.id)).error).toBeNull();
  });
});

describe('concurrent guests', () => {
  it('with 2 tickets left in the budget, 4 guests at once (all waiting on the business\'s guest lock) get exactly 2 through', async () => {
    const shop = await createBusiness('flood-race');
    for (const guest of await guests(18)) expect((await openTicket(guest, shop.id)).error).toBeNull();
    const crowd = await guests(4);
    const results = await whileLocked(
      (tx) => tx`select pg_advisory_xact_lock(hashtextextended(${`open_ticket:anonymous:${shop.id}`}, 0))`,
      () => Promise.all(crowd.map((guest) => openTicket(guest, shop.id))),
      { query: 'open_ticket', count: 4 },
    );
    expect(results.filter((r) => r.error === null)).toHaveLength(2);
    expect(results.filter((r) => r.error?.code === 'PT429')).toHaveLength(2);
    expect(await count('tickets', shop.id)).toBe(20);
  });
});
