// The status sweep (payment-status, scheduled every minute): lost callbacks are settled by asking
// the provider; payments still open are left alone; a payment approved after its checkout expired
// is kept as late, once; callbacks arriving after the sweep change nothing twice.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { orderReferenceOf } from '../../functions/_shared/clickpesa.ts';
import { superuser } from '../support/db.ts';
import { CLICKPESA_CLIENT, type FakeClickPesa, startFakeClickPesa } from '../support/fake-clickpesa.ts';
import { DARAJA_APP, type FakeDaraja, startFakeDaraja } from '../support/fake-daraja.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import { address, addToCart, createProduct, stockOf } from './fixtures.ts';

const TOKEN = 'sweep_' + 'f00dfeed'.repeat(6);
let functions: RunningFunctions;
let clickpesa: FakeClickPesa;
let daraja: FakeDaraja;
let serviceRoleKey: string;
const shop = createBusiness('sweep-shop');

beforeAll(async () => {
  [clickpesa, daraja] = await Promise.all([startFakeClickPesa(), startFakeDaraja()]);
  serviceRoleKey = (await apiKeys()).serviceRoleKey;
  functions = await startFunctions({
    CLICKPESA_API_BASE: clickpesa.url,
    CLICKPESA_CLIENT_ID: CLICKPESA_CLIENT.clientId,
    CLICKPESA_API_KEY: CLICKPESA_CLIENT.apiKey,
    CLICKPESA_CHECKSUM_KEY: CLICKPESA_CLIENT.checksumKey,
    MPESA_API_BASE: daraja.url,
    MPESA_CONSUMER_KEY: DARAJA_APP.consumerKey,
    MPESA_CONSUMER_SECRET: DARAJA_APP.consumerSecret,
    MPESA_SHORTCODE: DARAJA_APP.shortcode,
    MPESA_PASSKEY: DARAJA_APP.passkey,
    MPESA_CALLBACK_TOKEN: TOKEN,
    PAYMENT_STATUS_MIN_AGE_SECONDS: '120',
    PAYMENT_STATUS_BATCH_SIZE: '500',
  });
});

afterAll(async () => {
  await functions?.stop();
  await Promise.all([clickpesa?.close(), daraja?.close()]);
});

/** A mobile-money checkout whose push went out `minutesAgo` minutes ago. */
async function placed(method: 'clickpesa' | 'mpesa', minutesAgo = 5) {
  const buyer = await createCustomer();
  const product = await createProduct((await shop).id, { price: 500, currency: method === 'clickpesa' ? 'TZS' : 'KES', stock: 10 });
  await addToCart(buyer, product.id, 2);
  const response = await functions.call('checkout', {
    method: 'POST', jwt: buyer.jwt, headers: { 'content-type': 'application/json', 'idempotency-key': `key-${randomUUID()}` },
    body: JSON.stringify({
      shipping_address: address, payment_method: method, phone: method === 'clickpesa' ? '0754 000 111' : '0712 000 111',
    }),
  });
  expect(response.status).toBe(201);
  const checkoutId = (await response.json()).data.checkout_id as string;
  await backdate(checkoutId, minutesAgo);
  const [row] = await superuser()`select provider_ref from public.payments where checkout_id = ${checkoutId}`;
  return { checkoutId, product, reference: row.provider_ref as string };
}

async function backdate(checkoutId: string, minutes: number) {
  const at = new Date(Date.now() - minutes * 60_000);
  await superuser()`update public.checkouts set created_at = ${at} where id = ${checkoutId}`;
  await superuser()`update public.payments set created_at = ${at} where checkout_id = ${checkoutId}`;
}

async function runSweep(jwt = serviceRoleKey) {
  const response = await functions.call('payment-status', { method: 'POST', jwt, headers: { 'content-type': 'application/json' }, body: '{}' });
  return { status: response.status, json: await response.json() };
}

async function state(checkoutId: string) {
  const [row] = await superuser()`
    select c.status as checkout, p.status as payment,
           (select array_agg(e.event_id || ' ' || e.outcome order by e.created_at) from public.payment_events e where e.checkout_id = c.id) as events
    from public.checkouts c join public.payments p on p.checkout_id = c.id where c.id = ${checkoutId}`;
  return row;
}

