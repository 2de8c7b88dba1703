// POST /functions/v1/checkout over HTTP against the real database: one transaction per
// checkout, once per Idempotency-Key, prices from the database, payment started through the
// provider (a fake Stripe here) with a consistent state when that fails, and no overselling.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { type FakeStripe, startFakeStripe } from '../support/fake-stripe.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import { whileLocked } from '../support/locks.ts';
import type { TestUser } from '../support/users.ts';
import { address, addToCart, createProduct, stockOf } from './fixtures.ts';

let functions: RunningFunctions;
let stripe: FakeStripe;
const shop = createBusiness('checkout-shop');
const secondShop = createBusiness('checkout-second');

beforeAll(async () => {
  stripe = await startFakeStripe();
  functions = await startFunctions({
    STRIPE_SECRET_KEY: 'sk_test_fake',
    STRIPE_API_BASE: stripe.url,
    STRIPE_WEBHOOK_SECRET: 'whsec_test_checkout',
  });
});

afterAll(async () => {
  await functions?.stop();
  await stripe?.close();
});

const body = (overrides: Record<string, unknown> = {}) => ({ shipping_address: address, payment_method: 'manual', ...overrides });

/** Connections of a function's pool (functions/_shared/database.ts): at most this many wait in Postgres at once. */
const FUNCTION_POOL_SIZE = 5;

