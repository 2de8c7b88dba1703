// POST /functions/v1/send-notifications over HTTP against a fake Resend: the wire format,
// who may call it, retries with backoff, dead-lettering, two senders at once, an outage.
// Each test scopes delivery to its own messages with {"ids": [...]}, as the webhook does.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { newConnection, superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { type FakeResend, startFakeResend } from '../support/fake-resend.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import { uniqueEmail } from '../support/users.ts';
import { notificationsById, queueMessages } from './fixtures.ts';

const MAX_ATTEMPTS = 3;
const BACKOFF_BASE_SECONDS = 60;

let resend: FakeResend;
let functions: RunningFunctions;
let serviceRoleKey: string;

beforeAll(async () => {
  resend = await startFakeResend();
  functions = await startFunctions({
    RESEND_API_BASE: resend.url,
    RESEND_API_KEY: 're_test_key',
    RESEND_TIMEOUT_MS: '500',
    NOTIFICATIONS_FROM: 'Sokoni <orders@sokoni.test>',
    NOTIFICATIONS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    NOTIFICATIONS_BACKOFF_BASE_SECONDS: String(BACKOFF_BASE_SECONDS),
    SITE_URL: 'https://shop.sokoni.test',
  });
  serviceRoleKey = (await apiKeys()).serviceRoleKey;
});
afterAll(async () => {
  await functions?.stop();
  await resend?.close();
});
beforeEach(() => resend.healthy());

async function send(body: unknown, jwt = serviceRoleKey) {
  const res = await functions.call('send-notifications', {
    method: 'POST', jwt, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Makes messages due now, as if their backoff had elapsed. */
async function makeDue(ids: string[]) {
  await superuser()`update private.notifications set next_attempt_at = now() where id = any(${ids}::uuid[])`;
}

function deliveredTo(recipient: string) {
  return resend.delivered().filter((email) => email.to.includes(recipient.toLowerCase()));
}

describe('delivery', () => {
  it('sends each message once through Resend with the id as Idempotency-Key and marks it sent', async () => {
    const recipient = uniqueEmail('buyer');
    const ids = await queueMessages(2, recipient);
    const { status, body } = await send({ ids });
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'success', data: { claimed: 2, sent: 2, retrying: 0, dead: 0 } });
    const emails = deliveredTo(recipient);
    expect(emails.map((e) => e.idempotencyKey).sort()).toEqual([...ids].sort());
    expect(emails[0]).toMatchObject({
      authorization: 'Bearer re_test_key',
      from: 'Sokoni <orders@sokoni.test>',
      to: [recipient.toLowerCase()],
      subject: expect.stringContaining('Payment received'),
    });
    expect(emails[0].html).toContain('https://shop.sokoni.test/orders/');
    expect(emails[0].text).toContain('Total: KES');
    const rows = await notificationsById(ids);
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1 && r.sent_at && r.locked_until === null && r.provider_message_id)).toBe(true);
    // Sent messages are not claimed again.
    expect((await send({ ids })).body.data.claimed).toBe(0);
  });

  it('delivers a real trigger-queued invitation with its accept link', async () => {
    const business = await createBusiness('mailer');
    const invitee = uniqueEmail('invitee');
    const [invitation] = await superuser()`
      insert into public.invitations (business_id, email, role, invited_by) values (${business.id}, ${invitee}, 'viewer', ${business.admin.id})
      returning token`;
    const [queued] = await superuser()`select id from private.notifications where recipient = ${invitee}`;
    expect((await send({ ids: [queued.id] })).body.data.sent).toBe(1);
    const [email] = deliveredTo(invitee);
    expect(email.text).toContain(`https://shop.sokoni.test/invitations/accept?token=${invitation.token}`);
  });
});

