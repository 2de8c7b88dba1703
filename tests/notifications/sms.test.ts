// SMS as a second channel: preferences per kind (e-mail, SMS, both, neither) with the default of
// payment, shipping and delivery by SMS too when the profile has a phone; short templates in the
// profile's language; delivered through Beem with the outbox's leases, retries and dead letters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { superuser } from '../support/db.ts';
import { BEEM_APP, type FakeBeem, startFakeBeem } from '../support/fake-beem.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import { asUser } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';
import { renderSms } from '../../functions/send-notifications/sms.ts';
import { createOrder, createProduct, setOrderStatus } from './fixtures.ts';

let beem: FakeBeem;
let functions: RunningFunctions;
let serviceRoleKey: string;
const shop = createBusiness('sms-shop');

beforeAll(async () => {
  beem = await startFakeBeem();
  functions = await startFunctions({
    BEEM_API_BASE: beem.url, BEEM_API_KEY: BEEM_APP.apiKey, BEEM_SECRET_KEY: BEEM_APP.secretKey, BEEM_SENDER_ID: BEEM_APP.senderId,
    NOTIFICATIONS_MAX_ATTEMPTS: '2', NOTIFICATIONS_LEASE_SECONDS: '1',
  });
  serviceRoleKey = (await apiKeys()).serviceRoleKey;
});

afterAll(async () => {
  await functions?.stop();
  await beem?.close();
});

async function customer(phone: string | null, language: 'sw' | 'en' = 'sw'): Promise<TestUser> {
  const user = await createCustomer();
  const result = await asUser(user, (tx) => tx`update public.profiles set phone = ${phone}, language = ${language} where id = ${user.id} returning id`);
  expect(result.error).toBeNull();
  return user;
}

async function paidOrder(user: TestUser) {
  const business = await shop;
  const productId = await createProduct(business.id);
  const orderId = await createOrder({ businessId: business.id, customer: user, lines: [{ productId, name: 'Maize', unitPrice: 1200, quantity: 2 }] });
  await setOrderStatus(orderId, 'paid');
  return orderId;
}

const queued = (user: TestUser, kind = 'order_paid') => superuser()<{ id: string; channel: string; recipient: string; status: string; attempts: number; last_error: string | null }[]>`
  select n.id, n.channel, n.recipient, n.status::text, n.attempts, n.last_error from private.notifications n
  where n.kind = ${kind} and (n.recipient = ${user.email!.toLowerCase()} or n.payload ->> 'order_id' in (
    select o.id::text from public.orders o where o.customer_id = ${user.id})) order by n.channel`;

async function send(ids: string[]) {
  const res = await functions.call('send-notifications', {
    method: 'POST', jwt: serviceRoleKey, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ids }),
  });
  return { status: res.status, body: await res.json() };
}

describe('SMS preferences', () => {
  it('by default sends payment news by e-mail and SMS when the profile has a phone', async () => {
    const user = await customer('+255712000001');
    await paidOrder(user);
    expect((await queued(user)).map((n) => [n.channel, n.recipient])).toEqual([['email', user.email!.toLowerCase()], ['sms', '255712000001']]);
  });

  it('by default sends only e-mail without a phone, and only e-mail for kinds not chosen for SMS', async () => {
    const user = await customer(null);
    await paidOrder(user);
    expect((await queued(user)).map((n) => n.channel)).toEqual(['email']);
    const withPhone = await customer('+254712000002');
    const orderId = await paidOrder(withPhone);
    await setOrderStatus(orderId, 'cancelled');
    expect((await queued(withPhone, 'order_cancelled')).map((n) => n.channel)).toEqual(['email']);
  });

  it.each([
    ['sms', ['sms']],
    ['email', ['email']],
    ['none', []],
    ['both', ['email', 'sms']],
  ])('follows the customer\'s choice of %s', async (channel, expected) => {
    const user = await customer('+255712000003');
    const set = await asUser(user, (tx) => tx`insert into public.notification_preferences (kind, channel) values ('order_paid', ${channel}) returning user_id`);
    expect(set.error).toBeNull();
    await paidOrder(user);
    expect((await queued(user)).map((n) => n.channel)).toEqual(expected);
  });

  it('keeps preferences private: another customer neither reads nor changes them', async () => {
    const owner = await customer(null);
    await asUser(owner, (tx) => tx`insert into public.notification_preferences (kind, channel) values ('order_shipped', 'sms')`);
    const other = await createCustomer();
    const read = await asUser(other, (tx) => tx`select * from public.notification_preferences where user_id = ${owner.id}`);
    expect(read.data).toEqual([]);
    const forged = await asUser(other, (tx) => tx`insert into public.notification_preferences (user_id, kind, channel) values (${owner.id}, 'order_paid', 'none')`);
    expect(forged.error?.status).toBe(403);
  });

  it('refuses a profile phone that is not E.164 (400), keeping the one it had', async () => {
    const user = await customer('+255712000004');
    const result = await asUser(user, (tx) => tx`update public.profiles set phone = '0712 000 004' where id = ${user.id}`);
    expect(result.error?.status).toBe(400);
    expect((await superuser()`select phone from public.profiles where id = ${user.id}`)[0].phone).toBe('+255712000004');
  });
});

