// The endpoints of payment-webhook, for docs/openapi.json.
import type { Endpoint } from '../_shared/api.ts';
import { eventSchema } from './event.ts';
import { clickPesaCallbackSchema, mpesaCallbackSchema } from './mobile-callbacks.ts';

const received = {
  200: {
    description: 'Received (outcome: paid, cancelled, duplicate, ignored, awaiting…, late…, rejected…, unknown payment).',
    data: { type: 'object', properties: { received: { const: true }, outcome: { type: 'string' } } },
  },
};

export const endpoints: Endpoint[] = [{
  method: 'post',
  path: '/payment-webhook/stripe',
  summary: 'Stripe\'s webhook: each event stored once and applied once',
  description: 'verify_jwt is off: Stripe signs its requests (Stripe-Signature, checked on the raw body before anything is parsed).',
  caller: 'stripe',
  parameters: [{ name: 'Stripe-Signature', in: 'header', required: true, description: 't=<timestamp>,v1=<HMAC-SHA256>', schema: { type: 'string' } }],
  body: { schema: eventSchema, required: true, description: 'A Stripe event (only id, type and data.object are read; the whole event is stored).' },
  responses: received,
}, {
  method: 'post',
  path: '/payment-webhook/clickpesa',
  summary: 'ClickPesa\'s payment webhook: checksum verified, the payment confirmed with ClickPesa, stored once per payment id',
  description: 'verify_jwt is off. The body\'s `checksum` (HMAC-SHA256 over the rest of the body, keys sorted recursively, compact JSON) ' +
    'is checked first; then GET /payments/{orderReference} at ClickPesa decides. 503 when ClickPesa cannot be asked (nothing stored).',
  caller: 'clickpesa',
  body: { schema: clickPesaCallbackSchema, required: true, description: 'ClickPesa\'s webhook body (current or older shape); stored whole.' },
  responses: received,
}, {
  method: 'post',
  path: '/payment-webhook/mpesa/{token}',
  summary: 'Daraja\'s STK push callback: secret path, strict body, confirmed with the STK status query, stored once per CheckoutRequestID',
  description: 'verify_jwt is off and Daraja signs nothing: the path token (MPESA_CALLBACK_TOKEN) is compared in constant time ' +
    '(404 when wrong), the body is validated strictly, and the STK query decides. 503 when Daraja cannot be asked (nothing stored).',
  caller: 'mpesa',
  parameters: [{ name: 'token', in: 'path', required: true, description: 'MPESA_CALLBACK_TOKEN.', schema: { type: 'string' } }],
  body: { schema: mpesaCallbackSchema, required: true, description: 'Daraja\'s stkCallback; stored whole.' },
  responses: received,
}];
