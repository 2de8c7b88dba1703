// Every chat table × every actor × select/insert/update/delete, through PostgREST-faithful
// requests (writes rolled back, so each case sees the same data). Participants read; nobody
// but service_role writes directly: messages, reads and conversations change through the RPCs.
import { randomUUID } from 'node:crypto';
import { beforeAll } from 'vitest';
import { describeMatrix, type MatrixCase, outcomes, type World } from '../support/matrix.ts';
import { createChatWorld, ok, rpc, send, startConversation } from './fixtures.ts';

let world: World;
let conversation: string;
let message: string;

beforeAll(async () => {
  world = await createChatWorld('chat-matrix');
  conversation = (await startConversation(world.customer, world.business, 'Is the maize in stock?')).id;
  message = (await send(world.business.editor, conversation, 'Yes, 40 bags.')).id;
  await ok(rpc(world.business.viewer, 'mark_read', { conversation_id: conversation, up_to_seq: 2 }), 'mark_read');
});

const participants = ['customer', 'viewer', 'editor', 'approver', 'admin', 'serviceRole'] as const;
const readByParticipants = outcomes([...participants], { users: 'filtered', anon: 'denied' });
const writtenByServiceRoleOnly = outcomes(['serviceRole'], { users: 'denied', anon: 'denied' });

const cases: MatrixCase[] = [
  {
    table: 'conversations', operation: 'select',
    run: (tx) => tx`select id, status, last_seq from public.conversations where id = ${conversation}`,
    expected: readByParticipants,
  },
  {
    table: 'conversations', operation: 'insert',
    run: (tx) => tx`insert into public.conversations (business_id, customer_id)
                    values (${world.otherBusiness.id}, ${world.customer.id}) returning id`,
    expected: writtenByServiceRoleOnly,
  },
  {
    table: 'conversations', operation: 'update',
    run: (tx) => tx`update public.conversations set last_seq = 99 where id = ${conversation} returning id`,
    expected: writtenByServiceRoleOnly,
  },
  {
    table: 'conversations', operation: 'delete',
    run: (tx) => tx`delete from public.conversations where id = ${conversation} returning id`,
    expected: writtenByServiceRoleOnly,
  },
  {
    table: 'chat_messages', operation: 'select',
    run: (tx) => tx`select id, body, seq from public.chat_messages where conversation_id = ${conversation}`,
    expected: readByParticipants,
  },
  {
    table: 'chat_messages', operation: 'insert',
    run: (tx) => tx`insert into public.chat_messages (conversation_id, business_id, customer_id, sender_id, body, client_id, seq)
                    values (${conversation}, ${world.business.id}, ${world.customer.id}, ${world.customer.id}, 'forged',
                            ${randomUUID()}, 1000) returning id`,
    expected: writtenByServiceRoleOnly,
  },
  {
    table: 'chat_messages', operation: 'update',
    run: (tx) => tx`update public.chat_messages set body = 'rewritten' where id = ${message} returning id`,
    expected: writtenByServiceRoleOnly,
  },
  {
    table: 'chat_messages', operation: 'delete',
    run: (tx) => tx`delete from public.chat_messages where id = ${message} returning id`,
    expected: writtenByServiceRoleOnly,
  },
  {
    table: 'conversation_reads', operation: 'select',
    run: (tx) => tx`select user_id, last_read_seq from public.conversation_reads where conversation_id = ${conversation}`,
    expected: readByParticipants,
  },
  {
    table: 'conversation_reads', operation: 'insert',
    run: (tx) => tx`insert into public.conversation_reads (conversation_id, user_id, business_id, customer_id, last_read_seq)
                    values (${conversation}, ${world.business.admin.id}, ${world.business.id}, ${world.customer.id}, 2)
                    returning user_id`,
    expected: writtenByServiceRoleOnly,
  },
  {
    table: 'conversation_reads', operation: 'update',
    run: (tx) => tx`update public.conversation_reads set last_read_seq = 0 where conversation_id = ${conversation} returning user_id`,
    expected: writtenByServiceRoleOnly,
  },
  {
    table: 'conversation_reads', operation: 'delete',
    run: (tx) => tx`delete from public.conversation_reads where conversation_id = ${conversation} returning user_id`,
    expected: writtenByServiceRoleOnly,
  },
];

describeMatrix(cases, () => world);