async function checkout(user: TestUser, payload: unknown, key: string | null = `key-${randomUUID()}`) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers['idempotency-key'] = key;
  const response = await functions.call('checkout', {
    method: 'POST',
    jwt: user.jwt,
    headers,
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  return { status: response.status, json: await response.json() };
}

async function snapshot(user: TestUser, productIds: string[]) {
  const [counts] = await superuser()`
    select (select count(*)::int from public.checkouts where user_id = ${user.id}) as checkouts,
           (select count(*)::int from public.orders where customer_id = ${user.id}) as orders`;
  const cart = await superuser()`
    select ci.product_id, ci.quantity from public.cart_items ci join public.carts c on c.id = ci.cart_id
    where c.user_id = ${user.id} order by ci.product_id`;
  const stock = await Promise.all(productIds.map(stockOf));
  return { ...counts, cart, stock };
}

describe('checkout', () => {
  it('splits a cart over two businesses into two orders, reserves stock and empties the cart (201)', async () => {
    const buyer = await createCustomer();
    const [a, b] = [await shop, await secondShop];
    const maize = await createProduct(a.id, { name: 'Maize flour', price: 120.5, stock: 10 });
    const beans = await createProduct(b.id, { name: 'Beans', price: 80, stock: 5 });
    await addToCart(buyer, maize.id, 2);
    await addToCart(buyer, beans.id, 3);
    const { status, json } = await checkout(buyer, body({ notes: 'Leave at the gate' }));
    expect(status).toBe(201);
    expect(json.status).toBe('success');
    const data = json.data;
    expect(data).toMatchObject({ status: 'pending_payment', total: 481, currency: 'KES', payment: { provider: 'manual', status: 'pending' } });
    expect(data.payment.redirect_url).toBeUndefined();
    const byBusiness = Object.fromEntries(data.orders.map((o: { business_id: string; total: number }) => [o.business_id, o.total]));
    expect(byBusiness).toEqual({ [a.id]: 241, [b.id]: 240 });
    expect(await snapshot(buyer, [maize.id, beans.id])).toEqual({ checkouts: 1, orders: 2, cart: [], stock: [8, 2] });
    const items = await superuser()`
      select product_name, unit_price::text, quantity, line_total::text from public.order_items
      where order_id in ${superuser()(data.orders.map((o: { id: string }) => o.id))} order by product_name`;
    expect(items).toEqual([
      { product_name: 'Beans', unit_price: '80.00', quantity: 3, line_total: '240.00' },
      { product_name: 'Maize flour', unit_price: '120.50', quantity: 2, line_total: '241.00' },
    ]);
    const history = await superuser()`
      select from_status, to_status, actor_id from public.order_status_history where order_id in ${superuser()(data.orders.map((o: { id: string }) => o.id))}`;
    expect(history).toEqual([
      { from_status: null, to_status: 'pending_payment', actor_id: buyer.id },
      { from_status: null, to_status: 'pending_payment', actor_id: buyer.id },
    ]);
  });

  it('answers a retry with the same key and body with the stored result (200) and creates nothing', async () => {
    const buyer = await createCustomer();
    const product = await createProduct((await shop).id, { stock: 10 });
    await addToCart(buyer, product.id, 4);
    const key = `retry-${randomUUID()}`;
    const first = await checkout(buyer, body(), key);
    const second = await checkout(buyer, body(), key);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.json.data).toEqual(first.json.data);
    expect(await snapshot(buyer, [product.id])).toEqual({ checkouts: 1, orders: 1, cart: [], stock: [6] });
  });

  it('answers 409 for a reused key with another body or another cart, changing nothing', async () => {
    const buyer = await createCustomer();
    const [product, other] = [await createProduct((await shop).id, { stock: 10 }), await createProduct((await shop).id, { stock: 10 })];
    await addToCart(buyer, product.id, 1);
    const key = `reused-${randomUUID()}`;
    expect((await checkout(buyer, body(), key)).status).toBe(201);
    const otherBody = await checkout(buyer, body({ notes: 'Different' }), key);
    expect(otherBody.status).toBe(409);
    expect(otherBody.json).toMatchObject({ status: 'error', code: 'DB_PT409' });
    await addToCart(buyer, other.id, 2);
    const before = await snapshot(buyer, [product.id, other.id]);
    const otherCart = await checkout(buyer, body(), key);
    expect(otherCart.status).toBe(409);
    expect(otherCart.json.message).toContain('different cart');
    expect(await snapshot(buyer, [product.id, other.id])).toEqual(before);
  });

  it('takes prices from the database whatever the client sends', async () => {
    const buyer = await createCustomer();
    const product = await createProduct((await shop).id, { price: 999.99, stock: 3 });
    await addToCart(buyer, product.id, 1);
    const { status, json } = await checkout(buyer, body({
      total: 0.01, currency: 'USD', items: [{ product_id: product.id, quantity: 1, price: 0.01 }], price: 0.01,
    }));
    expect(status).toBe(201);
    expect(json.data).toMatchObject({ total: 999.99, currency: 'KES' });
    const [item] = await superuser()`select unit_price::text from public.order_items where product_id = ${product.id}`;
    expect(item.unit_price).toBe('999.99');
  });

  it.each([
    ['no longer approved (by id only)', { status: 'archived' as const }, 'is no longer available'],
    ['short of stock', { stock: 1 }, 'Only 1'],
  ])('answers 422 naming a product that is %s, and changes nothing', async (_label, change, phrase) => {
    const buyer = await createCustomer();
    const fine = await createProduct((await shop).id, { stock: 10 });
    const troubled = await createProduct((await shop).id, { name: `Troubled ${randomUUID().slice(0, 6)}`, stock: 10 });
    await addToCart(buyer, fine.id, 1);
    await addToCart(buyer, troubled.id, 2);
    if ('status' in change) await superuser()`update public.products set status = ${change.status} where id = ${troubled.id}`;
    else await superuser()`update public.products set stock_quantity = ${change.stock} where id = ${troubled.id}`;
    const before = await snapshot(buyer, [fine.id, troubled.id]);
    const { status, json } = await checkout(buyer, body());
    expect(status).toBe(422);
    expect(json.message).toContain('status' in change ? troubled.id : troubled.name);
    expect(json.message).toContain(phrase);
    expect(await snapshot(buyer, [fine.id, troubled.id])).toEqual(before);
  });

  it('answers 422 for an empty cart and for a cart mixing currencies', async () => {
    const buyer = await createCustomer();
    expect((await checkout(buyer, body())).status).toBe(422);
    await addToCart(buyer, (await createProduct((await shop).id, { currency: 'KES' })).id);
    await addToCart(buyer, (await createProduct((await shop).id, { currency: 'USD' })).id);
    const mixed = await checkout(buyer, body());
    expect(mixed.status).toBe(422);
    expect(mixed.json.message).toContain('KES, USD');
  });

  it.each([
    ['no Idempotency-Key', body(), null],
    ['a 7-character key', body(), 'short-7'],
    ['a 201-character key', body(), 'k'.repeat(201)],
    ['a body that is not JSON', '{"shipping_address":', 'valid-key-123'],
    ['an unknown payment method', body({ payment_method: 'cash' }), 'valid-key-123'],
    ['no shipping address', { payment_method: 'manual' }, 'valid-key-123'],
    ['an address without a city', body({ shipping_address: { ...address, city: '' } }), 'valid-key-123'],
    ['notes over 1000 characters', body({ notes: 'n'.repeat(1001) }), 'valid-key-123'],
  ])('answers 400 in the envelope for %s and changes nothing', async (_label, payload, key) => {
    const buyer = await createCustomer();
    const product = await createProduct((await shop).id, { stock: 5 });
    await addToCart(buyer, product.id, 2);
    const before = await snapshot(buyer, [product.id]);
    const { status, json } = await checkout(buyer, payload, key);
    expect(status).toBe(400);
    expect(json).toMatchObject({ status: 'error' });
    expect(typeof json.message).toBe('string');
    expect(await snapshot(buyer, [product.id])).toEqual(before);
  });

  it('refuses a request without a user token (401)', async () => {
    const response = await functions.call('checkout', {
      method: 'POST', headers: { 'idempotency-key': 'no-token-key', 'content-type': 'application/json' }, body: JSON.stringify(body()),
    });
    expect(response.status).toBe(401);
  });
});