describe('SMS delivery through Beem', () => {
  it('sends the Kiswahili text to 255… with Basic auth and the sender id, once', async () => {
    const user = await customer('+255712000005', 'sw');
    await paidOrder(user);
    const sms = (await queued(user)).find((n) => n.channel === 'sms')!;
    const { body } = await send([sms.id]);
    expect(body.data).toMatchObject({ claimed: 1, sent: 1 });
    const [message] = beem.delivered().filter((m) => m.to === '255712000005');
    expect(message).toMatchObject({ sourceAddr: 'SOKONI', message: expect.stringMatching(/^Sokoni: Malipo ya KES 2400\.00 ya oda /) });
    expect((await send([sms.id])).body.data.claimed).toBe(0);
    expect(beem.delivered().filter((m) => m.to === '255712000005')).toHaveLength(1);
  });

  it('writes in English for an English profile', async () => {
    const user = await customer('+254712000006', 'en');
    await paidOrder(user);
    const sms = (await queued(user)).find((n) => n.channel === 'sms')!;
    await send([sms.id]);
    expect(beem.delivered().find((m) => m.to === '254712000006')?.message).toMatch(/^Sokoni: payment of KES 2400\.00 for order /);
  });

  it('retries when Beem is down and dead-letters after the last attempt', async () => {
    const user = await customer('+255712000007');
    await paidOrder(user);
    const sms = (await queued(user)).find((n) => n.channel === 'sms')!;
    beem.failWith(503);
    try {
      expect((await send([sms.id])).body.data).toMatchObject({ retrying: 1 });
      await superuser()`update private.notifications set next_attempt_at = now() where id = ${sms.id}`;
      expect((await send([sms.id])).body.data).toMatchObject({ dead: 1 });
    } finally {
      beem.failWith(null);
    }
    const [row] = (await queued(user)).filter((n) => n.channel === 'sms');
    expect(row).toMatchObject({ status: 'dead', attempts: 2, last_error: expect.stringContaining('Beem answered 503') });
  });

  it('does not send again an SMS whose send was interrupted (lease expired): Beem has no idempotency key', async () => {
    const user = await customer('+255712000008');
    await paidOrder(user);
    const sms = (await queued(user)).find((n) => n.channel === 'sms')!;
    await superuser()`update private.notifications set status = 'sending', attempts = 1, locked_until = now() - interval '1 second' where id = ${sms.id}`;
    expect((await send([sms.id])).body.data.claimed).toBe(0);
    expect(beem.delivered().filter((m) => m.to === '255712000008')).toHaveLength(0);
    expect((await queued(user)).find((n) => n.channel === 'sms')).toMatchObject({ status: 'dead', last_error: expect.stringContaining('interrupted') });
  });

  it('leaves e-mails queued when only SMS is configured', async () => {
    const user = await customer('+255712000009');
    await paidOrder(user);
    const email = (await queued(user)).find((n) => n.channel === 'email')!;
    expect((await send([email.id])).body.data.claimed).toBe(0);
    expect((await queued(user)).find((n) => n.channel === 'email')?.status).toBe('pending');
  });
});

it('every customer order kind has a short SMS in both languages', () => {
  for (const kind of ['order_placed_customer', 'order_paid', 'order_shipped', 'order_delivered', 'order_cancelled', 'order_refunded'] as const) {
    for (const language of ['sw', 'en']) {
      const text = renderSms(kind, { order_id: '0b6c9a2e-1f3d-4e5a-9b7c-2d4e6f8a0b1c', business_name: 'Mama Amina Farm Co-operative', total: 2400, currency: 'TZS', language });
      expect(text.length).toBeLessThanOrEqual(160);
      expect(text).toMatch(/^Sokoni: .*Mama Amina Farm Co-operative/);
    }
  }
  expect(() => renderSms('product_approved', {})).toThrow(/no SMS template/);
});
