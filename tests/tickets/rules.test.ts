// What the database enforces beyond a single RPC: first-response due times from data a business
// admin changes, ticket_stats against figures computed by hand, the auto-close and SLA-warning
// jobs, references, and internal notes kept from customers on every path.
import { beforeAll, describe, expect, it } from 'vitest';
import { connectAs, superuser } from '../support/db.ts';
import { type BusinessFixture, createBusiness, createCustomer } from '../support/fixtures.ts';
import { asUser } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';
import { comment, eventsOf, historyOf, insertTicket, ok, openTicket, rpc, setStatus, ticketRow } from './fixtures.ts';

let shop: BusinessFixture;

beforeAll(async () => {
  shop = await createBusiness('tickets-rules');
});

const HOUR = 3600 * 1000;

describe('references', () => {
  it.each([
    ['shamba-fresh', 'SHF'],
    ['mama-mboga', 'MAM'],
    ['duka', 'DUK'],
    ['a', 'AX'],
    ['2024-7', 'TKT'],
  ])('a business with slug %s numbers its tickets %s-000001, …', async (slug, prefix) => {
    const [{ p }] = await superuser()`select private.ticket_prefix_for(${slug}) as p`;
    expect(p).toBe(prefix);
  });

  it('every business has its settings row from the moment it is created (seeded ones too)', async () => {
    const [{ missing }] = await superuser()`
      select count(*)::int as missing from public.businesses b
      where not exists (select 1 from public.ticket_settings s where s.business_id = b.id)`;
    expect(missing).toBe(0);
    const seeded = await superuser()`
      select b.slug, s.reference_prefix from public.businesses b join public.ticket_settings s on s.business_id = b.id
      where b.slug in ('shamba-fresh', 'mama-mboga') order by b.slug`;
    expect(seeded.map((r) => [r.slug, r.reference_prefix])).toEqual([['mama-mboga', 'MAM'], ['shamba-fresh', 'SHF']]);
  });
});

describe('first-response due times', () => {
  it('follow the priority: urgent 1 h, high 4 h, normal 24 h, low 72 h', async () => {
    const customer = await createCustomer();
    const due = async (priority: string) => {
      const ticket = await openTicket(customer, shop.id, priority === 'urgent' ? {} : { priority });
      const row = priority === 'urgent'
        ? await ok(rpc(shop.admin, 'set_ticket_priority', { ticket_id: ticket.id, priority }))
        : ticket;
      return (row.first_response_due_at.getTime() - row.created_at.getTime()) / HOUR;
    };
    expect([await due('urgent'), await due('high'), await due('normal'), await due('low')]).toEqual([1, 4, 24, 72]);
  });

  it('a business admin changes the targets, for tickets opened afterwards; other roles cannot', async () => {
    const business = await createBusiness('tickets-sla');
    const customer = await createCustomer();
    const before = await openTicket(customer, business.id);
    const change = (user: TestUser) =>
      asUser(user, (tx) => tx`
        update public.ticket_settings set normal_first_response_minutes = 600
        where business_id = ${business.id} returning normal_first_response_minutes`);
    expect((await change(business.approver)).data).toEqual([]);
    expect((await change(business.admin)).data).toEqual([{ normal_first_response_minutes: 600 }]);
    const after = await openTicket(customer, business.id);
    expect((after.first_response_due_at.getTime() - after.created_at.getTime()) / HOUR).toBe(10);
    expect(await ticketRow(before.id)).toMatchObject({ first_response_due_at: before.first_response_due_at });
  });

  it('targets outside 1 minute .. 30 days are refused (400)', async () => {
    const result = await asUser(shop.admin, (tx) => tx`
      update public.ticket_settings set urgent_first_response_minutes = 0 where business_id = ${shop.id} returning 1`);
    expect(result.error?.status).toBe(400);
  });
});