describe('checkout with Stripe', () => {
  it('creates a Checkout Session for the checkout and answers its redirect URL', async () => {
    const buyer = await createCustomer();
    const [a, b] = [await shop, await secondShop];
    await addToCart(buyer, (await createProduct(a.id, { price: 10.5 })).id, 2);
    await addToCart(buyer, (await createProduct(b.id, { price: 3 })).id, 1);
    const seen = stripe.requests.length;
    const { status, json } = await checkout(buyer, body({ payment_method: 'stripe' }));
    expect(status).toBe(201);
    const [payment] = await superuser()`select provider_ref, redirect_url, status from public.payments where checkout_id = ${json.data.checkout_id}`;
    expect(json.data.payment).toEqual({ provider: 'stripe', status: 'pending', redirect_url: payment.redirect_url });
    expect(stripe.sessions.has(payment.provider_ref)).toBe(true);
    const request = stripe.requests.slice(seen).find((r) => r.path === '/v1/checkout/sessions')!;
    expect(request.headers.authorization).toBe('Bearer sk_test_fake');
    expect(request.headers['idempotency-key']).toBe(`checkout-${json.data.checkout_id}`);
    const form = stripe.formOf(request);
    expect(form).toMatchObject({ mode: 'payment', client_reference_id: json.data.checkout_id, 'line_items[0][price_data][currency]': 'kes' });
    const amounts = [form['line_items[0][price_data][unit_amount]'], form['line_items[1][price_data][unit_amount]']].sort();
    expect(amounts).toEqual(['2100', '300']);
  });

  it('undoes the checkout when Stripe fails: 503, orders cancelled, stock and cart restored, nothing charged', async () => {
    const buyer = await createCustomer();
    const product = await createProduct((await shop).id, { stock: 7 });
    await addToCart(buyer, product.id, 3);
    stripe.failWith(500);
    let failed;
    try {
      failed = await checkout(buyer, body({ payment_method: 'stripe' }));
    } finally {
      stripe.failWith(null);
    }
    expect(failed.status).toBe(503);
    expect(failed.json).toMatchObject({ status: 'error', code: 'PAYMENT_UNAVAILABLE' });
    const [state] = await superuser()`
      select c.status as checkout, p.status as payment, (select array_agg(o.status) from public.orders o where o.checkout_id = c.id) as orders
      from public.checkouts c join public.payments p on p.checkout_id = c.id where c.user_id = ${buyer.id}`;
    expect(state).toEqual({ checkout: 'cancelled', payment: 'failed', orders: ['cancelled'] });
    expect(await stockOf(product.id)).toBe(7);
    const again = await checkout(buyer, body({ payment_method: 'stripe' }));
    expect(again.status).toBe(201);
    expect(await stockOf(product.id)).toBe(4);
  });
});

