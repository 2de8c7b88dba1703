// What a refund request may contain: the order, the amount (none: what is left) and why.
import { z } from 'zod';
import { readJsonBody } from '../_shared/body.ts';
import { HttpError } from '../_shared/errors.ts';
import { idempotencyKeyHeader } from '../_shared/idempotency.ts';

export const refundBodySchema = z.strictObject({
  order_id: z.uuid(),
  amount: z.number().positive().multipleOf(0.01).max(9_999_999_999.99).optional()
    .describe('In the order\'s currency, at most what is left to refund; omitted: all that is left (the order becomes refunded).'),
  reason: z.string().trim().min(1).max(2000).optional(),
});

export type RefundBody = z.infer<typeof refundBodySchema>;

export function parseRefundBody(req: Request): Promise<RefundBody> {
  return readJsonBody(req, refundBodySchema);
}

/** A refund is never made twice by a retry: the key is required. */
export function refundKey(headers: Headers): string {
  const key = idempotencyKeyHeader(headers);
  if (key === null) throw new HttpError(400, 'INVALID_IDEMPOTENCY_KEY', 'Send an Idempotency-Key header of 8 to 200 visible characters.');
  return key;
}
