// The endpoints of chatbot, for docs/openapi.json.
import { type Endpoint, uuid } from '../_shared/api.ts';
import { z } from 'zod';
import { idempotencyKeySchema } from '../_shared/idempotency.ts';
import { chatRequestSchema } from './input.ts';

const sources = {
  type: 'array',
  items: { type: 'object', properties: { type: { type: 'string', enum: ['product', 'knowledge'] }, id: uuid, title: { type: 'string' } } },
};

export const endpoints: Endpoint[] = [{
  method: 'post',
  path: '/chatbot',
  summary: 'Ask the marketplace\'s (or a store\'s) assistant; every turn is stored',
  description: 'Answers from the approved catalogue and the knowledge base the caller may see. With ' +
    '`Accept: text/event-stream` the answer streams as server-sent events: `session`, `delta` (text), then `done` or `error`. ' +
    'With an idempotency key (`client_id` or the Idempotency-Key header) a retried message is posted once: an answered one ' +
    'is replayed, one still being answered is 409 MESSAGE_IN_PROGRESS.',
  caller: 'user',
  parameters: [{
    name: 'Idempotency-Key', in: 'header', description: 'The message\'s idempotency key (or `client_id` in the body; both must agree).',
    schema: z.toJSONSchema(idempotencyKeySchema, { target: 'draft-2020-12' }) as Record<string, unknown>,
  }],
  body: { schema: chatRequestSchema, required: true },
  responses: {
    200: {
      description: 'The assistant answered (or had already answered this message).',
      data: { type: 'object', properties: { session_id: uuid, reply: { type: 'string' }, sources } },
      content: {
        'text/event-stream': {
          schema: { type: 'string', description: 'event: session {session_id, sources}; event: delta {text}; event: done {session_id, reply, sources, finish_reason}; event: error {code, message, session_id}' },
        },
      },
    },
  },
}];
