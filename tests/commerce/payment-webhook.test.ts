// POST /functions/v1/payment-webhook/stripe: signature checked on the raw body, each event
// stored and applied once; duplicates, replays, late and out-of-order events change nothing twice.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStripePayload } from '../../functions/payment-webhook/stripe-signature.ts';
import { superuser } from '../support/db.ts';
import { whileLocked } from '../support/locks.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import { createProduct, addToCart, placeCheckout, stockOf } from './fixtures.ts';

const SECRET = 'whsec_test_webhook';
let functions: RunningFunctions;
const shop = createBusiness('webhook-shop');

beforeAll(async () => {
  functions = await startFunctions({ STRIPE_WEBHOOK_SECRET: SECRET });
});

afterAll(async () => {
  await functions?.stop();
});

/** The Checkout Session as Stripe describes it for a checkout the checkout function opened. */
function sessionFor(checkoutId: string, total: string | number, sessionId = `cs_test_${randomUUID().replaceAll('-', '')}`) {
  return {
    id: sessionId, client_reference_id: checkoutId, metadata: { checkout_id: checkoutId },
    amount_total: Math.round(Number(total) * 100), currency: 'kes',
  };
}

/** A Stripe checkout waiting for payment, with the session Stripe would have given it. */
async function stripeCheckout(quantity = 2) {
  const buyer = await createCustomer();
  const product = await createProduct((await shop).id, { stock: 10 });
  await addToCart(buyer, product.id, quantity);
  const placed = await placeCheckout(buyer, 'stripe');
  const session = sessionFor(placed.checkout_id, placed.total);
  await superuser()`select private.record_payment_session(${placed.checkout_id}, ${session.id}, ${'https://checkout.stripe.test/' + session.id})`;
  return { checkoutId: placed.checkout_id, orderIds: placed.orders.map((o) => o.id), product, sessionId: session.id, session };
}

function event(type: string, session: Record<string, unknown>, id = `evt_${randomUUID().replaceAll('-', '')}`) {
  return { id, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object: { object: 'checkout.session', ...session } } };
}

async function deliver(payload: unknown, options: { secret?: string; offset?: number; header?: string; path?: string } = {}) {
  const raw = JSON.stringify(payload);
  const header = options.header ?? await signStripePayload(raw, options.secret ?? SECRET, Math.floor(Date.now() / 1000) + (options.offset ?? 0));
  const response = await functions.call(options.path ?? 'payment-webhook/stripe', {
    method: 'POST', headers: { 'stripe-signature': header, 'content-type': 'application/json' }, body: raw,
  });
  return { status: response.status, json: await response.json() };
}

async function state(checkoutId: string) {
  const [row] = await superuser()`
    select c.status as checkout, p.status as payment,
           (select array_agg(o.status order by o.id) from public.orders o where o.checkout_id = c.id) as orders,
           (select count(*)::int from public.order_status_history h join public.orders o on o.id = h.order_id where o.checkout_id = c.id) as history
    from public.checkouts c join public.payments p on p.checkout_id = c.id where c.id = ${checkoutId}`;
  return row;
}

const eventCount = async (id: string) => (await superuser()`select count(*)::int as n from public.payment_events where event_id = ${id}`)[0].n;

describe('payment webhook signature', () => {
  it.each([
    ['signed with another secret', { secret: 'whsec_wrong' }],
    ['signed more than 300 s ago', { offset: -301 }],
    ['signed more than 300 s ahead', { offset: 301 }],
    ['without a v1 signature', { header: 't=1800000000' }],
    ['without the header', { header: '' }],
  ])('refuses an event %s with 400 and changes nothing', async (_label, options) => {
    const checkout = await stripeCheckout();
    const completed = event('checkout.session.completed', { ...checkout.session, payment_status: 'paid' });
    const before = await state(checkout.checkoutId);
    const { status, json } = await deliver(completed, options);
    expect(status).toBe(400);
    expect(json).toMatchObject({ status: 'error', code: 'BAD_SIGNATURE' });
    expect(await state(checkout.checkoutId)).toEqual(before);
    expect(await eventCount(completed.id)).toBe(0);
  });

  it('refuses a body changed after signing (the signature covers the raw bytes)', async () => {
    const checkout = await stripeCheckout();
    const genuine = event('checkout.session.expired', checkout.session);
    const header = await signStripePayload(JSON.stringify(genuine), SECRET, Math.floor(Date.now() / 1000));
    const forged = { ...genuine, type: 'checkout.session.completed', data: { object: { ...genuine.data.object, payment_status: 'paid' } } };
    expect((await deliver(forged, { header })).status).toBe(400);
    expect((await state(checkout.checkoutId)).checkout).toBe('pending_payment');
  });

  it('answers 404 for another provider path', async () => {
    const { status } = await deliver(event('x', {}), { path: 'payment-webhook/paypal' });
    expect(status).toBe(404);
  });
});

