// Threat: a different Stripe session pays (or cancels) a checkout. Stripe signs every event of
// the account, including sessions the attacker opened themselves: a Payment Link with the
// victim checkout's id as client_reference_id, paid with 1.00 against a 4,200.00 checkout.
// The webhook settles only the session recorded for the checkout (or, before one is recorded,
// a session whose metadata names the same checkout), and a completion only when Stripe says
// `paid` for exactly the checkout's amount and currency. Everything else is stored as
// rejected, changes no order, and is listed for the order managers of the businesses concerned.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStripePayload } from '../../functions/payment-webhook/stripe-signature.ts';
import { superuser } from '../support/db.ts';
import { type BusinessFixture, createBusiness, createCustomer } from '../support/fixtures.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import { asUser } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';
import { addToCart, createProduct, placeCheckout } from '../commerce/fixtures.ts';

const SECRET = 'whsec_forged_payments';
let functions: RunningFunctions;
let shop: BusinessFixture;
let rival: BusinessFixture;
let outsider: TestUser;

beforeAll(async () => {
  [functions, shop, rival, outsider] = await Promise.all([
    startFunctions({ STRIPE_WEBHOOK_SECRET: SECRET }), createBusiness('forged-pay'), createBusiness('forged-pay-rival'), createCustomer(),
  ]);
});

afterAll(async () => {
  await functions?.stop();
});

const newSessionId = () => `cs_test_${randomUUID().replaceAll('-', '')}`;

/** A card checkout of 4,200.00 KES; its own session recorded unless `record` is false. */
async function victimCheckout(record = true) {
  const buyer = await createCustomer('victim');
  const product = await createProduct(shop.id, { price: 4200, stock: 5 });
  await addToCart(buyer, product.id, 1);
  const placed = await placeCheckout(buyer, 'stripe');
  const own = {
    id: newSessionId(), client_reference_id: placed.checkout_id, metadata: { checkout_id: placed.checkout_id },
    amount_total: 420000, currency: 'kes', payment_status: 'paid',
  };
  if (record) await superuser()`select private.record_payment_session(${placed.checkout_id}, ${own.id}, 'https://checkout.stripe.test/x')`;
  return { buyer, checkoutId: placed.checkout_id, own };
}

async function deliver(type: string, session: Record<string, unknown>) {
  const payload = {
    id: `evt_${randomUUID().replaceAll('-', '')}`, object: 'event', type, created: Math.floor(Date.now() / 1000),
    data: { object: { object: 'checkout.session', ...session } },
  };
  const raw = JSON.stringify(payload);
  const response = await functions.call('payment-webhook/stripe', {
    method: 'POST',
    headers: { 'stripe-signature': await signStripePayload(raw, SECRET, Math.floor(Date.now() / 1000)), 'content-type': 'application/json' },
    body: raw,
  });
  return { status: response.status, outcome: (await response.json()).data?.outcome as string, eventId: payload.id };
}

async function state(checkoutId: string) {
  const [row] = await superuser()`
    select c.status as checkout, p.status as payment, p.provider_ref,
           (select array_agg(o.status order by o.id) from public.orders o where o.checkout_id = c.id) as orders
    from public.checkouts c join public.payments p on p.checkout_id = c.id where c.id = ${checkoutId}`;
  return row;
}

async function storedEvent(eventId: string) {
  const [row] = await superuser()`select status, checkout_id, outcome from public.payment_events where event_id = ${eventId}`;
  return row;
}

/** Delivers an event that must be refused: answered 200 (Stripe must not retry), stored as rejected, nothing changed. */
async function expectRejected(checkoutId: string, type: string, session: Record<string, unknown>) {
  const before = await state(checkoutId);
  const { status, outcome, eventId } = await deliver(type, session);
  expect(status).toBe(200);
  expect(outcome).toMatch(/^rejected: /);
  expect(await state(checkoutId)).toEqual(before);
  expect(await storedEvent(eventId)).toMatchObject({ status: 'rejected', checkout_id: checkoutId });
  return eventId;
}