describe('who may call it', () => {
  it('without a token the gateway answers 401', async () => {
    const res = await functions.call('send-notifications', { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
  });

  it('a signed-in user gets 403 and nothing is sent', async () => {
    const customer = await createCustomer();
    const recipient = uniqueEmail('untouched');
    const ids = await queueMessages(1, recipient);
    const { status, body } = await send({ ids }, customer.jwt);
    expect(status).toBe(403);
    expect(body).toMatchObject({ status: 'error', code: 'FORBIDDEN' });
    expect((await notificationsById(ids))[0]).toMatchObject({ status: 'pending', attempts: 0 });
    expect(deliveredTo(recipient)).toHaveLength(0);
  });

  it('the anon key gets 403', async () => {
    expect((await send({}, (await apiKeys()).anonKey)).status).toBe(403);
  });

  it.each([
    ['ids that are not uuids', { ids: ['nope'] }],
    ['an empty id list', { ids: [] }],
    ['unknown fields', { limit: 5 }],
  ])('%s answer 400 in the envelope', async (_label, body) => {
    const res = await send(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'INVALID_INPUT' });
  });

  it('a body that is not JSON answers 400', async () => {
    const res = await functions.call('send-notifications', { method: 'POST', jwt: serviceRoleKey, body: '{oops' });
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('INVALID_JSON');
  });
});

describe('retries', () => {
  it('a 500 from Resend keeps the message pending with a backoff of base × 2^(n-1) with jitter, then dead after the last attempt', async () => {
    const recipient = uniqueEmail('unlucky');
    const ids = await queueMessages(1, recipient);
    resend.failing(500);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const before = Date.now();
      const { body } = await send({ ids });
      const [row] = await notificationsById(ids);
      expect(row.attempts).toBe(attempt);
      expect(row.last_error).toContain('Resend answered 500');
      if (attempt < MAX_ATTEMPTS) {
        expect(body.data).toMatchObject({ claimed: 1, retrying: 1 });
        expect(row.status).toBe('pending');
        delays.push((row.next_attempt_at.getTime() - before) / 1000);
        // Not due yet: a sweep now leaves it alone.
        expect((await send({ ids })).body.data.claimed).toBe(0);
        await makeDue(ids);
      } else {
        expect(body.data).toMatchObject({ claimed: 1, dead: 1 });
        expect(row.status).toBe('dead');
      }
    }
    // Equal jitter: between half and all of base × 2^(attempt-1) (a second of slack for the clock).
    expect(delays[0]).toBeGreaterThanOrEqual(BACKOFF_BASE_SECONDS / 2 - 1);
    expect(delays[0]).toBeLessThanOrEqual(BACKOFF_BASE_SECONDS + 1);
    expect(delays[1]).toBeGreaterThanOrEqual(BACKOFF_BASE_SECONDS - 1);
    expect(delays[1]).toBeLessThanOrEqual(2 * BACKOFF_BASE_SECONDS + 1);
    // A dead message is never claimed again.
    await makeDue(ids);
    resend.healthy();
    expect((await send({ ids })).body.data.claimed).toBe(0);
    expect(deliveredTo(recipient)).toHaveLength(0);
  });

  it('a 422 (a message Resend will never accept) is dead at once', async () => {
    const ids = await queueMessages(1, uniqueEmail('invalid'));
    resend.failing(422);
    expect((await send({ ids })).body.data).toMatchObject({ dead: 1 });
    expect((await notificationsById(ids))[0]).toMatchObject({ status: 'dead', attempts: 1, last_error: expect.stringContaining('422') });
  });

  it('a timeout counts as a failed attempt and is retried', async () => {
    const ids = await queueMessages(1, uniqueEmail('slow'));
    resend.hanging(2000);
    expect((await send({ ids })).body.data).toMatchObject({ retrying: 1 });
    expect((await notificationsById(ids))[0]).toMatchObject({ status: 'pending', last_error: expect.stringContaining('no answer within 500 ms') });
  });

  it('a message whose sender crashed is claimed again once its lease expires', async () => {
    const recipient = uniqueEmail('orphan');
    const ids = await queueMessages(1, recipient);
    // A sender claimed it and died: the lease is still running.
    await superuser()`select private.claim_notifications(10, 60, ${ids}::uuid[])`;
    expect((await send({ ids })).body.data.claimed).toBe(0);
    await superuser()`update private.notifications set locked_until = now() - interval '1 second' where id = ${ids[0]}`;
    expect((await send({ ids })).body.data).toMatchObject({ claimed: 1, sent: 1 });
    expect((await notificationsById(ids))[0]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(deliveredTo(recipient)).toHaveLength(1);
  });
});

describe('an outage', () => {
  it('loses nothing while Resend is down and delivers every message once it recovers', async () => {
    const recipient = uniqueEmail('patient');
    const ids = await queueMessages(12, recipient);
    resend.failing(503);
    expect((await send({ ids })).body.data).toMatchObject({ claimed: 12, retrying: 12 });
    resend.hanging(2000);
    await makeDue(ids);
    expect((await send({ ids })).body.data).toMatchObject({ claimed: 12, retrying: 12 });
    resend.healthy();
    await makeDue(ids);
    expect((await send({ ids })).body.data).toMatchObject({ claimed: 12, sent: 12 });
    const rows = await notificationsById(ids);
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 3)).toBe(true);
    const keys = deliveredTo(recipient).map((e) => e.idempotencyKey);
    expect(keys.sort()).toEqual([...ids].sort());
  });
});

