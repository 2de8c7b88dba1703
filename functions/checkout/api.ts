// The endpoints of checkout, for docs/openapi.json.
import { type Endpoint, uuid } from '../_shared/api.ts';
import { idempotencyKeySchema } from '../_shared/idempotency.ts';
import { z } from 'zod';
import { checkoutBodySchema } from './request.ts';

const money = { type: 'number', description: 'Two decimals (numeric(12, 2)).' };
const result = {
  type: 'object',
  properties: {
    checkout_id: uuid,
    status: { type: 'string', enum: ['pending_payment', 'paid', 'cancelled'] },
    total: money,
    currency: { type: 'string' },
    orders: {
      type: 'array',
      items: { type: 'object', properties: { id: uuid, business_id: uuid, total: money, status: { type: 'string' } } },
    },
    payment: {
      type: 'object',
      properties: {
        provider: { type: 'string', enum: ['manual', 'stripe', 'clickpesa', 'mpesa'] },
        status: { type: 'string' },
        redirect_url: { type: 'string', format: 'uri', description: 'Stripe Checkout: where to send the customer to pay.' },
      },
    },
  },
};

export const endpoints: Endpoint[] = [{
  method: 'post',
  path: '/checkout',
  summary: 'Turn the caller\'s cart into orders (one per business) and start the payment',
  description: 'Prices and items come from the cart and the database, never from the request. Mobile money ' +
    '(clickpesa: TZS carts, a Tanzanian mobile number; mpesa: KES carts in whole shillings, a Kenyan mobile number) ' +
    'sends a payment request to the phone; another currency is 422. The same ' +
    'Idempotency-Key with the same body and cart answers the checkout already placed (200) instead of placing another.',
  caller: 'user',
  parameters: [{
    name: 'Idempotency-Key', in: 'header', required: true, description: 'One key per checkout attempt; retries reuse it.',
    schema: z.toJSONSchema(idempotencyKeySchema, { target: 'draft-2020-12' }) as Record<string, unknown>,
  }],
  body: { schema: checkoutBodySchema, required: true },
  responses: {
    201: { description: 'Order placed.', data: result },
    200: { description: 'This checkout was already placed with this Idempotency-Key.', data: result },
  },
}];