describe('a different Stripe session cannot pay a checkout', () => {
  it('a Payment Link session carrying the checkout\'s reference and paying 1.00 against 4,200.00 is rejected', async () => {
    const { checkoutId } = await victimCheckout();
    await expectRejected(checkoutId, 'checkout.session.completed', {
      id: newSessionId(), client_reference_id: checkoutId, amount_total: 100, currency: 'kes', payment_status: 'paid',
    });
  });

  it('another session paying the full amount is rejected once the checkout has its own session', async () => {
    const { checkoutId, own } = await victimCheckout();
    await expectRejected(checkoutId, 'checkout.session.completed', { ...own, id: newSessionId() });
  });

  it('before the checkout\'s session is recorded, a session whose metadata does not name the checkout is rejected', async () => {
    const { checkoutId, own } = await victimCheckout(false);
    await expectRejected(checkoutId, 'checkout.session.completed', { ...own, metadata: {} });
    await expectRejected(checkoutId, 'checkout.session.completed', { ...own, metadata: { checkout_id: randomUUID() } });
    // The genuine session, whose event overtook the recording, still pays it.
    expect((await deliver('checkout.session.completed', own)).outcome).toBe('paid');
    expect(await state(checkoutId)).toMatchObject({ checkout: 'paid', payment: 'succeeded', provider_ref: own.id });
  });

  it.each([
    ['a lower amount', { amount_total: 419999 }],
    ['a higher amount', { amount_total: 420001 }],
    ['another currency', { currency: 'usd' }],
    ['no amount', { amount_total: undefined }],
    ['an amount that is not a number', { amount_total: '420000' }],
    ['no currency', { currency: undefined }],
    ['no payment_status', { payment_status: undefined }],
    ['payment_status no_payment_required', { payment_status: 'no_payment_required' }],
  ])('the checkout\'s own session completing with %s is rejected', async (_label, change) => {
    const { checkoutId, own } = await victimCheckout();
    await expectRejected(checkoutId, 'checkout.session.completed', { ...own, ...change });
  });

  it('async payment success with a wrong amount is rejected as well', async () => {
    const { checkoutId, own } = await victimCheckout();
    await expectRejected(checkoutId, 'checkout.session.async_payment_succeeded', { ...own, amount_total: 100 });
  });

  it('another session expiring with the checkout\'s reference cannot cancel it', async () => {
    const { checkoutId, own } = await victimCheckout();
    await expectRejected(checkoutId, 'checkout.session.expired', { ...own, id: newSessionId(), payment_status: 'unpaid' });
    expect((await state(checkoutId)).checkout).toBe('pending_payment');
  });

  it('the checkout\'s own session paying the exact amount still pays it', async () => {
    const { checkoutId, own } = await victimCheckout();
    const { outcome, eventId } = await deliver('checkout.session.completed', own);
    expect(outcome).toBe('paid');
    expect(await state(checkoutId)).toMatchObject({ checkout: 'paid', payment: 'succeeded', orders: ['paid'] });
    expect(await storedEvent(eventId)).toMatchObject({ status: 'applied', checkout_id: checkoutId, outcome: 'paid' });
  });
});

describe('rejected payment events are listed for the businesses concerned', () => {
  it('the business\'s order managers read them; its viewers and editors, the customer and other businesses do not', async () => {
    const { checkoutId, buyer } = await victimCheckout();
    const eventId = await expectRejected(checkoutId, 'checkout.session.completed', {
      id: newSessionId(), client_reference_id: checkoutId, amount_total: 100, currency: 'kes', payment_status: 'paid',
    });
    const list = (user: TestUser) => asUser(user, (tx) => tx`
      select event_id, status, outcome from public.payment_events where checkout_id = ${checkoutId} and status = 'rejected'`,
      { method: 'GET' });
    for (const manager of [shop.approver, shop.admin]) {
      const { data } = await list(manager);
      expect(data).toEqual([{ event_id: eventId, status: 'rejected', outcome: expect.stringMatching(/^rejected: /) }]);
    }
    for (const other of [shop.viewer, shop.editor, buyer, outsider, rival.admin]) {
      expect((await list(other)).data).toEqual([]);
    }
  });

  it('an event naming no known checkout is stored for the service role only', async () => {
    const { eventId, outcome } = await deliver('checkout.session.completed', {
      id: newSessionId(), client_reference_id: randomUUID(), amount_total: 100, currency: 'kes', payment_status: 'paid',
    });
    expect(outcome).toBe('unknown session');
    expect(await storedEvent(eventId)).toMatchObject({ status: 'ignored', checkout_id: null });
    const seen = await asUser(shop.admin, (tx) => tx`select id from public.payment_events where event_id = ${eventId}`, { method: 'GET' });
    expect(seen.data).toEqual([]);
  });
});
