// What a checkout request may contain. Prices and items are not part of it: they come from
// the cart and the database, and unknown fields (a client-sent price) are dropped.
import { z } from 'zod';
import { readJsonBody } from '../_shared/body.ts';
import { HttpError } from '../_shared/errors.ts';
import { idempotencyKeyHeader } from '../_shared/idempotency.ts';

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
  payment_method: z.enum(['manual', 'stripe']),
  notes: z.string().trim().max(1000).optional(),
});

export type CheckoutBody = z.infer<typeof checkoutBodySchema>;

/** Checkout requires the key: a checkout is never placed twice by a retry. */
export function parseIdempotencyKey(headers: Headers): string {
  const key = idempotencyKeyHeader(headers);
  if (key === null) throw new HttpError(400, 'INVALID_IDEMPOTENCY_KEY', 'Send an Idempotency-Key header of 8 to 200 visible characters.');
  return key;
}

export function parseCheckoutBody(req: Request): Promise<CheckoutBody> {
  return readJsonBody(req, checkoutBodySchema);
}
