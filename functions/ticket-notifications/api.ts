// The endpoints of ticket-notifications, for docs/openapi.json.
import type { Endpoint } from '../_shared/api.ts';
import { requestBody } from './input.ts';

export const endpoints: Endpoint[] = [{
  method: 'post',
  path: '/ticket-notifications',
  summary: 'Queue the e-mails of a ticket event (the ticket_events database webhook and the sweep call it)',
  description: 'With Supabase\'s webhook payload `{type, table, schema, record, old_record}`: that event, once however often it is retried; with an empty body: every event no webhook delivered in time.',
  caller: 'service_role',
  body: { schema: requestBody, required: false },
  responses: {
    200: {
      description: 'The event processed (or already processed), or the sweep\'s report.',
      data: { type: 'object' },
    },
  },
}];
