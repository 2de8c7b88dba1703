// Refunds: a card refund goes to Stripe (one idempotency key per refund) for one order of a
// multi-business checkout, in part or whole; mobile-money and manual refunds are recorded for
// staff to pay out; Stripe down leaves a refund pending for the sweep; a card payment that
// completes after its checkout was cancelled is refunded by itself.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { signStripePayload } from '../../functions/payment-webhook/stripe-signature.ts';
import { superuser } from '../support/db.ts';
import { type FakeStripe, startFakeStripe } from '../support/fake-stripe.ts';
import { type BusinessFixture, createBusiness, createCustomer } from '../support/fixtures.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import { asUser } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';
import { address, addToCart, createProduct, pendingOrder } from './fixtures.ts';

const SECRET = 'whsec_test_refunds';
let functions: RunningFunctions;
let stripe: FakeStripe;
let serviceRoleKey: string;
let shopA: BusinessFixture;
let shopB: BusinessFixture;

beforeAll(async () => {
  stripe = await startFakeStripe();
  serviceRoleKey = (await apiKeys()).serviceRoleKey;
  functions = await startFunctions({ STRIPE_SECRET_KEY: 'sk_test_refunds', STRIPE_API_BASE: stripe.url, STRIPE_WEBHOOK_SECRET: SECRET });
  [shopA, shopB] = await Promise.all([createBusiness('refund-a'), createBusiness('refund-b')]);
});

afterAll(async () => {
  await functions?.stop();
  await stripe?.close();
});

async function stripeEvent(type: string, session: Record<string, unknown>) {
  const raw = JSON.stringify({ id: `evt_${randomUUID().replaceAll('-', '')}`, object: 'event', type, data: { object: session } });
  const response = await functions.call('payment-webhook/stripe', {
    method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': await signStripePayload(raw, SECRET, Math.floor(Date.now() / 1000)) },
    body: raw,
  });
  return (await response.json()).data.outcome as string;
}

/** A card checkout over both shops (A: 2 × 100, B: 1 × 300 KES), paid at Stripe unless told otherwise. */
async function cardCheckout(pay = true) {
  const buyer = await createCustomer();
  const a = await createProduct(shopA.id, { price: 100 });
  const b = await createProduct(shopB.id, { price: 300 });
  await addToCart(buyer, a.id, 2);
  await addToCart(buyer, b.id, 1);
  const response = await functions.call('checkout', {
    method: 'POST', jwt: buyer.jwt, headers: { 'content-type': 'application/json', 'idempotency-key': `key-${randomUUID()}` },
    body: JSON.stringify({ shipping_address: address, payment_method: 'stripe' }),
  });
  const data = (await response.json()).data;
  const [payment] = await superuser()`select provider_ref from public.payments where checkout_id = ${data.checkout_id}`;
  const sessionId = payment.provider_ref as string;
  const orderOf = (shop: BusinessFixture) => data.orders.find((o: { business_id: string }) => o.business_id === shop.id).id as string;
  const session = () => ({ ...stripe.sessions.get(sessionId)!, client_reference_id: data.checkout_id, metadata: { checkout_id: data.checkout_id } });
  if (pay) {
    stripe.pay(sessionId, 50000);
    expect(await stripeEvent('checkout.session.completed', session())).toBe('paid');
  }
  return { buyer, checkoutId: data.checkout_id as string, sessionId, session, orderA: orderOf(shopA), orderB: orderOf(shopB) };
}