describe('ticket_stats', () => {
  let business: BusinessFixture;
  beforeAll(async () => {
    business = await createBusiness('tickets-stats');
    const customer = (await createCustomer()).id;
    const base = { businessId: business.id, customerId: customer };
    // Hand-computed figures below come from exactly these tickets.
    await Promise.all([
      // answered in 2 h (due 24 h: met), resolved after 10 h, rated 5
      insertTicket({ ...base, age: '10 days', status: 'resolved', firstResponseAfter: '2 hours', resolvedAfter: '10 hours', rating: 5 }),
      // high: answered in 6 h (due 4 h: breached), resolved after 30 h, closed, rated 3
      insertTicket({ ...base, age: '5 days', status: 'closed', priority: 'high', dueAfter: '4 hours', firstResponseAfter: '6 hours', resolvedAfter: '30 hours', rating: 3 }),
      // low, unanswered, due in another day: neither met nor breached yet
      insertTicket({ ...base, age: '2 days', priority: 'low', dueAfter: '72 hours' }),
      // urgent, unanswered and an hour late: breached
      insertTicket({ ...base, age: '3 hours', status: 'in_progress', priority: 'urgent', dueAfter: '1 hour' }),
      // answered in 4 h (met), waiting on the customer
      insertTicket({ ...base, age: '25 hours', status: 'waiting_on_customer', firstResponseAfter: '4 hours' }),
      // opened before the period: only in the backlog
      insertTicket({ ...base, age: '40 days' }),
    ]);
  });

  it('over the last 30 days (the default), as computed by hand', async () => {
    const stats = (await ok(rpc(business.viewer, 'ticket_stats', { business_id: business.id }))).ticket_stats;
    expect(stats).toMatchObject({
      business_id: business.id,
      tickets: 5,
      by_status: { open: 1, in_progress: 1, waiting_on_customer: 1, resolved: 1, closed: 1 },
      by_priority: { low: 1, normal: 2, high: 1, urgent: 1 },
      // first responses 2 h, 4 h, 6 h: median 4 h; p90 = 4 h + 0.8 × 2 h = 5.6 h
      first_response: { count: 3, median_seconds: 14400, p90_seconds: 20160 },
      // resolutions 10 h and 30 h: median 20 h; p90 = 10 h + 0.9 × 20 h = 28 h
      resolution: { count: 2, median_seconds: 72000, p90_seconds: 100800 },
      first_response_sla: { met: 2, breached: 2 },
      rating: { count: 2, average: 4 },
      // unresolved, whenever opened: 3 h; 25 h and 2 days; 40 days
      open_backlog: { total: 4, under_1_day: 1, '1_to_3_days': 2, '3_to_7_days': 0, over_7_days: 1 },
    });
  });

  it('since a given time', async () => {
    const since = new Date(Date.now() - 3 * 24 * HOUR).toISOString();
    const stats = (await ok(rpc(business.admin, 'ticket_stats', { business_id: business.id, since }))).ticket_stats;
    expect(stats).toMatchObject({
      tickets: 3,
      first_response: { count: 1, median_seconds: 14400, p90_seconds: 14400 },
      resolution: { count: 0, median_seconds: null },
      first_response_sla: { met: 1, breached: 1 },
      rating: { count: 0, average: null },
    });
  });
});

describe('auto-close', () => {
  it('closes resolved tickets idle for 7 days, writes the history and announces it; younger ones stay', async () => {
    const customer = (await createCustomer()).id;
    const idle = await insertTicket({ businessId: shop.id, customerId: customer, status: 'resolved', age: '9 days', lastActivityAge: '7 days 1 minute' });
    const recent = await insertTicket({ businessId: shop.id, customerId: customer, status: 'resolved', age: '9 days', lastActivityAge: '6 days' });
    const waiting = await insertTicket({ businessId: shop.id, customerId: customer, status: 'waiting_on_customer', age: '30 days', lastActivityAge: '20 days' });
    await connectAs('postgres')`select private.close_idle_resolved_tickets()`;
    expect((await ticketRow(idle)).status).toBe('closed');
    expect((await ticketRow(recent)).status).toBe('resolved');
    expect((await ticketRow(waiting)).status).toBe('waiting_on_customer');
    expect(await historyOf(idle)).toEqual([
      { field: 'status', old_value: 'resolved', new_value: 'closed', actor_id: null, note: 'Closed automatically after 7 days without activity' },
    ]);
    expect((await eventsOf(idle)).map((e) => [e.kind, e.actor_id])).toEqual([['ticket_opened', customer], ['status_changed', null]]);
  });

  it('runs hourly as postgres through pg_cron', async () => {
    const [job] = await superuser()`select schedule, command, username from cron.job where jobname = 'close-idle-resolved-tickets'`;
    expect(job).toEqual({ schedule: '41 * * * *', command: 'select private.close_idle_resolved_tickets()', username: 'postgres' });
  });
});

describe('SLA warnings', () => {
  it('one warning per unanswered ticket past 80% of its first-response time, none for answered or overdue ones', async () => {
    const customer = (await createCustomer()).id;
    const base = { businessId: shop.id, customerId: customer };
    const nearlyDue = await insertTicket({ ...base, age: '20 hours 1 minute' });
    const early = await insertTicket({ ...base, age: '19 hours' });
    const answered = await insertTicket({ ...base, age: '23 hours', firstResponseAfter: '1 hour' });
    const overdue = await insertTicket({ ...base, age: '25 hours' });
    await connectAs('postgres')`select private.queue_ticket_sla_warnings()`;
    await connectAs('postgres')`select private.queue_ticket_sla_warnings()`;
    const warned = async (id: string) => (await eventsOf(id)).filter((e) => e.kind === 'sla_warning').length;
    expect([await warned(nearlyDue), await warned(early), await warned(answered), await warned(overdue)]).toEqual([1, 0, 0, 0]);
    const [job] = await superuser()`select schedule, username from cron.job where jobname = 'ticket-sla-warnings'`;
    expect(job).toEqual({ schedule: '*/5 * * * *', username: 'postgres' });
  });
});

