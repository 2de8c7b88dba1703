// Ticket notifications end to end: an RPC commits → the ticket_events webhook (URL and key from
// Vault) is sent by the pg_net stand-in after commit → ticket-notifications queues the e-mails
// in the outbox → the outbox's own webhook → send-notifications → a fake Resend. Also: who may
// call the function, duplicated webhooks, lost webhooks and a function that is down.
//
// Vault is shared by the whole test database: this suite holds the Vault lock, and points Vault
// at a gateway of its own that forwards to the functions only what concerns this suite's
// tickets (other suites' e-mails stay queued, as they would with no Vault at all).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { connectAs, newConnection, superuser } from '../support/db.ts';
import { type FakeResend, startFakeResend } from '../support/fake-resend.ts';
import { type BusinessFixture, createBusiness, createCustomer } from '../support/fixtures.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import type { TestUser } from '../support/users.ts';
import { lockVault } from '../support/vault.ts';
import { comment, ok, openTicket, type Row, setStatus } from './fixtures.ts';

interface Forwarded {
  path: string;
  authorization: string | undefined;
  body: string;
}

let resend: FakeResend;
let functions: RunningFunctions;
let gateway: http.Server;
let releaseVault: () => Promise<void>;
let serviceRoleKey: string;
let shop: BusinessFixture;
/** 'up' forwards; 'dropped' cuts the connection (a lost request); 'down' answers 503 as a gateway whose function died. */
let mode: 'up' | 'dropped' | 'down' = 'up';
const received: Forwarded[] = [];
const ourTickets = new Set<string>();

/** Forwards send-notifications calls only when every listed message is about one of our tickets. */
async function concernsUs(body: string): Promise<boolean> {
  const ids = (JSON.parse(body || '{}') as { ids?: string[] }).ids;
  if (!ids?.length) return false;
  const [{ ours }] = await superuser()`
    select count(*)::int as ours from private.notifications
    where id = any(${ids}::uuid[]) and kind = 'ticket_message' and payload ->> 'ticket_id' = any(${[...ourTickets]}::text[])`;
  return ours === ids.length;
}

