// The endpoints of refunds, for docs/openapi.json.
import { type Endpoint, uuid } from '../_shared/api.ts';
import { idempotencyKeySchema } from '../_shared/idempotency.ts';
import { z } from 'zod';
import { refundBodySchema } from './request.ts';

export const endpoints: Endpoint[] = [{
  method: 'post',
  path: '/refunds',
  summary: 'Refund a paid order, whole or in part (orders.manage in its business)',
  description: 'Card payments are refunded through Stripe (one Stripe idempotency key per refund); mobile-money and manual ' +
    'payments are recorded for staff to pay out (public.mark_refund_paid_out). In a multi-business checkout each business ' +
    'refunds its own order. The same Idempotency-Key on the same order answers the same refund.',
  caller: 'user',
  parameters: [{
    name: 'Idempotency-Key', in: 'header', required: true, description: 'One key per refund; retries reuse it.',
    schema: z.toJSONSchema(idempotencyKeySchema, { target: 'draft-2020-12' }) as Record<string, unknown>,
  }],
  body: { schema: refundBodySchema, required: true },
  responses: {
    200: {
      description: 'The refund as recorded (status succeeded, failed, pending, to_pay_out or paid_out).',
      data: {
        type: 'object',
        properties: {
          id: uuid, order_id: uuid, provider: { type: 'string' }, amount: { type: 'number' }, currency: { type: 'string' },
          status: { type: 'string', enum: ['pending', 'succeeded', 'failed', 'to_pay_out', 'paid_out'] },
          provider_ref: { type: ['string', 'null'] }, failure: { type: ['string', 'null'] },
        },
      },
    },
  },
}];
