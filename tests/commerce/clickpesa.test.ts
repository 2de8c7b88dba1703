// ClickPesa (Tanzania) end to end against a fake ClickPesa: checkout sends a checksummed USSD
// push to the payer's normalised number, once per checkout; the webhook settles only what its
// checksum proves and ClickPesa's status endpoint confirms, once.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickPesaClient, orderReferenceOf } from '../../functions/_shared/clickpesa.ts';
import { superuser } from '../support/db.ts';
import { CLICKPESA_CLIENT, type FakeClickPesa, startFakeClickPesa } from '../support/fake-clickpesa.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import { asUser } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';
import { address, addToCart, createProduct, stockOf } from './fixtures.ts';

let functions: RunningFunctions;
let clickpesa: FakeClickPesa;
const shop = createBusiness('clickpesa-shop');
const tanzania = { ...address, city: 'Arusha', country: 'TZ' };

beforeAll(async () => {
  clickpesa = await startFakeClickPesa();
  functions = await startFunctions({
    CLICKPESA_API_BASE: clickpesa.url,
    CLICKPESA_CLIENT_ID: CLICKPESA_CLIENT.clientId,
    CLICKPESA_API_KEY: CLICKPESA_CLIENT.apiKey,
    CLICKPESA_CHECKSUM_KEY: CLICKPESA_CLIENT.checksumKey,
  });
});

afterAll(async () => {
  await functions?.stop();
  await clickpesa?.close();
});

async function checkout(user: TestUser, payload: Record<string, unknown>, key = `key-${randomUUID()}`) {
  const response = await functions.call('checkout', {
    method: 'POST', jwt: user.jwt, headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ shipping_address: tanzania, payment_method: 'clickpesa', phone: '0712 345 678', ...payload }),
  });
  return { status: response.status, json: await response.json() };
}

