// M-Pesa Daraja STK push end to end against a fake Daraja: checkout pushes to a Kenyan number
// with the right Password and Timestamp; callbacks come through a secret path, are validated
// strictly, stored once per CheckoutRequestID, matched on amount and confirmed with the STK query.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { darajaTimestamp, mpesaClient } from '../../functions/_shared/mpesa.ts';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { superuser } from '../support/db.ts';
import { whileLocked } from '../support/locks.ts';
import { DARAJA_APP, type FakeDaraja, startFakeDaraja } from '../support/fake-daraja.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import type { TestUser } from '../support/users.ts';
import { address, addToCart, createProduct, stockOf } from './fixtures.ts';

type Callback = { Body: { stkCallback: Record<string, unknown> } };

const TOKEN = 'cbtok_' + 'a1b2c3d4'.repeat(6);
let functions: RunningFunctions;
let daraja: FakeDaraja;
const shop = createBusiness('mpesa-shop');

beforeAll(async () => {
  daraja = await startFakeDaraja();
  functions = await startFunctions({
    MPESA_API_BASE: daraja.url,
    MPESA_CONSUMER_KEY: DARAJA_APP.consumerKey,
    MPESA_CONSUMER_SECRET: DARAJA_APP.consumerSecret,
    MPESA_SHORTCODE: DARAJA_APP.shortcode,
    MPESA_PASSKEY: DARAJA_APP.passkey,
    MPESA_CALLBACK_TOKEN: TOKEN,
  });
});

afterAll(async () => {
  await functions?.stop();
  await daraja?.close();
});

async function checkout(user: TestUser, payload: Record<string, unknown> = {}) {
  const response = await functions.call('checkout', {
    method: 'POST', jwt: user.jwt, headers: { 'content-type': 'application/json', 'idempotency-key': `key-${randomUUID()}` },
    body: JSON.stringify({ shipping_address: address, payment_method: 'mpesa', phone: '0708 374 149', ...payload }),
  });
  return { status: response.status, json: await response.json() };
}