describe('the payment status sweep', () => {
  it('settles a ClickPesa payment whose callback was lost, and the late callback then changes nothing', async () => {
    const { checkoutId, reference } = await placed('clickpesa');
    clickpesa.settle(reference, 'SUCCESS');
    const { status, json } = await runSweep();
    expect(status).toBe(200);
    expect(json.data.outcomes.paid).toBeGreaterThanOrEqual(1);
    expect(await state(checkoutId)).toMatchObject({ checkout: 'paid', payment: 'succeeded', events: [`status:${reference} paid`] });
    const response = await functions.call('payment-webhook/clickpesa', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(clickpesa.webhookBody(reference)),
    });
    expect((await response.json()).data.outcome).toBe('already paid');
    expect((await state(checkoutId)).checkout).toBe('paid');
  });

  it('cancels an M-Pesa checkout whose push the customer declined, the callback lost, restoring stock', async () => {
    const { checkoutId, reference, product } = await placed('mpesa');
    daraja.finish(reference, 1032);
    await runSweep();
    expect(await state(checkoutId)).toMatchObject({ checkout: 'cancelled', payment: 'failed', events: [`status:${reference} cancelled`] });
    expect(await stockOf(product.id)).toBe(10);
  });

  it('pays an M-Pesa checkout for the amount its own push asked, once however often it runs', async () => {
    const { checkoutId, reference } = await placed('mpesa');
    daraja.finish(reference, 0);
    await Promise.all([runSweep(), runSweep()]);
    await runSweep();
    expect(await state(checkoutId)).toMatchObject({ checkout: 'paid', payment: 'succeeded', events: [`status:${reference} paid`] });
  });

  it('leaves payments still open at the provider, and young ones, alone', async () => {
    const open = await placed('clickpesa');
    const young = await placed('mpesa', 0);
    daraja.finish(young.reference, 0);
    const before = daraja.requests.filter((r) => r.path.includes('stkpushquery') && JSON.parse(r.body).CheckoutRequestID === young.reference).length;
    const { json } = await runSweep();
    expect(json.data.still_pending).toBeGreaterThanOrEqual(1);
    expect(await state(open.checkoutId)).toMatchObject({ checkout: 'pending_payment', events: null });
    expect(await state(young.checkoutId)).toMatchObject({ checkout: 'pending_payment', events: null });
    expect(daraja.requests.filter((r) => r.path.includes('stkpushquery') && JSON.parse(r.body).CheckoutRequestID === young.reference).length).toBe(before);
  });

  it('keeps a payment approved after the reservation expired as late, asked about once, never silently', async () => {
    const { checkoutId, reference } = await placed('clickpesa', 40);
    await superuser()`select private.expire_unpaid_orders()`;
    expect((await state(checkoutId)).checkout).toBe('cancelled');
    clickpesa.settle(reference, 'SUCCESS');
    await runSweep();
    expect(await state(checkoutId)).toMatchObject({ checkout: 'cancelled', events: [`status:${reference} late: paid after checkout was cancelled`] });
    const queries = clickpesa.requests.filter((r) => r.path === `/payments/${reference}`).length;
    await runSweep();
    expect(clickpesa.requests.filter((r) => r.path === `/payments/${reference}`).length).toBe(queries);
  });

  it('changes nothing when a provider cannot be asked, and settles on the next run', async () => {
    const { checkoutId, reference } = await placed('clickpesa');
    clickpesa.settle(reference, 'SUCCESS');
    clickpesa.failWith(500);
    let first;
    try {
      first = await runSweep();
    } finally {
      clickpesa.failWith(null);
    }
    expect(first.json.data.errors).toBeGreaterThanOrEqual(1);
    expect((await state(checkoutId)).checkout).toBe('pending_payment');
    await runSweep();
    expect((await state(checkoutId)).checkout).toBe('paid');
  });

  it('answers only the service role (403 for a user)', async () => {
    const user = await createCustomer();
    expect((await runSweep(user.jwt)).status).toBe(403);
  });

  it('is scheduled every minute through private.call_function', async () => {
    const [job] = await superuser()`select schedule, command from cron.job where jobname = 'payment-status-sweep'`;
    expect(job).toEqual({ schedule: '* * * * *', command: 'select private.request_payment_status_sweep()' });
    const [fn] = await superuser()`select pg_get_functiondef('private.request_payment_status_sweep()'::regprocedure) as body`;
    expect(fn.body).toContain(`private.call_function('payment-status'`);
  });
});

it('orderReferenceOf is the checkout id without dashes', () => {
  expect(orderReferenceOf('0b6c9a2e-1f3d-4e5a-9b7c-2d4e6f8a0b1c')).toBe('0b6c9a2e1f3d4e5a9b7c2d4e6f8a0b1c');
});