describe('internal notes never reach the customer', () => {
  let customer: TestUser;
  let ticket: string;
  beforeAll(async () => {
    customer = await createCustomer();
    ticket = (await openTicket(customer, shop.id)).id;
    await ok(comment(shop.viewer, ticket, 'INTERNAL: customer is a reseller', true));
    await ok(comment(shop.approver, ticket, 'Thanks, we are on it.'));
    await ok(setStatus(shop.approver, ticket, 'waiting_on_customer', 'INTERNAL: wait for courier'));
  });

  it('not through the table', async () => {
    const { data } = await asUser(customer, (tx) => tx`select body, internal from public.ticket_comments where ticket_id = ${ticket}`, { method: 'GET' });
    expect(data).toEqual([{ body: 'Thanks, we are on it.', internal: false }]);
  });

  it('not through an embedding (tickets with their comments, as PostgREST embeds them)', async () => {
    const { data } = await asUser(customer, (tx) => tx`
      select t.reference, coalesce((select json_agg(c.body order by c.created_at) from public.ticket_comments c where c.ticket_id = t.id), '[]') as comments
      from public.tickets t where t.id = ${ticket}`, { method: 'GET' });
    expect(JSON.stringify(data)).not.toContain('INTERNAL');
    expect(data?.[0].comments).toEqual(['Thanks, we are on it.']);
  });

  it('not through the history (where status notes live) or filters on internal rows', async () => {
    const { data } = await asUser(customer, (tx) => tx`
      select (select count(*)::int from public.ticket_history where ticket_id = ${ticket}) as history,
             (select count(*)::int from public.ticket_comments where ticket_id = ${ticket} and internal) as notes`, { method: 'GET' });
    expect(data).toEqual([{ history: 0, notes: 0 }]);
  });

  it('not through RPC results: the customer\'s own calls return only what they may read', async () => {
    const reply = await ok(comment(customer, ticket, 'Here you go.'));
    expect(reply.internal).toBe(false);
    expect(JSON.stringify(await ok(setStatus(customer, ticket, 'closed')))).not.toContain('INTERNAL');
    expect((await rpc(customer, 'ticket_stats', { business_id: shop.id })).error?.status).toBe(403);
  });

  it('not through realtime: no ticket table is published to Postgres Changes', async () => {
    const published = await superuser()`select tablename from pg_publication_tables where tablename like 'ticket%'`;
    expect(published).toEqual([]);
  });
});

describe('plan guards: list pages stay on their index under RLS', () => {
  let busy: BusinessFixture;
  beforeAll(async () => {
    // A business with thousands of tickets (written without triggers: no events), so that the
    // lists read like a real business's.
    busy = await createBusiness('tickets-plans');
    const customers = await Promise.all([createCustomer(), createCustomer(), createCustomer()]);
    await superuser().begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`
        insert into public.tickets (business_id, customer_id, reference, subject, body, status, first_response_due_at, created_at)
        select ${busy.id}, (${customers.map((c) => c.id)}::uuid[])[1 + n % 3], 'PLN-' || lpad(n::text, 6, '0'), 'Subject', 'Body',
               (array['open', 'in_progress', 'waiting_on_customer'])[1 + n % 3]::public.ticket_status,
               now() + make_interval(mins => n), now() - make_interval(mins => n)
        from generate_series(1, 4000) n`;
    });
    await superuser()`analyze public.tickets`;
  });

  // Each list must be read in its index's order, with the status filter implied by a partial
  // index (enum equality cannot be an index condition under RLS). Sequential scans are off so
  // that the test tables' size does not decide. The BitmapOr that the policy's staff arm avoids
  // shows only at benchmark scale (docs/tickets.md, "How lists stay fast").
  async function planOf(user: TestUser, query: string, params: unknown[]): Promise<string> {
    const { data, error } = await asUser(user, async (tx) => {
      await tx`set local enable_seqscan = off`;
      return tx.unsafe(`explain (format text) ${query}`, params as never[]);
    }, { method: 'GET' });
    if (error) throw new Error(error.message);
    return data.map((row) => row['QUERY PLAN']).join('\n');
  }

  it.each([
    ['open, by due time', `status = 'open' order by first_response_due_at, id`, 'tickets_open_due_idx'],
    ['waiting on the customer, newest first', `status = 'waiting_on_customer' order by created_at desc, id desc`, 'tickets_waiting_created_idx'],
    ['all, newest first', 'true order by created_at desc, id desc', 'tickets_business_created_idx'],
    ['all, by due time', 'true order by first_response_due_at, id', 'tickets_business_due_idx'],
  ])('staff list: %s', async (_label, rest, index) => {
    const plan = await planOf(busy.viewer, `select id from public.tickets where business_id = $1 and ${rest} limit 25`, [busy.id]);
    expect(plan).toContain(`Index Scan using ${index}`);
    expect(plan).not.toMatch(/Sort|BitmapOr/);
  });

  it('a customer\'s own list', async () => {
    const customer = await createCustomer();
    const plan = await planOf(customer, 'select id from public.tickets where customer_id = $1 order by created_at desc limit 25', [customer.id]);
    expect(plan).toContain('tickets_customer_created_idx');
    expect(plan).not.toContain('BitmapOr');
  });
});