async function deliver(body: unknown, token = TOKEN) {
  const response = await functions.call(`payment-webhook/mpesa/${token}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

async function cart(options: { currency?: string; price?: number; stock?: number } = {}) {
  const buyer = await createCustomer();
  const product = await createProduct((await shop).id, { price: options.price ?? 150, currency: options.currency ?? 'KES', stock: options.stock ?? 10 });
  await addToCart(buyer, product.id, 2);
  return { buyer, product };
}

async function pushed() {
  const { buyer, product } = await cart();
  const placed = await checkout(buyer);
  expect(placed.status).toBe(201);
  const checkoutId = placed.json.data.checkout_id as string;
  const [row] = await superuser()`select provider_ref from public.payments where checkout_id = ${checkoutId}`;
  return { buyer, product, checkoutId, requestId: row.provider_ref as string };
}

async function state(checkoutId: string) {
  const [row] = await superuser()`
    select c.status as checkout, p.status as payment, p.receipt,
           (select array_agg(o.status::text order by o.id) from public.orders o where o.checkout_id = c.id) as orders
    from public.checkouts c join public.payments p on p.checkout_id = c.id where c.id = ${checkoutId}`;
  return row;
}

const eventsOf = (checkoutId: string) =>
  superuser()`select event_id, status::text, outcome from public.payment_events where checkout_id = ${checkoutId} order by created_at`;
const queries = () => daraja.requests.filter((r) => r.path === '/mpesa/stkpushquery/v1/query').length;

describe('M-Pesa checkout', () => {
  it('sends one STK push with the Password of shortcode, passkey and timestamp to the 2547… number (201, pending)', async () => {
    const { buyer } = await cart();
    const before = daraja.requests.length;
    const { status, json } = await checkout(buyer);
    expect(status).toBe(201);
    expect(json.data).toMatchObject({ total: 300, currency: 'KES', payment: { provider: 'mpesa', status: 'pending' } });
    const push = daraja.requests.slice(before).find((r) => r.path === '/mpesa/stkpush/v1/processrequest')!;
    const sent = JSON.parse(push.body);
    expect(sent).toMatchObject({
      BusinessShortCode: '174379', TransactionType: 'CustomerPayBillOnline', Amount: 300, PartyA: '254708374149', PartyB: '174379',
      PhoneNumber: '254708374149', CallBackURL: expect.stringMatching(new RegExp(`/functions/v1/payment-webhook/mpesa/${TOKEN}$`)),
    });
    expect(sent.Password).toBe(Buffer.from(`174379${DARAJA_APP.passkey}${sent.Timestamp}`).toString('base64'));
    expect(sent.AccountReference.length).toBeLessThanOrEqual(12);
  });

  it('caches the OAuth token: two checkouts ask for one', async () => {
    await pushed();
    const issued = daraja.tokensIssued();
    await pushed();
    expect(daraja.tokensIssued()).toBe(issued);
  });

  it.each([
    ['a Tanzanian number', '+255712345678'],
    ['a Kenyan landline', '020 2222222'],
    ['a short number', '0712'],
  ])('refuses %s with 400 naming phone', async (_label, phone) => {
    const { buyer, product } = await cart();
    const { status, json } = await checkout(buyer, { phone });
    expect(status).toBe(400);
    expect(json).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'phone' }] });
    expect(await stockOf(product.id)).toBe(10);
  });

  it('takes the newer 01… Kenyan numbers', async () => {
    const { buyer } = await cart();
    const before = daraja.requests.length;
    expect((await checkout(buyer, { phone: '0110 123 456' })).status).toBe(201);
    expect(JSON.parse(daraja.requests.slice(before).find((r) => r.path.includes('processrequest'))!.body).PhoneNumber).toBe('254110123456');
  });

  it.each([
    ['another currency', { currency: 'TZS' }, /KES only/],
    ['cents', { price: 150.25 }, /whole shillings/],
  ])('refuses a cart in %s with 422 and changes nothing', async (_label, options, message) => {
    const { buyer, product } = await cart(options);
    const before = daraja.requests.length;
    const { status, json } = await checkout(buyer);
    expect(status).toBe(422);
    expect(json.message).toMatch(message);
    expect(await stockOf(product.id)).toBe(10);
    expect(daraja.requests.length).toBe(before);
  });

  it('undoes the checkout when Daraja is down: 503, orders cancelled, stock restored', async () => {
    const { buyer, product } = await cart({ stock: 6 });
    daraja.failWith(503);
    let failed;
    try {
      failed = await checkout(buyer);
    } finally {
      daraja.failWith(null);
    }
    expect(failed.status).toBe(503);
    expect(failed.json).toMatchObject({ code: 'PAYMENT_UNAVAILABLE' });
    const [row] = await superuser()`select c.id from public.checkouts c where c.user_id = ${buyer.id}`;
    expect(await state(row.id)).toMatchObject({ checkout: 'cancelled', payment: 'failed' });
    expect(await stockOf(product.id)).toBe(6);
  });

  it('reports Daraja\'s own errors: wrong consumer credentials, a wrong passkey', async () => {
    const push = { amount: 10, phone: '254708374149', accountReference: 'REF', description: 'Sokoni order', callbackUrl: 'https://example.test/cb' };
    const wrongSecret = mpesaClient({ apiBase: daraja.url, ...DARAJA_APP, consumerSecret: 'nope' });
    await expect(wrongSecret.stkPush(push)).rejects.toThrow(/400 400\.008\.01: Invalid Authentication passed/);
    const wrongPasskey = mpesaClient({ apiBase: daraja.url, ...DARAJA_APP, passkey: 'nope' });
    await expect(wrongPasskey.stkPush(push)).rejects.toThrow(/Wrong credentials/);
    // The same error code as "still processing": a wrong passkey is an error, not a pending push.
    const { requestId } = await pushed();
    await expect(wrongPasskey.stkQuery(requestId)).rejects.toThrow(/500\.001\.1001: Wrong credentials/);
    expect(await mpesaClient({ apiBase: daraja.url, ...DARAJA_APP }).stkQuery(requestId)).toBeNull();
  });

  it('writes the timestamp in Kenyan time (UTC+3)', () => {
    expect(darajaTimestamp(Date.UTC(2026, 11, 31, 22, 5, 9))).toBe('20270101010509');
  });
});

describe('M-Pesa callback', () => {
  it('pays the checkout once the STK query confirms it, keeping the M-Pesa receipt', async () => {
    const { checkoutId, requestId } = await pushed();
    daraja.finish(requestId, 0);
    const body = daraja.callbackFor(requestId, { receipt: 'NLJ7RT61SV' });
    const { status, json } = await deliver(body);
    expect(status).toBe(200);
    expect(json.data.outcome).toBe('paid');
    expect(await state(checkoutId)).toMatchObject({ checkout: 'paid', payment: 'succeeded', receipt: 'NLJ7RT61SV', orders: ['paid'] });
  });

  it('refunds a paid M-Pesa order whole as a refund staff must pay out; the order becomes refunded', async () => {
    const { checkoutId, requestId } = await pushed();
    daraja.finish(requestId, 0);
    await deliver(daraja.callbackFor(requestId));
    const [order] = await superuser()`select id from public.orders where checkout_id = ${checkoutId}`;
    const response = await functions.call('refunds', {
      method: 'POST', jwt: (await shop).admin.jwt,
      headers: { 'content-type': 'application/json', 'idempotency-key': `refund-${randomUUID()}` },
      body: JSON.stringify({ order_id: order.id }),
    });
    expect((await response.json()).data).toMatchObject({ provider: 'mpesa', amount: 300, currency: 'KES', status: 'to_pay_out' });
    expect((await state(checkoutId)).orders).toEqual(['refunded']);
  });

  it.each([
    [1032, 'cancelled by the customer'],
    [1, 'insufficient funds'],
    [1037, 'could not be reached (timeout)'],
    [2001, 'wrong M-Pesa PIN'],
  ])('result code %i cancels the checkout, saying "%s", and restores the stock', async (code, words) => {
    const { checkoutId, requestId, product } = await pushed();
    daraja.finish(requestId, code);
    const { json } = await deliver(daraja.callbackFor(requestId));
    expect(json.data.outcome).toBe('cancelled');
    expect(await state(checkoutId)).toMatchObject({ checkout: 'cancelled', payment: 'failed' });
    expect(await stockOf(product.id)).toBe(10);
    const [history] = await superuser()`select h.note from public.order_status_history h join public.orders o on o.id = h.order_id
      where o.checkout_id = ${checkoutId} and h.to_status = 'cancelled'`;
    expect(history.note).toContain(words);
  });

  it.each([
    ['a wrong token', 'cbtok_' + 'a1b2c3d4'.repeat(5) + 'a1b2c3d5'],
    ['a token one character short', TOKEN.slice(0, -1)],
  ])('refuses a callback to %s with 404 and stores nothing', async (_label, token) => {
    const { checkoutId, requestId } = await pushed();
    daraja.finish(requestId, 0);
    const { status } = await deliver(daraja.callbackFor(requestId), token);
    expect(status).toBe(404);
    expect(await eventsOf(checkoutId)).toHaveLength(0);
    expect((await state(checkoutId)).checkout).toBe('pending_payment');
  });

  it.each([
    ['an extra field', (body: Callback) => ({ ...body, Body: { stkCallback: { ...body.Body.stkCallback, Paid: true } } })],
    ['a string ResultCode', (body: Callback) => ({ Body: { stkCallback: { ...body.Body.stkCallback, ResultCode: '0' } } })],
    ['a success without metadata', (body: Callback) => {
      const { CallbackMetadata: _m, ...rest } = body.Body.stkCallback;
      return { Body: { stkCallback: rest } };
    }],
    ['no CheckoutRequestID', (body: Callback) => {
      const { CheckoutRequestID: _c, ...rest } = body.Body.stkCallback;
      return { Body: { stkCallback: rest } };
    }],
  ])('refuses a malformed callback (%s) with 400, storing nothing', async (_label, malform) => {
    const { checkoutId, requestId } = await pushed();
    daraja.finish(requestId, 0);
    const { status, json } = await deliver(malform(daraja.callbackFor(requestId) as Callback));
    expect(status).toBe(400);
    expect(json.code).toBe('INVALID_INPUT');
    expect(await eventsOf(checkoutId)).toHaveLength(0);
  });

  it('never settles a callback for another amount: stored as rejected', async () => {
    const { checkoutId, requestId } = await pushed();
    daraja.finish(requestId, 0);
    const { json } = await deliver(daraja.callbackFor(requestId, { amount: 1 }));
    expect(json.data.outcome).toMatch(/^rejected: the callback claims 1 KES/);
    expect((await state(checkoutId)).checkout).toBe('pending_payment');
    expect(await eventsOf(checkoutId)).toEqual([expect.objectContaining({ status: 'rejected' })]);
  });

  it('does not pay on a forged success Daraja does not confirm (the push is still open)', async () => {
    const { checkoutId, requestId } = await pushed();
    const push = daraja.pushes.get(requestId)!;
    const forged = {
      Body: {
        stkCallback: {
          MerchantRequestID: push.merchantRequestId, CheckoutRequestID: requestId, ResultCode: 0, ResultDesc: 'ok',
          CallbackMetadata: { Item: [{ Name: 'Amount', Value: 300 }, { Name: 'MpesaReceiptNumber', Value: 'FAKE000001' }] },
        },
      },
    };
    const { json } = await deliver(forged);
    expect(json.data.outcome).toMatch(/^awaiting/);
    expect((await state(checkoutId)).checkout).toBe('pending_payment');
  });

  it('does not pay on a success callback when the STK query says the customer cancelled', async () => {
    const { checkoutId, requestId } = await pushed();
    daraja.finish(requestId, 0);
    const body = daraja.callbackFor(requestId);
    daraja.finish(requestId, 1032);
    const { json } = await deliver(body);
    expect(json.data.outcome).toBe('cancelled');
    expect((await state(checkoutId)).checkout).toBe('cancelled');
  });

  it('duplicated and replayed callbacks change nothing twice and query Daraja no more', async () => {
    const { checkoutId, requestId } = await pushed();
    daraja.finish(requestId, 0);
    const body = daraja.callbackFor(requestId);
    expect((await deliver(body)).json.data.outcome).toBe('paid');
    const before = queries();
    const again = await Promise.all([deliver(body), deliver(body)]);
    expect(again.map((r) => r.json.data.outcome)).toEqual(['duplicate', 'duplicate']);
    expect(queries()).toBe(before);
    expect(await eventsOf(checkoutId)).toHaveLength(1);
  });

  it('two deliveries of one callback racing each other pay once (the second waits for the first, then is a duplicate)', async () => {
    const { checkoutId, requestId } = await pushed();
    daraja.finish(requestId, 0);
    const body = daraja.callbackFor(requestId);
    const results = await whileLocked(
      (tx) => tx`select 1 from public.checkouts where id = ${checkoutId} for update`,
      () => Promise.all([deliver(body), deliver(body)]),
      { query: 'apply_mobile_payment', count: 2 },
    );
    expect(results.map((r) => r.json.data.outcome).sort()).toEqual(['duplicate', 'paid']);
    expect(await eventsOf(checkoutId)).toHaveLength(1);
  });

  it('a callback racing the status sweep for the same payment pays once; the other changes nothing', async () => {
    const { checkoutId, requestId } = await pushed();
    await superuser()`update public.payments set created_at = now() - interval '10 minutes' where checkout_id = ${checkoutId}`;
    daraja.finish(requestId, 0);
    const { serviceRoleKey } = await apiKeys();
    const sweep = async () => {
      const response = await functions.call('payment-status', { method: 'POST', jwt: serviceRoleKey, headers: { 'content-type': 'application/json' }, body: '{}' });
      return (await response.json()).data;
    };
    await whileLocked(
      (tx) => tx`select 1 from public.checkouts where id = ${checkoutId} for update`,
      () => Promise.all([deliver(daraja.callbackFor(requestId)), sweep()]),
      { query: 'apply_mobile_payment', count: 2 },
    );
    const events = await eventsOf(checkoutId);
    expect(events.map((e) => e.outcome).sort()).toEqual(['already paid', 'paid']);
    expect((await state(checkoutId)).checkout).toBe('paid');
    const [history] = await superuser()`select count(*)::int as n from public.order_status_history h join public.orders o on o.id = h.order_id
      where o.checkout_id = ${checkoutId} and h.to_status = 'paid'`;
    expect(history.n).toBe(1);
  });

  it('a failure callback arriving after the payment settled (out of order) changes nothing', async () => {
    const { checkoutId, requestId } = await pushed();
    daraja.finish(requestId, 0);
    await deliver(daraja.callbackFor(requestId));
    const late = daraja.callbackFor(requestId) as Callback;
    delete late.Body.stkCallback.CallbackMetadata;
    late.Body.stkCallback.ResultCode = 1032;
    expect((await deliver(late)).json.data.outcome).toBe('duplicate');
    expect((await state(checkoutId)).checkout).toBe('paid');
  });

  it('answers 503 and stores nothing when Daraja cannot confirm', async () => {
    const { checkoutId, requestId } = await pushed();
    daraja.finish(requestId, 0);
    const body = daraja.callbackFor(requestId);
    daraja.failWith(500);
    let first;
    try {
      first = await deliver(body);
    } finally {
      daraja.failWith(null);
    }
    expect(first.status).toBe(503);
    expect(await eventsOf(checkoutId)).toHaveLength(0);
    expect((await deliver(body)).json.data.outcome).toBe('paid');
  });
});