describe('two senders at once', () => {
  it('never send a message twice', async () => {
    const recipient = uniqueEmail('contended');
    const ids = await queueMessages(60, recipient);
    // Resend answers nobody until all 60 are claimed: the second run must claim while the first
    // is still sending, or the wait fails.
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    resend.respond((request) => ({ status: 200, body: JSON.stringify({ id: `re_${request.headers['idempotency-key']}` }), hold }));
    const runs = Promise.all([send({ ids }), send({ ids })]);
    try {
      await expect.poll(async () => (await superuser()`
        select count(*)::int as n from private.notifications where id = any(${ids}::uuid[]) and status = 'sending'`)[0].n,
      { timeout: 10_000, interval: 20 }).toBe(60);
    } finally {
      release();
    }
    const [first, second] = await runs;
    resend.healthy();
    const claimed = first.body.data.claimed + second.body.data.claimed;
    // Batch size 50: together they claim every message, each exactly once.
    expect(claimed).toBe(60);
    expect(first.body.data.claimed).toBeGreaterThan(0);
    expect(second.body.data.claimed).toBeGreaterThan(0);
    const keys = resend.requests
      .filter((r) => JSON.parse(r.body).to?.includes(recipient.toLowerCase()))
      .map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(60);
    expect(new Set(keys).size).toBe(60);
  });

  it('claim_notifications on two concurrent connections takes disjoint rows without waiting', async () => {
    const ids = await queueMessages(20, uniqueEmail('claims'));
    const [a, b] = [newConnection('postgres'), newConnection('postgres')];
    try {
      // The first claim stays uncommitted while the second runs: SKIP LOCKED passes its rows.
      const held = a.begin(async (tx) => {
        const rows = await tx`select id from private.claim_notifications(10, 60, ${ids}::uuid[])`;
        const others = await b`select id from private.claim_notifications(50, 60, ${ids}::uuid[])`;
        return { mine: rows.map((r) => r.id), theirs: others.map((r) => r.id) };
      });
      const { mine, theirs } = await held;
      expect(mine).toHaveLength(10);
      expect(theirs).toHaveLength(10);
      expect(new Set([...mine, ...theirs]).size).toBe(20);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });
});

describe('without a Resend key', () => {
  it('answers 503 NOTIFICATIONS_NOT_CONFIGURED and leaves every message queued', async () => {
    const unconfigured = await startFunctions({ RESEND_API_BASE: resend.url, RESEND_API_KEY: '' });
    try {
      const recipient = uniqueEmail('waiting');
      const ids = await queueMessages(1, recipient);
      const res = await unconfigured.call('send-notifications', {
        method: 'POST', jwt: serviceRoleKey, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ids }),
      });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'error', code: 'NOTIFICATIONS_NOT_CONFIGURED' });
      expect((await notificationsById(ids))[0]).toMatchObject({ status: 'pending', attempts: 0 });
      expect(deliveredTo(recipient)).toHaveLength(0);
    } finally {
      await unconfigured.stop();
    }
  });
});
