// The pure parts of mobile money: phone numbers, ClickPesa's checksum and amounts, Daraja's
// password, the mapping of provider answers and callbacks.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clickPesaAmount, clickPesaChecksum, constantTimeEqual, sortKeysDeep } from '../../functions/_shared/clickpesa.ts';
import { clickPesaPaymentOf, clickPesaStatus, mpesaStatus } from '../../functions/_shared/mobile-money.ts';
import { darajaPassword, describeResultCode } from '../../functions/_shared/mpesa.ts';
import { mobileNumber } from '../../functions/_shared/phone.ts';
import { clickPesaCallbackSchema, clickPesaClaim, mpesaCallbackSchema } from '../../functions/payment-webhook/mobile-callbacks.ts';
import { withPhoneChecked } from '../../functions/checkout/request.ts';

describe('mobile numbers', () => {
  it.each([
    ['0712 345 678', 'TZ', '255712345678'],
    ['+255 (0)6 12 34 56 78', 'TZ', '255612345678'],
    ['+255612345678', 'TZ', '255612345678'],
    ['255754000111', 'TZ', '255754000111'],
    ['0022 212 3456', 'TZ', null],
    ['0712345678', 'KE', '254712345678'],
    ['0110 123 456', 'KE', '254110123456'],
    ['+254 20 2222222', 'KE', null],
    ['+255712345678', 'KE', null],
    ['not a number', 'KE', null],
  ] as const)('%s in %s is %s', (raw, country, expected) => {
    expect(mobileNumber(raw, country)).toBe(expected);
  });

  it('checkout keeps the phone for mobile money only, normalised', () => {
    const base = { shipping_address: { name: 'A', line1: 'B', city: 'C', country: 'TZ' }, notes: undefined };
    expect(withPhoneChecked({ ...base, payment_method: 'clickpesa', phone: '0712 345 678' }).phone).toBe('255712345678');
    expect(() => withPhoneChecked({ ...base, payment_method: 'manual', phone: '0712345678' })).toThrow();
    expect(() => withPhoneChecked({ ...base, payment_method: 'mpesa' })).toThrow();
  });
});

describe('ClickPesa checksum', () => {
  it('is HMAC-SHA256 over compact JSON with keys sorted at every depth, without checksum and checksumMethod', async () => {
    const payload = { phoneNumber: '255712345678', amount: '1000', nested: { b: 1, a: [{ z: 1, y: 2 }] }, checksumMethod: 'canonical', checksum: 'x' };
    const canonical = '{"amount":"1000","nested":{"a":[{"y":2,"z":1}],"b":1},"phoneNumber":"255712345678"}';
    expect(JSON.stringify(sortKeysDeep({ amount: '1000', nested: payload.nested, phoneNumber: payload.phoneNumber }))).toBe(canonical);
    expect(await clickPesaChecksum('key', payload)).toBe(createHmac('sha256', 'key').update(canonical).digest('hex'));
  });

  it('amounts are strings without an empty fraction', () => {
    expect(clickPesaAmount('3000.00')).toBe('3000');
    expect(clickPesaAmount('3000.50')).toBe('3000.50');
    expect(clickPesaAmount(1500)).toBe('1500');
  });

  it('compares in constant time and tells different lengths apart', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  });
});

describe('provider answers', () => {
  it.each([
    ['SUCCESS', 'succeeded'], ['SETTLED', 'succeeded'], ['FAILED', 'failed'], ['PROCESSING', 'pending'], ['PENDING', 'pending'], ['ON-HOLD', 'pending'],
  ])('ClickPesa %s is %s', (status, expected) => {
    expect(clickPesaStatus({ id: '1', status, orderReference: 'R', collectedAmount: '10' }).status).toBe(expected);
  });

  it('a ClickPesa reference settles on its successful payment, and a named payment only on itself', () => {
    const payments = [{ id: 'a', status: 'FAILED', orderReference: 'R' }, { id: 'b', status: 'SUCCESS', orderReference: 'R' }];
    expect(clickPesaPaymentOf(payments)?.id).toBe('b');
    expect(clickPesaPaymentOf(payments, 'c')).toBeUndefined();
    expect(clickPesaStatus(undefined).status).toBe('unknown');
  });

  it('M-Pesa: no result is pending, 0 succeeds, others fail in words', () => {
    expect(mpesaStatus(null).status).toBe('pending');
    expect(mpesaStatus({ resultCode: 0, resultDesc: '' }, '300')).toMatchObject({ status: 'succeeded', amount: '300', currency: 'KES' });
    expect(mpesaStatus({ resultCode: 1032, resultDesc: 'Request cancelled by user' }).reason).toBe('cancelled by the customer');
    expect(describeResultCode(9999, 'Odd')).toBe('M-Pesa result 9999: Odd');
  });

  it('Daraja\'s password is base64 of shortcode, passkey and timestamp', () => {
    expect(darajaPassword('174379', 'pk', '20261130120000')).toBe(Buffer.from('174379pk20261130120000').toString('base64'));
  });
});

describe('callbacks', () => {
  it('reads both ClickPesa shapes, claiming an amount only for successes', () => {
    const current = clickPesaCallbackSchema.parse({
      event: 'PAYMENT RECEIVED', checksum: 'a'.repeat(64),
      data: { id: 'P1', status: 'SUCCESS', orderReference: 'R1', collectedAmount: '100', collectedCurrency: 'TZS' },
    });
    expect(clickPesaClaim(current)).toMatchObject({ eventId: 'P1', reference: 'R1', amount: '100', currency: 'TZS' });
    const legacy = clickPesaCallbackSchema.parse({
      eventType: 'PAYMENT FAILED', checksum: 'b'.repeat(64), data: { paymentId: 'P2', status: 'FAILED', orderReference: 'R2', amount: '100' },
    });
    expect(clickPesaClaim(legacy)).toMatchObject({ eventId: 'P2', eventType: 'PAYMENT FAILED', amount: null });
    expect(clickPesaCallbackSchema.safeParse({ checksum: 'c'.repeat(64), data: { orderReference: 'R-1', id: 'x' } }).success).toBe(false);
  });

  it('refuses M-Pesa callbacks that are not exactly Daraja\'s', () => {
    const ok = { Body: { stkCallback: { MerchantRequestID: 'm', CheckoutRequestID: 'ws_CO_1', ResultCode: 1032, ResultDesc: 'Request cancelled by user' } } };
    expect(mpesaCallbackSchema.safeParse(ok).success).toBe(true);
    expect(mpesaCallbackSchema.safeParse({ ...ok, extra: 1 }).success).toBe(false);
    expect(mpesaCallbackSchema.safeParse({ Body: { stkCallback: { ...ok.Body.stkCallback, ResultCode: 0 } } }).success).toBe(false);
  });
});
