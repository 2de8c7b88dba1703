// The endpoints of payment-webhook, for docs/openapi.json.
import type { Endpoint } from '../_shared/api.ts';
import { eventSchema } from './event.ts';

export const endpoints: Endpoint[] = [{
  method: 'post',
  path: '/payment-webhook/stripe',
  summary: 'Stripe\'s webhook: each event stored once and applied once',
  description: 'verify_jwt is off: Stripe signs its requests (Stripe-Signature, checked on the raw body before anything is parsed).',
  caller: 'stripe',
  parameters: [{ name: 'Stripe-Signature', in: 'header', required: true, description: 't=<timestamp>,v1=<HMAC-SHA256>', schema: { type: 'string' } }],
  body: { schema: eventSchema, required: true, description: 'A Stripe event (only id, type and data.object are read; the whole event is stored).' },
  responses: {
    200: {
      description: 'Received.',
      data: { type: 'object', properties: { received: { const: true }, outcome: { type: 'string' } } },
    },
  },
}];