async function refund(user: TestUser, body: Record<string, unknown>, key = `refund-${randomUUID()}`) {
  const response = await functions.call('refunds', {
    method: 'POST', jwt: user.jwt, headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

const orderStatus = async (id: string) => (await superuser()`select status::text from public.orders where id = ${id}`)[0].status;
const sweep = () => functions.call('payment-status', { method: 'POST', jwt: serviceRoleKey, headers: { 'content-type': 'application/json' }, body: '{}' });

describe('card refunds', () => {
  it('refunds part of one business\'s order through Stripe, once per Idempotency-Key', async () => {
    const { orderA, orderB } = await cardCheckout();
    const key = `refund-${randomUUID()}`;
    const first = await refund(shopA.admin, { order_id: orderA, amount: 50, reason: 'One bag was torn' }, key);
    expect(first.status).toBe(200);
    expect(first.json.data).toMatchObject({ order_id: orderA, provider: 'stripe', amount: 50, status: 'succeeded', provider_ref: expect.stringMatching(/^re_/) });
    const sent = stripe.requests.filter((r) => r.path === '/v1/refunds').at(-1)!;
    expect(sent.headers['idempotency-key']).toBe(`refund-${first.json.data.id}`);
    expect(stripe.formOf(sent)).toMatchObject({ amount: '5000', payment_intent: expect.stringMatching(/^pi_/) });
    const made = stripe.refunds.size;
    const again = await refund(shopA.admin, { order_id: orderA, amount: 50, reason: 'One bag was torn' }, key);
    expect(again.json.data.id).toBe(first.json.data.id);
    expect(stripe.refunds.size).toBe(made);
    expect(await orderStatus(orderA)).toBe('paid');
    expect(await orderStatus(orderB)).toBe('paid');
  });

  it('refunds what is left of an order (no amount): the order becomes refunded, the other business\'s order stays paid', async () => {
    const { orderA, orderB } = await cardCheckout();
    await refund(shopA.admin, { order_id: orderA, amount: 50 });
    const rest = await refund(shopA.admin, { order_id: orderA });
    expect(rest.json.data).toMatchObject({ amount: 150, status: 'succeeded' });
    expect(await orderStatus(orderA)).toBe('refunded');
    expect(await orderStatus(orderB)).toBe('paid');
    const more = await refund(shopA.admin, { order_id: orderA, amount: 1 });
    expect(more.status).toBe(409);
  });

  it('refuses more than is left on the order (422), refunding nothing', async () => {
    const { orderB } = await cardCheckout();
    const made = stripe.refunds.size;
    const { status, json } = await refund(shopB.admin, { order_id: orderB, amount: 300.01 });
    expect(status).toBe(422);
    expect(json.message).toMatch(/300\.00 KES left to refund/);
    expect(stripe.refunds.size).toBe(made);
  });

  it.each([
    ['a viewer of the business', () => shopA.viewer, 403],
    ['another business\'s admin', () => shopB.admin, 404],
  ])('refuses %s', async (_label, who, expected) => {
    const { orderA } = await cardCheckout();
    const { status } = await refund(who(), { order_id: orderA, amount: 10 });
    expect(status).toBe(expected);
    expect((await superuser()`select count(*)::int as n from public.refunds where order_id = ${orderA}`)[0].n).toBe(0);
  });

  it('keeps the refund pending when Stripe is down, and the sweep sends it (once) when Stripe is back', async () => {
    const { orderA } = await cardCheckout();
    stripe.failWith(500);
    let first;
    try {
      first = await refund(shopA.admin, { order_id: orderA, amount: 20 });
    } finally {
      stripe.failWith(null);
    }
    expect(first.json.data.status).toBe('pending');
    expect((await sweep()).status).toBe(200);
    const [row] = await superuser()`select status::text, provider_ref from public.refunds where id = ${first.json.data.id}`;
    expect(row.status).toBe('succeeded');
    expect([...stripe.refunds.values()].filter((r) => (r.metadata as { refund_id: string }).refund_id === first.json.data.id)).toHaveLength(1);
  });

  it('update_order_status to refunded refunds the money too: a pending card refund the sweep sends', async () => {
    const { orderB } = await cardCheckout();
    const result = await asUser(shopB.admin, (tx) => tx`select public.update_order_status(${orderB}, 'refunded', 'Out of stock after all')`);
    expect(result.error).toBeNull();
    expect(await orderStatus(orderB)).toBe('refunded');
    await sweep();
    const [row] = await superuser()`select amount::text, status::text from public.refunds where order_id = ${orderB}`;
    expect(row).toEqual({ amount: '300.00', status: 'succeeded' });
  });
});

describe('late card payments', () => {
  it('refunds a card payment that completes after its checkout was cancelled, by itself and once', async () => {
    const { checkoutId, sessionId, session, orderA } = await cardCheckout(false);
    await superuser()`select private.cancel_checkout(${checkoutId}, 'Reservation expired')`;
    const intent = stripe.pay(sessionId, 50000);
    expect(await stripeEvent('checkout.session.completed', { ...session(), payment_intent: intent })).toBe('late: checkout is cancelled');
    const [late] = await superuser()`select kind, amount::text, status::text from public.refunds where checkout_id = ${checkoutId}`;
    expect(late).toEqual({ kind: 'late_payment', amount: '500.00', status: 'succeeded' });
    expect(await orderStatus(orderA)).toBe('cancelled');
    const made = stripe.refunds.size;
    await stripeEvent('checkout.session.completed', { ...session(), payment_intent: intent });
    expect(stripe.refunds.size).toBe(made);
  });
});

describe('refunds staff pay out', () => {
  it('records a manual payment\'s refund to pay out; an order manager marks it paid out', async () => {
    const buyer = await createCustomer();
    const { orderId } = await pendingOrder(buyer, shopA.id, 2);
    expect((await asUser(shopA.admin, (tx) => tx`select public.update_order_status(${orderId}, 'paid')`)).error).toBeNull();
    const { json } = await refund(shopA.approver, { order_id: orderId, amount: 40 });
    expect(json.data).toMatchObject({ provider: 'manual', status: 'to_pay_out', amount: 40 });
    const byViewer = await asUser(shopA.viewer, (tx) => tx`select status from public.mark_refund_paid_out(${json.data.id}, 'M-Pesa to 0712…')`);
    expect(byViewer.error?.status).toBe(404);
    const paid = await asUser(shopA.admin, (tx) => tx`select status from public.mark_refund_paid_out(${json.data.id}, 'M-Pesa to 0712…')`);
    expect(paid.data?.[0].status).toBe('paid_out');
    const twice = await asUser(shopA.admin, (tx) => tx`select status from public.mark_refund_paid_out(${json.data.id})`);
    expect(twice.error?.status).toBe(409);
    const seen = await asUser(buyer, (tx) => tx`select status from public.refunds where id = ${json.data.id}`);
    expect(seen.data).toEqual([{ status: 'paid_out' }]);
  });
});
