// seq under concurrency: 20 senders on their own connections, all made to wait on the
// conversation's row lock before any of them may go, then released together.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConnection, type Sql, superuser } from '../support/db.ts';
import { createCustomer } from '../support/fixtures.ts';
import { whileLocked } from '../support/locks.ts';
import type { TestUser } from '../support/users.ts';
import { type ChatWorld, createChatWorld, startConversation } from './fixtures.ts';

let w: ChatWorld;
const connections: Sql[] = [];

beforeAll(async () => {
  w = await createChatWorld('chat-race');
});
afterAll(async () => {
  await Promise.all(connections.splice(0).map((sql) => sql.end()));
});

/** One request as `user` on its own connection, the way PostgREST runs an RPC. */
function asUserOn(sql: Sql, user: TestUser, run: (tx: Sql) => Promise<unknown>) {
  return sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify(user.claims)}, true)`;
    return run(tx as unknown as Sql);
  });
}

describe('send_message under concurrency', () => {
  it('20 concurrent senders get 20 distinct, consecutive seqs', async () => {
    const customer = await createCustomer('chat-race');
    const conversation = (await startConversation(customer, w.business, 'first')).id;
    const senders = [customer, w.business.editor, w.business.approver, w.business.admin];
    // Every sender waits on the conversation row before any may take a seq.
    await whileLocked(
      (tx) => tx`select 1 from public.conversations where id = ${conversation} for update`,
      () => Promise.all(Array.from({ length: 20 }, (_, i) => {
        const sql = newConnection('authenticator');
        connections.push(sql);
        return asUserOn(sql, senders[i % senders.length], (tx) => tx`
          select seq from public.send_message(conversation_id := ${conversation}, body := ${`racer ${i}`}, client_id := ${randomUUID()})`);
      })),
      { query: 'send_message', count: 20 },
    );

    const rows = await superuser()`select seq from public.chat_messages where conversation_id = ${conversation} order by seq`;
    expect(rows.map((row) => Number(row.seq))).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    const [conv] = await superuser()`select last_seq from public.conversations where id = ${conversation}`;
    expect(conv.last_seq).toBe('21');
  });

  it('the same client_id sent twice at once makes one message', async () => {
    const customer = await createCustomer('chat-race-retry');
    const conversation = (await startConversation(customer, w.business)).id;
    const clientId = randomUUID();
    const [a, b] = (await whileLocked(
      (tx) => tx`select 1 from public.conversations where id = ${conversation} for update`,
      () => Promise.all([0, 1].map(() => {
        const sql = newConnection('authenticator');
        connections.push(sql);
        return asUserOn(sql, customer, (tx) => tx`
          select id from public.send_message(conversation_id := ${conversation}, body := 'once', client_id := ${clientId})`);
      })),
      { query: "body := 'once'", count: 2 },
    )) as Array<Array<{ id: string }>>;
    expect(a[0].id).toBe(b[0].id);
    const [row] = await superuser()`select count(*)::int as n from public.chat_messages where conversation_id = ${conversation}`;
    expect(row.n).toBe(1);
  });

  it('two concurrent starts by one customer make one open conversation', async () => {
    const customer = await createCustomer('chat-race-start');
    const starts = [0, 1].map(() => {
      const sql = newConnection('authenticator');
      connections.push(sql);
      return asUserOn(sql, customer, (tx) => tx`select id from public.start_conversation(business_id := ${w.business.id})`);
    });
    const [a, b] = (await Promise.all(starts)) as Array<Array<{ id: string }>>;
    expect(a[0].id).toBe(b[0].id);
  });
});
