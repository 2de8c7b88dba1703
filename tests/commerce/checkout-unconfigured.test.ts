// Checkout served without a Stripe key: card payments are refused before anything is placed,
// manual payments still work.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import { address, addToCart, createProduct, stockOf } from './fixtures.ts';

let functions: RunningFunctions;
beforeAll(async () => {
  // Empty wins over a developer's .env: the function sees no key.
  functions = await startFunctions({ STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '' });
});
afterAll(() => functions?.stop());

describe('checkout without Stripe configured', () => {
  it('answers 503 for a card checkout before placing anything, and manual checkout still works', async () => {
    const buyer = await createCustomer();
    const product = await createProduct((await createBusiness('no-stripe')).id, { stock: 4 });
    await addToCart(buyer, product.id, 2);
    const send = (method: string) =>
      functions.call('checkout', {
        method: 'POST',
        jwt: buyer.jwt,
        headers: { 'idempotency-key': `k-${randomUUID()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ shipping_address: address, payment_method: method }),
      });
    const card = await send('stripe');
    expect(card.status).toBe(503);
    expect(await card.json()).toMatchObject({ status: 'error', code: 'PAYMENTS_NOT_CONFIGURED' });
    const [{ n }] = await superuser()`select count(*)::int as n from public.checkouts where user_id = ${buyer.id}`;
    expect(n).toBe(0);
    expect(await stockOf(product.id)).toBe(4);
    expect((await send('manual')).status).toBe(201);
    expect(await stockOf(product.id)).toBe(2);
  });

  it('the webhook refuses every event without a signing secret (503)', async () => {
    const response = await functions.call('payment-webhook/stripe', {
      method: 'POST', headers: { 'stripe-signature': 't=1,v1=' + '0'.repeat(64) }, body: '{}',
    });
    expect(response.status).toBe(503);
  });
});