describe('payment webhook events', () => {
  it('marks every order of the checkout paid on checkout.session.completed', async () => {
    const checkout = await stripeCheckout();
    const completed = event('checkout.session.completed', { ...checkout.session, payment_status: 'paid' });
    const { status, json } = await deliver(completed);
    expect(status).toBe(200);
    expect(json.data).toEqual({ received: true, outcome: 'paid' });
    expect(await state(checkout.checkoutId)).toEqual({ checkout: 'paid', payment: 'succeeded', orders: ['paid'], history: 2 });
  });

  it('applies a duplicated event once and a replayed (re-signed) one once', async () => {
    const checkout = await stripeCheckout();
    const completed = event('checkout.session.completed', { ...checkout.session, payment_status: 'paid' });
    // Both deliveries are in flight together: the checkout is held until both wait (the first for
    // the checkout, the second for the first's uncommitted event row).
    const results = await whileLocked(
      (tx) => tx`select 1 from public.checkouts where id = ${checkout.checkoutId} for update`,
      () => Promise.all([deliver(completed), deliver(completed)]),
      { query: 'apply_stripe_event', count: 2 },
    );
    expect(results.map((r) => r.json.data.outcome).sort()).toEqual(['duplicate', 'paid']);
    const replay = await deliver(completed, { offset: -60 });
    expect(replay.json.data.outcome).toBe('duplicate');
    expect(await eventCount(completed.id)).toBe(1);
    expect(await state(checkout.checkoutId)).toEqual({ checkout: 'paid', payment: 'succeeded', orders: ['paid'], history: 2 });
  });

  it('cancels and restores stock on expiry and on async payment failure', async () => {
    for (const type of ['checkout.session.expired', 'checkout.session.async_payment_failed']) {
      const checkout = await stripeCheckout(3);
      const stock = await stockOf(checkout.product.id);
      const { json } = await deliver(event(type, { ...checkout.session, payment_status: 'unpaid' }));
      expect(json.data.outcome).toBe('cancelled');
      expect(await state(checkout.checkoutId)).toEqual({
        checkout: 'cancelled', payment: type.endsWith('expired') ? 'cancelled' : 'failed', orders: ['cancelled'], history: 2,
      });
      expect(await stockOf(checkout.product.id)).toBe(stock + 3);
    }
  });

  it('out of order: an expiry after completion leaves the checkout paid and the stock sold', async () => {
    const checkout = await stripeCheckout();
    const stock = await stockOf(checkout.product.id);
    const session = checkout.session;
    await deliver(event('checkout.session.completed', { ...session, payment_status: 'paid' }));
    const late = await deliver(event('checkout.session.expired', { ...session, payment_status: 'unpaid' }));
    expect(late.json.data.outcome).toBe('late: checkout is paid');
    expect(await state(checkout.checkoutId)).toEqual({ checkout: 'paid', payment: 'succeeded', orders: ['paid'], history: 2 });
    expect(await stockOf(checkout.product.id)).toBe(stock);
  });

  it('late: a completion after expiry leaves the checkout cancelled (kept in the inbox for a refund)', async () => {
    const checkout = await stripeCheckout();
    const session = checkout.session;
    await deliver(event('checkout.session.expired', { ...session, payment_status: 'unpaid' }));
    const stock = await stockOf(checkout.product.id);
    const completed = event('checkout.session.completed', { ...session, payment_status: 'paid' });
    expect((await deliver(completed)).json.data.outcome).toBe('late: checkout is cancelled');
    expect(await state(checkout.checkoutId)).toEqual({ checkout: 'cancelled', payment: 'cancelled', orders: ['cancelled'], history: 2 });
    expect(await stockOf(checkout.product.id)).toBe(stock);
    expect(await eventCount(completed.id)).toBe(1);
  });

  it('finds the checkout by client_reference_id when the event overtakes the recording of the session', async () => {
    const buyer = await createCustomer();
    await addToCart(buyer, (await createProduct((await shop).id)).id, 1);
    const placed = await placeCheckout(buyer, 'stripe');
    const { json } = await deliver(event('checkout.session.completed', { ...sessionFor(placed.checkout_id, placed.total), payment_status: 'paid' }));
    expect(json.data.outcome).toBe('paid');
    expect((await state(placed.checkout_id)).checkout).toBe('paid');
  });

  it('stores but ignores unrelated event types and completions still awaiting payment', async () => {
    const checkout = await stripeCheckout();
    const session = checkout.session;
    expect((await deliver(event('customer.created', {}))).json.data.outcome).toBe('ignored');
    expect((await deliver(event('checkout.session.completed', { ...session, payment_status: 'unpaid' }))).json.data.outcome).toBe('awaiting payment');
    expect((await state(checkout.checkoutId)).checkout).toBe('pending_payment');
  });

  it('answers 400 for a signed body that is not a Stripe event, storing nothing', async () => {
    const { status } = await deliver({ hello: 'world' });
    expect(status).toBe(400);
  });
});
