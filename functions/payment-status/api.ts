// The endpoints of payment-status, for docs/openapi.json.
import type { Endpoint } from '../_shared/api.ts';
import { sweepRequest } from './sweep.ts';

export const endpoints: Endpoint[] = [{
  method: 'post',
  path: '/payment-status',
  summary: 'Ask ClickPesa and Daraja about mobile-money payments no callback settled (the scheduled sweep calls it)',
  description: 'Payments pending for PAYMENT_STATUS_MIN_AGE_SECONDS, and those whose checkout expired without any word from the provider ' +
    '(for a day): each final answer is applied once, as a callback would be; late payments are kept for staff.',
  caller: 'service_role',
  body: { schema: sweepRequest, required: false },
  responses: {
    200: {
      description: 'The sweep\'s report.',
      data: {
        type: 'object',
        properties: {
          checked: { type: 'integer' }, outcomes: { type: 'object', additionalProperties: { type: 'integer' } },
          still_pending: { type: 'integer' }, errors: { type: 'integer' },
        },
      },
    },
  },
}];
