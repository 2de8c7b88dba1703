// The docs' `supabase.functions.invoke` examples, with the real supabase-js against the
// functions served by Deno behind the gateway, their providers faked on 127.0.0.1.
import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { realtime } from '../support/client.ts';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini.ts';
import { startFakeResend, type FakeResend } from '../support/fake-resend.ts';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { startFunctions, type RunningFunctions } from '../support/functions.ts';
import { createUser, type TestUser } from '../support/users.ts';
import { addToCart, createProduct } from '../commerce/fixtures.ts';
import { queueMessages } from '../notifications/fixtures.ts';

let stripe: FakeStripe;
let gemini: FakeGemini;
let resend: FakeResend;
let functions: RunningFunctions;

beforeAll(async () => {
  [stripe, gemini, resend] = await Promise.all([startFakeStripe(), startFakeGemini(), startFakeResend()]);
  functions = await startFunctions({
    STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_API_BASE: stripe.url, STRIPE_WEBHOOK_SECRET: 'whsec_test_examples',
    GEMINI_API_KEY: 'test-gemini-key', GEMINI_API_BASE: gemini.url,
    RESEND_API_KEY: 're_test_key', RESEND_API_BASE: resend.url,
  });
});
afterAll(async () => {
  await functions?.stop();
  await Promise.all([stripe?.close(), gemini?.close(), resend?.close()]);
});

/** supabase-js pointed at the gateway serving the functions, as a client app creates it. */
async function clientOf(user: TestUser | 'service_role'): Promise<SupabaseClient> {
  const { anonKey, serviceRoleKey } = await apiKeys();
  const base = functions.url.replace(/\/functions\/v1$/, '');
  return user === 'service_role'
    ? createClient(base, serviceRoleKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime })
    : createClient(base, anonKey, { accessToken: () => Promise.resolve(user.jwt), realtime });
}

describe('docs/commerce.md: checkout', () => {
  it('a card checkout answers 201 with the orders and the Stripe redirect', async () => {
    const business = await createBusiness('fn-checkout');
    const product = await createProduct(business.id, { price: 240 });
    const buyer = await createCustomer('fn-checkout');
    await addToCart(buyer, product.id, 2);
    const supabase = await clientOf(buyer);
    const { data, error, response } = await supabase.functions.invoke('checkout', {
      headers: { 'Idempotency-Key': randomUUID() },
      body: {
        shipping_address: { name: 'Amina Odhiambo', line1: 'Moi Avenue 12', city: 'Nairobi', country: 'KE' },
        payment_method: 'stripe',
        notes: 'Leave at the gate',
      },
    });
    expect(error).toBeNull();
    expect(response?.status).toBe(201);
    expect(data).toMatchObject({
      status: 'success',
      data: { status: 'pending_payment', currency: 'KES', orders: [{ business_id: business.id, status: 'pending_payment' }], payment: { provider: 'stripe', status: 'pending' } },
    });
    expect(data.data.payment.redirect_url).toMatch(/^https:\/\//);
  });
});

describe('docs/assistant.md: chatbot', () => {
  it('answers in the envelope with a session id and a reply', async () => {
    const business = await createBusiness('fn-chatbot');
    gemini.script({ reply: 'Mbolea ni KES 2,400 kwa mfuko.' });
    const supabase = await clientOf(await createUser({ anonymous: true }));
    const { data, error } = await supabase.functions.invoke('chatbot', {
      body: { message: 'Bei ya mbolea ni ngapi?', business_id: business.id, visitor: { name: 'Juma' } },
    });
    expect(error).toBeNull();
    expect(data).toMatchObject({ status: 'success', data: { reply: 'Mbolea ni KES 2,400 kwa mfuko.' } });
    expect(data.data.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Array.isArray(data.data.sources)).toBe(true);
  });
});

describe('docs/notifications.md: send-notifications', () => {
  it('delivers the messages one statement queued, for the service role only', async () => {
    const recipient = `examples.${Date.now()}@example.test`;
    const ids = await queueMessages(2, recipient);
    const admin = await clientOf('service_role');
    // The sweep form (`body: {}`) is left out: in the shared test database it would take other
    // suites' queued messages.
    const { data, error } = await admin.functions.invoke('send-notifications', { body: { ids } });
    expect(error).toBeNull();
    expect(data.data).toEqual({ claimed: 2, sent: 2, retrying: 0, dead: 0 });
    const customer = await clientOf(await createCustomer('fn-notify'));
    const refused = await customer.functions.invoke('send-notifications', { body: { ids } });
    expect((refused.error as { context?: Response } | null)?.context?.status).toBe(403);
  });
});
