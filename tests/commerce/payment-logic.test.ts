// Pure pieces of payments: Stripe signatures, amounts in minor units, session parameters and
// the step runner's undo order.
import { describe, expect, it } from 'vitest';
import { sessionParams, toMinorUnits } from '../../functions/_shared/payments.ts';
import { checkStripeSignature, parseSignatureHeader, signStripePayload } from '../../functions/payment-webhook/stripe-signature.ts';

describe('Stripe signature', () => {
  const body = '{"id":"evt_1","type":"checkout.session.completed"}';
  const now = 1_800_000_000;

  it('accepts its own signature within 300 s either way and refuses beyond', async () => {
    const header = await signStripePayload(body, 'whsec_a', now);
    expect(await checkStripeSignature(body, header, 'whsec_a', now + 300)).toBe('valid');
    expect(await checkStripeSignature(body, header, 'whsec_a', now - 300)).toBe('valid');
    expect(await checkStripeSignature(body, header, 'whsec_a', now + 301)).toBe('stale');
  });

  it('matches the HMAC-SHA256 that Stripe documents (hex of HMAC over "t.body")', async () => {
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', 'whsec_a').update(`${now}.${body}`).digest('hex');
    expect(await signStripePayload(body, 'whsec_a', now)).toBe(`t=${now},v1=${expected}`);
  });

  it('accepts any one of several v1 signatures (secret rotation) and refuses a changed body or secret', async () => {
    const good = (await signStripePayload(body, 'whsec_new', now)).split('v1=')[1];
    const header = `t=${now},v1=${'0'.repeat(64)},v1=${good},v0=ignored`;
    expect(await checkStripeSignature(body, header, 'whsec_new', now)).toBe('valid');
    expect(await checkStripeSignature(body + ' ', header, 'whsec_new', now)).toBe('mismatch');
    expect(await checkStripeSignature(body, header, 'whsec_old', now)).toBe('mismatch');
  });

  it.each([null, '', 't=abc,v1=00', `t=${now}`, 'v1=' + 'a'.repeat(64)])('calls %j malformed', async (header) => {
    expect(parseSignatureHeader(header)).toBeNull();
    expect(await checkStripeSignature(body, header, 'whsec_a', now)).toBe('malformed');
  });
});

describe('amounts for Stripe', () => {
  it.each([
    ['120.50', 'KES', 12050], [481, 'KES', 48100], ['0.05', 'USD', 5], ['1500', 'UGX', 1500], ['9999999999.99', 'KES', 999999999999],
  ] as const)('%s %s is %d minor units', (amount, currency, minor) => {
    expect(toMinorUnits(amount, currency)).toBe(minor);
  });

  it('refuses what is not an amount', () => {
    expect(() => toMinorUnits('-1', 'KES')).toThrow();
    expect(() => toMinorUnits('1.234', 'KES')).toThrow();
  });

  it('builds one line per order, tied to the checkout, expiring after the session lifetime', () => {
    const params = sessionParams(
      { checkoutId: 'c1', total: 30.5, currency: 'KES', orders: [{ id: 'o1', business_id: 'b1', total: 20.5 }, { id: 'o2', business_id: 'b2', total: 10 }] },
      { successUrl: 'https://s', cancelUrl: 'https://c', sessionMinutes: 30, now: () => new Date(1_800_000_000_000) },
    );
    expect(params).toMatchObject({ mode: 'payment', client_reference_id: 'c1', expires_at: 1_800_000_000 + 1800 });
    expect((params.line_items as Array<{ price_data: { unit_amount: number; currency: string } }>).map((l) => l.price_data))
      .toMatchObject([{ unit_amount: 2050, currency: 'kes' }, { unit_amount: 1000, currency: 'kes' }]);
  });
});