describe('checkout under concurrency', () => {
  it('concurrent retries of one card checkout start one Stripe session', async () => {
    const buyer = await createCustomer();
    const product = await createProduct((await shop).id, { stock: 20 });
    await addToCart(buyer, product.id, 1);
    const key = `card-${randomUUID()}`;
    // All four are in flight together, waiting on the buyer's cart until every one of them is.
    const results = await whileLocked(
      (tx) => tx`select 1 from public.carts where user_id = ${buyer.id} for update`,
      () => Promise.all(Array.from({ length: 4 }, () => checkout(buyer, body({ payment_method: 'stripe' }), key))),
      { query: 'place_checkout', count: 4 },
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
    const urls = new Set(results.map((r) => r.json.data.payment.redirect_url));
    const [payment] = await superuser()`
      select p.provider_ref, p.redirect_url from public.payments p join public.checkouts c on c.id = p.checkout_id where c.user_id = ${buyer.id}`;
    // Every answer that carries a session carries the one recorded; Stripe saw one idempotency key.
    expect([...urls].filter(Boolean)).toEqual([payment.redirect_url]);
    const checkoutId = results[0].json.data.checkout_id;
    const keys = new Set(stripe.requests.filter((r) => r.path === '/v1/checkout/sessions' && String(r.body).includes(checkoutId))
      .map((r) => r.headers['idempotency-key']));
    expect([...keys]).toEqual([`checkout-${checkoutId}`]);
    expect(await snapshot(buyer, [product.id])).toEqual({ checkouts: 1, orders: 1, cart: [], stock: [19] });
  });

  it('64 buyers racing for 10 units: exactly 10 orders, stock never below zero', async () => {
    const hot = await createProduct((await shop).id, { name: 'Hot sale', stock: 10 });
    const buyers = await Promise.all(Array.from({ length: 64 }, () => createCustomer('racer')));
    for (const buyer of buyers) await addToCart(buyer, hot.id, 1);
    // The product row is held until the function's whole pool (5 connections) waits on it.
    const results = await whileLocked(
      (tx) => tx`select 1 from public.products where id = ${hot.id} for update`,
      () => Promise.all(buyers.map((buyer) => checkout(buyer, body()))),
      { query: 'place_checkout', count: FUNCTION_POOL_SIZE },
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 422)).toHaveLength(54);
    expect(await stockOf(hot.id)).toBe(0);
    const [{ sold, orders }] = await superuser()`
      select coalesce(sum(quantity), 0)::int as sold, count(distinct order_id)::int as orders from public.order_items where product_id = ${hot.id}`;
    expect({ sold, orders }).toEqual({ sold: 10, orders: 10 });
  });

  it('concurrent retries of one Idempotency-Key create one checkout and all answer it', async () => {
    const buyer = await createCustomer();
    const product = await createProduct((await shop).id, { stock: 20 });
    await addToCart(buyer, product.id, 2);
    const key = `same-${randomUUID()}`;
    const results = await whileLocked(
      (tx) => tx`select 1 from public.carts where user_id = ${buyer.id} for update`,
      () => Promise.all(Array.from({ length: 8 }, () => checkout(buyer, body(), key))),
      { query: 'place_checkout', count: FUNCTION_POOL_SIZE },
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.json.data.checkout_id)).size).toBe(1);
    expect(await snapshot(buyer, [product.id])).toEqual({ checkouts: 1, orders: 1, cart: [], stock: [18] });
  });
});
