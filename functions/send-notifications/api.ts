// The endpoints of send-notifications, for docs/openapi.json.
import type { Endpoint } from '../_shared/api.ts';
import { sendRequestSchema } from './request.ts';

export const endpoints: Endpoint[] = [{
  method: 'post',
  path: '/send-notifications',
  summary: 'Deliver due e-mails from the outbox (the database webhook and the sweep call it)',
  description: 'With `ids`: those messages (just queued); with an empty body: whatever is due, retries and expired leases included.',
  caller: 'service_role',
  body: { schema: sendRequestSchema, required: false },
  responses: {
    200: {
      description: 'The run\'s outcome.',
      data: { type: 'object', properties: { claimed: { type: 'integer' }, sent: { type: 'integer' }, retrying: { type: 'integer' }, dead: { type: 'integer' } } },
    },
  },
}];
