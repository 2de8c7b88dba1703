// What a checkout request may contain. Prices and items are not part of it: they come from
// the cart and the database, and unknown fields (a client-sent price) are dropped.
import { z } from 'zod';
import { readJsonBody } from '../_shared/body.ts';
import { HttpError, invalidInput } from '../_shared/errors.ts';
import { idempotencyKeyHeader } from '../_shared/idempotency.ts';
import { type MobileCountry, mobileNumber } from '../_shared/phone.ts';

const text = (max: number) => z.string().trim().min(1).max(max);

export const shippingAddressSchema = z.object({
  name: text(200),
  line1: text(200),
  line2: z.string().trim().max(200).optional(),
  city: text(100),
  region: z.string().trim().max(100).optional(),
  postal_code: z.string().trim().max(20).optional(),
  country: z.string().trim().regex(/^[A-Z]{2}$/, 'use a two-letter ISO country code such as KE'),
  phone: z.string().trim().regex(/^\+?[0-9 ()-]{6,20}$/, 'use digits, spaces and an optional leading +').optional(),
});

export const checkoutBodySchema = z.object({
  shipping_address: shippingAddressSchema,
  payment_method: z.enum(['manual', 'stripe', 'clickpesa', 'mpesa']),
  phone: z.string().trim().min(1).max(30).optional()
    .describe('Mobile money (clickpesa, mpesa) only, and required there: the number to pay from, a mobile number of Tanzania (ClickPesa) or Kenya (M-Pesa), in any usual form (0712 345 678, +255712345678).'),
  notes: z.string().trim().max(1000).optional(),
});

/** The body with the phone normalised to international digits without + (255712345678). */
export type CheckoutBody = z.infer<typeof checkoutBodySchema>;

/** The country whose mobile numbers each mobile-money provider pays from. */
export const PHONE_COUNTRY: Record<string, MobileCountry> = { clickpesa: 'TZ', mpesa: 'KE' };
const COUNTRY_NAME: Record<MobileCountry, string> = { TZ: 'Tanzanian', KE: 'Kenyan' };

/** The phone rules of a parsed body: required for mobile money and valid in its country, absent otherwise. */
export function withPhoneChecked(body: CheckoutBody): CheckoutBody {
  const country = PHONE_COUNTRY[body.payment_method];
  if (!country) {
    if (body.phone !== undefined) throw invalidInput([{ path: 'phone', message: `phone goes with mobile money (clickpesa, mpesa), not ${body.payment_method}` }]);
    return body;
  }
  if (body.phone === undefined) throw invalidInput([{ path: 'phone', message: `${body.payment_method} needs the phone number to pay from` }]);
  const phone = mobileNumber(body.phone, country);
  if (phone === null) throw invalidInput([{ path: 'phone', message: `not a valid ${COUNTRY_NAME[country]} mobile number` }]);
  return { ...body, phone };
}

/** Checkout requires the key: a checkout is never placed twice by a retry. */
export function parseIdempotencyKey(headers: Headers): string {
  const key = idempotencyKeyHeader(headers);
  if (key === null) throw new HttpError(400, 'INVALID_IDEMPOTENCY_KEY', 'Send an Idempotency-Key header of 8 to 200 visible characters.');
  return key;
}

export async function parseCheckoutBody(req: Request): Promise<CheckoutBody> {
  return withPhoneChecked(await readJsonBody(req, checkoutBodySchema));
}