async function deliver(body: unknown, headers: Record<string, string> = {}) {
  const response = await functions.call('payment-webhook/clickpesa', {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/** A buyer with a TZS cart (2 × 1500 TZS by default). */
async function cart(options: { currency?: string; price?: number; stock?: number } = {}) {
  const buyer = await createCustomer();
  const product = await createProduct((await shop).id, { price: options.price ?? 1500, currency: options.currency ?? 'TZS', stock: options.stock ?? 10 });
  await addToCart(buyer, product.id, 2);
  return { buyer, product };
}

/** A placed ClickPesa checkout whose push the fake holds. */
async function pushed() {
  const { buyer, product } = await cart();
  const placed = await checkout(buyer, {});
  expect(placed.status).toBe(201);
  const checkoutId = placed.json.data.checkout_id as string;
  return { buyer, product, checkoutId, reference: orderReferenceOf(checkoutId) };
}

async function state(checkoutId: string) {
  const [row] = await superuser()`
    select c.status as checkout, p.status as payment, p.receipt, p.phone,
           (select array_agg(o.status::text order by o.id) from public.orders o where o.checkout_id = c.id) as orders
    from public.checkouts c join public.payments p on p.checkout_id = c.id where c.id = ${checkoutId}`;
  return row;
}

const eventsOf = (checkoutId: string) =>
  superuser()`select event_id, status::text, outcome from public.payment_events where checkout_id = ${checkoutId} order by created_at`;
const statusQueries = () => clickpesa.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/payments/')).length;

describe('ClickPesa checkout', () => {
  it('sends one checksummed USSD push for the whole checkout to the number in 255… form (201, pending)', async () => {
    const { buyer } = await cart();
    const before = clickpesa.requests.length;
    const { status, json } = await checkout(buyer, { phone: '+255 712-345-678' });
    expect(status).toBe(201);
    expect(json.data).toMatchObject({ status: 'pending_payment', total: 3000, currency: 'TZS', payment: { provider: 'clickpesa', status: 'pending' } });
    const push = clickpesa.requests.slice(before).find((r) => r.path === '/payments/initiate-ussd-push-request')!;
    const sent = JSON.parse(push.body);
    expect(sent).toEqual({
      amount: '3000', currency: 'TZS', orderReference: orderReferenceOf(json.data.checkout_id), phoneNumber: '255712345678',
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(push.headers.authorization).toMatch(/^Bearer [0-9a-f]{32}$/);
    expect(await state(json.data.checkout_id)).toMatchObject({ checkout: 'pending_payment', payment: 'pending', phone: '255712345678' });
  });

  it('caches the token for its hour: two checkouts ask for one token', async () => {
    const issued = clickpesa.tokensIssued();
    await pushed();
    await pushed();
    expect(clickpesa.tokensIssued()).toBe(issued);
  });

  it.each([
    ['a Kenyan number', '+254712345678'],
    ['a Tanzanian landline', '022 212 3456'],
    ['too few digits', '07123'],
    ['letters', 'call me'],
  ])('refuses %s with 400 naming phone, and places nothing', async (_label, phone) => {
    const { buyer, product } = await cart();
    const { status, json } = await checkout(buyer, { phone });
    expect(status).toBe(400);
    expect(json).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'phone' }] });
    expect(await stockOf(product.id)).toBe(10);
    expect((await superuser()`select count(*)::int as n from public.checkouts where user_id = ${buyer.id}`)[0].n).toBe(0);
  });

  it('requires a phone for ClickPesa (400 naming phone)', async () => {
    const { buyer } = await cart();
    const response = await functions.call('checkout', {
      method: 'POST', jwt: buyer.jwt, headers: { 'content-type': 'application/json', 'idempotency-key': `key-${randomUUID()}` },
      body: JSON.stringify({ shipping_address: tanzania, payment_method: 'clickpesa' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ details: [{ path: 'phone' }] });
  });

  it('refuses a cart in another currency than TZS with 422 and changes nothing', async () => {
    const { buyer, product } = await cart({ currency: 'KES' });
    const before = clickpesa.requests.length;
    const { status, json } = await checkout(buyer, {});
    expect(status).toBe(422);
    expect(json.message).toMatch(/TZS only/);
    expect(await stockOf(product.id)).toBe(10);
    expect(clickpesa.requests.length).toBe(before);
  });

  it('undoes the checkout when ClickPesa is down: 503, orders cancelled, stock and cart restored', async () => {
    const { buyer, product } = await cart({ stock: 7 });
    clickpesa.failWith(502);
    let failed;
    try {
      failed = await checkout(buyer, {});
    } finally {
      clickpesa.failWith(null);
    }
    expect(failed.status).toBe(503);
    expect(failed.json).toMatchObject({ code: 'PAYMENT_UNAVAILABLE' });
    const [row] = await superuser()`select c.id from public.checkouts c where c.user_id = ${buyer.id}`;
    expect(await state(row.id)).toMatchObject({ checkout: 'cancelled', payment: 'failed', orders: ['cancelled'] });
    expect(await stockOf(product.id)).toBe(7);
    const [line] = await superuser()`select ci.quantity from public.cart_items ci join public.carts c on c.id = ci.cart_id where c.user_id = ${buyer.id}`;
    expect(line.quantity).toBe(2);
  });

  it('a retry reuses the orderReference: ClickPesa\'s 409 "already used" is answered by a status query, not a second push', async () => {
    const client = clickPesaClient({ apiBase: clickpesa.url, ...CLICKPESA_CLIENT });
    const orderReference = randomUUID().replaceAll('-', '');
    const input = { amount: '2500', currency: 'TZS', orderReference, phoneNumber: '255754000001' };
    const first = await client.initiateUssdPush(input);
    const again = await client.initiateUssdPush(input);
    expect(again.id).toBe(first.id);
    expect(clickpesa.payments.size).toBeGreaterThan(0);
    const pushes = clickpesa.requests.filter((r) => r.path === '/payments/initiate-ussd-push-request' && JSON.parse(r.body).orderReference === orderReference);
    expect(pushes.length).toBe(2);
    expect(clickpesa.requests.some((r) => r.method === 'GET' && r.path === `/payments/${orderReference}`)).toBe(true);
  });

  it('reports ClickPesa\'s own errors: a wrong API key (403) and an invalid phone (400), sending no push', async () => {
    const wrongKey = clickPesaClient({ apiBase: clickpesa.url, ...CLICKPESA_CLIENT, apiKey: 'SKwrong' });
    await expect(wrongKey.paymentsOf('ANYREF')).rejects.toThrow(/403: Invalid or Expired API-Key/);
    const client = clickPesaClient({ apiBase: clickpesa.url, ...CLICKPESA_CLIENT });
    await expect(client.initiateUssdPush({ amount: '100', currency: 'TZS', orderReference: 'REF' + Date.now(), phoneNumber: '+255712345678' }))
      .rejects.toThrow(/400: Invalid phone number/);
    const badChecksum = clickPesaClient({ apiBase: clickpesa.url, ...CLICKPESA_CLIENT, checksumKey: 'another' });
    await expect(badChecksum.initiateUssdPush({ amount: '100', currency: 'TZS', orderReference: 'REF' + Date.now(), phoneNumber: '255712345678' }))
      .rejects.toThrow(/400: Invalid checksum/);
  });

  it('takes a new token when ClickPesa no longer accepts the cached one', async () => {
    const client = clickPesaClient({ apiBase: clickpesa.url, ...CLICKPESA_CLIENT });
    await client.paymentsOf('NOSUCHREF1');
    const issued = clickpesa.tokensIssued();
    clickpesa.revokeTokens();
    expect(await client.paymentsOf('NOSUCHREF2')).toEqual([]);
    expect(clickpesa.tokensIssued()).toBe(issued + 1);
  });
});

describe('ClickPesa webhook', () => {
  it('pays the checkout once ClickPesa confirms it: orders paid, receipt kept', async () => {
    const { checkoutId, reference } = await pushed();
    const payment = clickpesa.settle(reference, 'SUCCESS');
    const { status, json } = await deliver(clickpesa.webhookBody(reference));
    expect(status).toBe(200);
    expect(json.data).toEqual({ received: true, outcome: 'paid' });
    expect(await state(checkoutId)).toMatchObject({ checkout: 'paid', payment: 'succeeded', orders: ['paid'], receipt: payment.paymentReference });
    expect(clickpesa.requests.at(-1)).toMatchObject({ method: 'GET', path: `/payments/${reference}` });
  });

  it('refunds a paid ClickPesa order as a refund staff must pay out, once per Idempotency-Key', async () => {
    const { checkoutId, reference } = await pushed();
    clickpesa.settle(reference, 'SUCCESS');
    await deliver(clickpesa.webhookBody(reference));
    const [order] = await superuser()`select id from public.orders where checkout_id = ${checkoutId}`;
    const admin = (await shop).admin;
    const key = `refund-${randomUUID()}`;
    const ask = async () => {
      const response = await functions.call('refunds', {
        method: 'POST', jwt: admin.jwt, headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ order_id: order.id, amount: 1000, reason: 'One crate short' }),
      });
      return (await response.json()).data;
    };
    const first = await ask();
    expect(first).toMatchObject({ provider: 'clickpesa', amount: 1000, currency: 'TZS', status: 'to_pay_out' });
    expect((await ask()).id).toBe(first.id);
    expect((await superuser()`select count(*)::int as n from public.refunds where order_id = ${order.id}`)[0].n).toBe(1);
    expect((await state(checkoutId)).orders).toEqual(['paid']);
  });

  it('reads the older webhook shape (eventType, paymentId, amount) too', async () => {
    const { checkoutId, reference } = await pushed();
    clickpesa.settle(reference, 'SETTLED');
    const { json } = await deliver(clickpesa.webhookBody(reference, { shape: 'legacy' }));
    expect(json.data.outcome).toBe('paid');
    expect((await state(checkoutId)).checkout).toBe('paid');
  });

  it('a replayed or duplicated callback changes nothing twice and asks ClickPesa nothing more', async () => {
    const { checkoutId, reference } = await pushed();
    clickpesa.settle(reference, 'SUCCESS');
    const body = clickpesa.webhookBody(reference);
    await deliver(body);
    const queries = statusQueries();
    const [history] = await superuser()`select count(*)::int as n from public.order_status_history h join public.orders o on o.id = h.order_id where o.checkout_id = ${checkoutId}`;
    const replies = await Promise.all([deliver(body), deliver(body)]);
    expect(replies.map((r) => r.json.data.outcome)).toEqual(['duplicate', 'duplicate']);
    expect(statusQueries()).toBe(queries);
    const [after] = await superuser()`select count(*)::int as n from public.order_status_history h join public.orders o on o.id = h.order_id where o.checkout_id = ${checkoutId}`;
    expect(after.n).toBe(history.n);
    expect(await eventsOf(checkoutId)).toHaveLength(1);
  });

  it.each([
    ['signed with another key', (body: Record<string, unknown>) => ({ ...body, checksum: 'f'.repeat(64) }), {}],
    ['altered after signing (amount)', (body: Record<string, unknown>) => ({ ...body, data: { ...(body.data as object), collectedAmount: '1' } }), {}],
    ['without a checksum', ({ checksum: _c, ...body }: Record<string, unknown>) => body, {}],
    ['with the checksum in a header only', ({ checksum: _c, ...body }: Record<string, unknown>) => body, 'header'],
  ] as const)('refuses a forged callback (%s) with 401, storing and changing nothing', async (_label, forge, where) => {
    const { checkoutId, reference } = await pushed();
    clickpesa.settle(reference, 'SUCCESS');
    const signed = clickpesa.webhookBody(reference);
    const headers: Record<string, string> = where === 'header' ? { 'x-clickpesa-checksum': String(signed.checksum) } : {};
    const { status, json } = await deliver(forge(signed), headers);
    expect(status).toBe(401);
    expect(json).toMatchObject({ code: 'BAD_CHECKSUM' });
    expect((await state(checkoutId)).checkout).toBe('pending_payment');
    expect(await eventsOf(checkoutId)).toHaveLength(0);
  });

  it('never settles a callback for another amount: stored as rejected, the checkout still waits', async () => {
    const { checkoutId, reference } = await pushed();
    clickpesa.settle(reference, 'SUCCESS', { collectedAmount: '300' });
    const { json } = await deliver(clickpesa.webhookBody(reference));
    expect(json.data.outcome).toMatch(/^rejected: the callback claims 300/);
    expect((await state(checkoutId)).checkout).toBe('pending_payment');
    expect(await eventsOf(checkoutId)).toEqual([expect.objectContaining({ status: 'rejected' })]);
  });

  it('never settles a payment ClickPesa does not list under the reference named (another checkout\'s payment id)', async () => {
    const first = await pushed();
    const second = await pushed();
    clickpesa.settle(second.reference, 'SUCCESS');
    const otherId = clickpesa.payments.get(second.reference)!.id;
    clickpesa.settle(first.reference, 'PROCESSING');
    const body = clickpesa.webhookBody(second.reference, { changes: { orderReference: first.reference } });
    const { json } = await deliver(body);
    expect(json.data.outcome).toBe(`rejected: clickpesa knows no payment ${otherId} for reference ${first.reference}`);
    expect((await state(first.checkoutId)).checkout).toBe('pending_payment');
  });

  it('does not pay on a callback ClickPesa does not confirm yet (its status still PROCESSING)', async () => {
    const { checkoutId, reference } = await pushed();
    const body = clickpesa.webhookBody(reference, { changes: { status: 'SUCCESS' } });
    const { json } = await deliver(body);
    expect(json.data.outcome).toMatch(/^awaiting/);
    expect((await state(checkoutId)).checkout).toBe('pending_payment');
  });

  it('answers 503 and stores nothing when ClickPesa cannot confirm; the provider\'s retry then settles', async () => {
    const { checkoutId, reference } = await pushed();
    clickpesa.settle(reference, 'SUCCESS');
    const body = clickpesa.webhookBody(reference);
    clickpesa.failWith(500);
    let first;
    try {
      first = await deliver(body);
    } finally {
      clickpesa.failWith(null);
    }
    expect(first.status).toBe(503);
    expect(await eventsOf(checkoutId)).toHaveLength(0);
    expect((await deliver(body)).json.data.outcome).toBe('paid');
  });

  it('cancels the checkout on a confirmed failure and restores the stock', async () => {
    const { checkoutId, reference, product } = await pushed();
    expect(await stockOf(product.id)).toBe(8);
    clickpesa.settle(reference, 'FAILED');
    const { json } = await deliver(clickpesa.webhookBody(reference));
    expect(json.data.outcome).toBe('cancelled');
    expect(await state(checkoutId)).toMatchObject({ checkout: 'cancelled', payment: 'failed', orders: ['cancelled'] });
    expect(await stockOf(product.id)).toBe(10);
  });

  it('keeps a payment that completes after the checkout expired as a late payment, changing no order', async () => {
    const { checkoutId, reference } = await pushed();
    await superuser()`select private.cancel_checkout(${checkoutId}, 'Not paid within 30 minutes: reservation expired')`;
    clickpesa.settle(reference, 'SUCCESS');
    const { json } = await deliver(clickpesa.webhookBody(reference));
    expect(json.data.outcome).toBe('late: paid after checkout was cancelled');
    expect((await state(checkoutId)).orders).toEqual(['cancelled']);
    // Listed for the business's staff to pay back, once.
    await deliver(clickpesa.webhookBody(reference));
    const shopAdmin = (await shop).admin;
    const listed = await asUser(shopAdmin, (tx) => tx`select kind, amount::text, status::text from public.refunds where checkout_id = ${checkoutId}`);
    expect(listed.data).toEqual([{ kind: 'late_payment', amount: '3000.00', status: 'to_pay_out' }]);
  });

  it('answers "unknown payment" for a reference no checkout started, changing nothing', async () => {
    const { reference } = await pushed();
    clickpesa.settle(reference, 'SUCCESS');
    await superuser()`update public.payments set provider_ref = ${'X' + randomUUID().replaceAll('-', '')} where provider_ref = ${reference}`;
    const { json } = await deliver(clickpesa.webhookBody(reference));
    expect(json.data.outcome).toBe('unknown payment');
  });
});