async function startGateway(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      received.push({ path, authorization: req.headers.authorization, body });
      const name = /^\/functions\/v1\/([^/?]+)/.exec(path)?.[1];
      if (name === 'ticket-notifications' && mode === 'dropped') return void req.socket.destroy();
      if (name === 'ticket-notifications' && mode === 'down') {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"msg":"function unavailable"}');
        return;
      }
      if (name !== 'ticket-notifications' && !(name === 'send-notifications' && await concernsUs(body))) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","message":"not forwarded","data":null}');
        return;
      }
      const answer = await functions.call(name, {
        method: 'POST', body, headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return server;
}

async function setVault(name: string, value: string) {
  await superuser()`delete from vault.secrets where name = ${name}`;
  await superuser()`select vault.create_secret(${value}, ${name})`;
}

beforeAll(async () => {
  releaseVault = await lockVault();
  serviceRoleKey = (await apiKeys()).serviceRoleKey;
  resend = await startFakeResend();
  functions = await startFunctions({
    RESEND_API_BASE: resend.url,
    RESEND_API_KEY: 're_test_key',
    SITE_URL: 'https://shop.sokoni.test',
    TICKET_NOTIFICATIONS_SWEEP_GRACE_SECONDS: '0',
    // Other suites' tickets leave their events unprocessed in the shared database (no webhook
    // reaches them), oldest first: one sweep must reach this suite's events behind them.
    TICKET_NOTIFICATIONS_SWEEP_BATCH_SIZE: '1000',
  });
  gateway = await startGateway();
  await setVault('functions_base_url', `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/functions/v1`);
  await setVault('service_role_key', serviceRoleKey);
  shop = await createBusiness('tickets-hook');
});

afterAll(async () => {
  await superuser()`delete from vault.secrets where name in ('functions_base_url', 'service_role_key')`;
  await releaseVault?.();
  gateway?.closeAllConnections();
  await new Promise((resolve) => gateway ? gateway.close(resolve) : resolve(undefined));
  await functions?.stop();
  await resend?.close();
});

beforeEach(() => {
  mode = 'up';
});

async function open(customer: TestUser, subject: string): Promise<Row> {
  const ticket = await openTicket(customer, shop.id, { subject });
  ourTickets.add(ticket.id);
  return ticket;
}

async function lastEvent(ticketId: string): Promise<Row> {
  const [event] = await superuser()`select * from private.ticket_events where ticket_id = ${ticketId} order by id desc limit 1`;
  return event;
}

function waitProcessed(eventId: string, timeout = 10_000) {
  return expect.poll(async () => {
    const [row] = await superuser()`select processed_at from private.ticket_events where id = ${eventId}`;
    return row.processed_at !== null;
  }, { timeout }).toBe(true);
}

function mailTo(user: TestUser, subjectPart: string) {
  return resend.delivered().filter((email) => email.to.includes(user.email!.toLowerCase()) && email.subject.includes(subjectPart));
}

function outboxFor(eventId: string) {
  return superuser()`
    select recipient, status, payload ->> 'message' as message, payload ->> 'text' as text
    from private.notifications where payload ->> 'event_id' = ${eventId} order by recipient`;
}

/**
 * What pg_net recorded for the webhook of a ticket's opening: the hooks row was written in the
 * same transaction as the ticket, so it has the same now().
 */
async function openingWebhookOutcome(ticketId: string): Promise<Row> {
  let outcome: Row | undefined;
  await expect.poll(async () => {
    [outcome] = await superuser()`
      select h.request_id, r.status_code, r.error_msg
      from supabase_functions.hooks h join net._http_response r on r.id = h.request_id
      where h.hook_name = 'ticket_notifications_webhook'
        and h.created_at = (select t.created_at from public.tickets t where t.id = ${ticketId})`;
    return outcome !== undefined;
  }, { timeout: 10_000 }).toBe(true);
  return outcome!;
}

describe('end to end', () => {
  it('a new ticket: the webhook after commit, then a receipt to the customer and e-mails to the managers through Resend', async () => {
    const customer = await createCustomer('hook-customer');
    const ticket = await open(customer, 'Maize never came');
    const event = await lastEvent(ticket.id);
    await waitProcessed(event.id);

    const [hook] = received.filter((r) => r.path === '/functions/v1/ticket-notifications' && JSON.parse(r.body).record?.id === Number(event.id));
    expect(hook.authorization).toBe(`Bearer ${serviceRoleKey}`);
    expect(JSON.parse(hook.body)).toMatchObject({
      type: 'INSERT', table: 'ticket_events', schema: 'private', old_record: null,
      record: { id: Number(event.id), ticket_id: ticket.id, kind: 'ticket_opened', actor_id: customer.id },
    });
    expect(await openingWebhookOutcome(ticket.id)).toMatchObject({ status_code: 200, error_msg: null });

    // Three messages, which send-notifications may deliver in separate runs: all sent first.
    await expect.poll(async () => (await outboxFor(event.id)).map((r) => r.status), { timeout: 10_000 }).toEqual(['sent', 'sent', 'sent']);
    expect(mailTo(customer, 'We received your request')).toHaveLength(1);
    expect(mailTo(shop.approver, 'New ticket: Maize never came')).toHaveLength(1);
    expect(mailTo(shop.admin, 'New ticket: Maize never came')).toHaveLength(1);
    // Only managers: viewers and editors hold tickets.read, not tickets.manage.
    expect(mailTo(shop.viewer, 'New ticket')).toHaveLength(0);
    const [receipt] = mailTo(customer, 'We received your request');
    expect(receipt.subject).toBe(`[${ticket.reference}] We received your request: Maize never came`);
    expect(receipt.text).toContain(`https://shop.sokoni.test/tickets/${ticket.id}`);
    expect(receipt.html).toContain(ticket.reference);
  });

  it('an internal note reaches staff only; the public reply after it reaches the customer without the note', async () => {
    const customer = await createCustomer('hook-internal');
    const ticket = await open(customer, 'Bruised avocados');
    await ok(comment(shop.viewer, ticket.id, 'SECRET: this customer returns everything', true));
    const note = await lastEvent(ticket.id);
    await ok(comment(shop.approver, ticket.id, 'We will send fresh ones tomorrow.'));
    const reply = await lastEvent(ticket.id);
    await waitProcessed(note.id);
    await waitProcessed(reply.id);

    const noteRows = await outboxFor(note.id);
    expect(noteRows.map((r) => r.recipient).sort()).toEqual([shop.admin.email, shop.approver.email].map((e) => e!.toLowerCase()).sort());
    expect(noteRows.every((r) => r.message === 'internal_note')).toBe(true);
    await expect.poll(() => mailTo(customer, 'New reply from').length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => mailTo(shop.admin, 'Internal note').length, { timeout: 10_000 }).toBe(1);
    const toCustomer = resend.delivered().filter((email) => email.to.includes(customer.email!.toLowerCase()));
    expect(JSON.stringify(toCustomer)).not.toContain('SECRET');
    expect(toCustomer.find((e) => e.subject.includes('New reply'))?.text).toContain('We will send fresh ones tomorrow.');
    // The approver wrote the reply: not e-mailed about it.
    expect((await outboxFor(reply.id)).map((r) => r.recipient)).toEqual([customer.email!.toLowerCase()]);
  });

  it('a status change e-mails the customer; the customer\'s own close e-mails nobody', async () => {
    const customer = await createCustomer('hook-status');
    const ticket = await open(customer, 'Wrong invoice');
    await ok(setStatus(shop.approver, ticket.id, 'resolved', 'internal remark'));
    const resolved = await lastEvent(ticket.id);
    await waitProcessed(resolved.id);
    await expect.poll(() => mailTo(customer, 'Your ticket is now resolved').length, { timeout: 10_000 }).toBe(1);
    expect(mailTo(customer, 'Your ticket is now resolved')[0].text).not.toContain('internal remark');
    await ok(setStatus(customer, ticket.id, 'closed'));
    const closed = await lastEvent(ticket.id);
    await waitProcessed(closed.id);
    expect(await outboxFor(closed.id)).toEqual([]);
  });
});

describe('delivery guarantees', () => {
  it('a duplicated webhook sends once', async () => {
    const customer = await createCustomer('hook-dup');
    const ticket = await open(customer, 'Duplicate me');
    const event = await lastEvent(ticket.id);
    await waitProcessed(event.id);
    const payload = received.find((r) => r.path === '/functions/v1/ticket-notifications' && JSON.parse(r.body).record?.id === Number(event.id))!.body;
    const replays = await Promise.all([1, 2].map(() =>
      functions.call('ticket-notifications', { method: 'POST', jwt: serviceRoleKey, headers: { 'content-type': 'application/json' }, body: payload })
    ));
    for (const replay of replays) {
      expect(replay.status).toBe(200);
      expect((await replay.json()).data).toEqual({ event_id: Number(event.id), outcome: 'already', queued: 0 });
    }
    await expect.poll(() => mailTo(customer, 'We received your request').length, { timeout: 10_000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(mailTo(customer, 'We received your request')).toHaveLength(1);
    expect(await outboxFor(event.id)).toHaveLength(3);
  });

  it('two copies of the same webhook at once: one queues the e-mails, the other finds them queued', async () => {
    mode = 'dropped';
    const customer = await createCustomer('hook-race');
    const ticket = await open(customer, 'Twice at once');
    const event = await lastEvent(ticket.id);
    await openingWebhookOutcome(ticket.id);
    mode = 'up';
    const payload = JSON.stringify({ type: 'INSERT', table: 'ticket_events', schema: 'private', record: { id: Number(event.id) }, old_record: null });
    const call = async () => {
      const res = await functions.call('ticket-notifications', { method: 'POST', jwt: serviceRoleKey, headers: { 'content-type': 'application/json' }, body: payload });
      return (await res.json()).data.outcome as string;
    };
    // Both calls are made to wait on the event's row lock, then released together.
    const blocker = newConnection('supabase_admin');
    let calls!: Promise<string[]>;
    try {
      await blocker.begin(async (tx) => {
        await tx`select 1 from private.ticket_events where id = ${event.id} for update`;
        calls = Promise.all([call(), call()]);
        await expect.poll(async () => {
          const [{ waiting }] = await superuser()`
            select count(*)::int as waiting from pg_stat_activity
            where wait_event_type = 'Lock' and query like '%from private.ticket_events where id%'`;
          return waiting;
        }, { timeout: 10_000 }).toBe(2);
      });
    } finally {
      await blocker.end();
    }
    expect((await calls).sort()).toEqual(['already', 'processed']);
    await expect.poll(() => mailTo(customer, 'We received your request').length, { timeout: 10_000 }).toBe(1);
    expect(await outboxFor(event.id)).toHaveLength(3);
  });

  it.each([
    ['lost on the way (connection dropped)', 'dropped'],
    ['refused because the function is down (503)', 'down'],
  ] as const)('a webhook %s is recovered by the sweep, and nothing is lost', async (_label, failure) => {
    mode = failure;
    const customer = await createCustomer(`hook-${failure}`);
    const ticket = await open(customer, `Swept ${failure}`);
    const event = await lastEvent(ticket.id);
    const outcome = await openingWebhookOutcome(ticket.id);
    if (failure === 'down') expect(outcome.status_code).toBe(503);
    else expect(outcome).toMatchObject({ status_code: null, error_msg: expect.any(String) });
    expect((await lastEvent(ticket.id)).processed_at).toBeNull();
    expect(await outboxFor(event.id)).toEqual([]);

    mode = 'up';
    const [job] = await superuser()`select command, schedule, username from cron.job where jobname = 'ticket-notifications-sweep'`;
    expect(job).toMatchObject({ schedule: '* * * * *', username: 'postgres' });
    await connectAs('postgres').unsafe(job.command);
    // The sweep works through every suite's unprocessed events before this one.
    await waitProcessed(event.id, 30_000);
    await expect.poll(() => mailTo(customer, `Swept ${failure}`).length, { timeout: 10_000 }).toBe(1);
    expect(await outboxFor(event.id)).toHaveLength(3);
  });
});

describe('who may call it', () => {
  const body = JSON.stringify({});
  it('only the service role (403 for anon and users, 401 without a token)', async () => {
    const customer = await createCustomer();
    const anonKey = (await apiKeys()).anonKey;
    for (const jwt of [anonKey, customer.jwt, shop.admin.jwt]) {
      const res = await functions.call('ticket-notifications', { method: 'POST', jwt, body });
      expect(res.status).toBe(403);
      expect((await res.json()).code).toBe('FORBIDDEN');
    }
    expect((await functions.call('ticket-notifications', { method: 'POST', body })).status).toBe(401);
  });

  it.each([
    ['invalid JSON', '{', 400],
    ['another table\'s webhook', JSON.stringify({ type: 'INSERT', table: 'tickets', schema: 'public', record: { id: 1 }, old_record: null }), 400],
    ['an event that does not exist', JSON.stringify({ type: 'INSERT', table: 'ticket_events', schema: 'private', record: { id: 2 ** 40 }, old_record: null }), 404],
  ])('%s is a %i that changes nothing', async (_label, payload, status) => {
    const res = await functions.call('ticket-notifications', { method: 'POST', jwt: serviceRoleKey, body: payload });
    expect(res.status).toBe(status);
    expect((await res.json()).status).toBe('error');
  });

  it('GET is a 405', async () => {
    expect((await functions.call('ticket-notifications', { method: 'GET', jwt: serviceRoleKey })).status).toBe(405);
  });
});
