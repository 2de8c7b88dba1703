// The chat RPCs for participants, another customer, another business's members and anon;
// idempotent sends, catch-up, read cursors, edits and deletes, closing, the inbox, rate limits
// and bad input (a clear 4xx that changes nothing).
import { randomUUID } from 'node:crypto';
import type { Row } from 'postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { asUser } from '../support/postgrest.ts';
import { createCustomer } from '../support/fixtures.ts';
import { createProduct, pendingOrder } from '../commerce/fixtures.ts';
import { createUser, type TestUser } from '../support/users.ts';
import { type ChatWorld, createChatWorld, ok, rpc, send, startConversation } from './fixtures.ts';

let w: ChatWorld;

beforeAll(async () => {
  w = await createChatWorld('chat-rpc');
});

type Who = 'customer' | 'viewer' | 'editor' | 'approver' | 'admin' | 'otherCustomer' | 'otherAdmin' | 'anon';
function user(who: Who): TestUser | null {
  switch (who) {
    case 'customer': return w.customer;
    case 'otherCustomer': return w.otherCustomer;
    case 'otherAdmin': return w.otherBusiness.admin;
    case 'anon': return null;
    default: return w.business[who];
  }
}

async function messageCount(conversationId: string): Promise<number> {
  const [row] = await superuser()`select count(*)::int as n from public.chat_messages where conversation_id = ${conversationId}`;
  return row.n;
}

/** A fresh customer with an open conversation with the world's business, for tests that change it. */
async function freshConversation(body = 'Hello'): Promise<{ customer: TestUser; id: string }> {
  const customer = await createCustomer('chat-rpc-fresh');
  return { customer, id: (await startConversation(customer, w.business, body)).id };
}

describe('start_conversation', () => {
  it('opens one conversation and returns the same open one again, posting the body each time', async () => {
    const customer = await createCustomer('chat-start');
    const first = await startConversation(customer, w.business, 'Do you deliver to Arusha?');
    const again = await startConversation(customer, w.business, 'And to Moshi?');
    expect(again.id).toBe(first.id);
    expect(first).toMatchObject({ status: 'open', last_seq: '1', customer_id: customer.id, business_id: w.business.id });
    expect(again.last_seq).toBe('2');
  });

  it('an anonymous sign-in may start a conversation', async () => {
    const guest = await createUser({ anonymous: true });
    expect((await rpc(guest, 'start_conversation', { business_id: w.business.id })).error).toBeNull();
  });

  it('anon is refused (401)', async () => {
    expect((await rpc(null, 'start_conversation', { business_id: w.business.id })).error?.status).toBe(401);
  });

  it('a member of the business cannot start one with it (422)', async () => {
    expect((await rpc(w.business.editor, 'start_conversation', { business_id: w.business.id })).error?.status).toBe(422);
  });

  it('an unknown business is 404', async () => {
    expect((await rpc(w.customer, 'start_conversation', { business_id: randomUUID() })).error?.status).toBe(404);
  });

  it('keeps an approved product of the business as context, refuses drafts and other businesses\' products (404)', async () => {
    const customer = await createCustomer('chat-product');
    const approved = await createProduct(w.business.id);
    const draft = await createProduct(w.business.id, { status: 'draft' });
    const rival = await createProduct(w.otherBusiness.id);
    for (const product of [draft, rival]) {
      expect((await rpc(customer, 'start_conversation', { business_id: w.business.id, product_id: product.id })).error?.status).toBe(404);
    }
    const [row] = await ok(rpc(customer, 'start_conversation', { business_id: w.business.id, product_id: approved.id }), 'start');
    expect(row.product_id).toBe(approved.id);
  });

  it('accepts only the caller\'s own order from that business (404 otherwise)', async () => {
    const buyer = await createCustomer('chat-order');
    const { orderId } = await pendingOrder(buyer, w.business.id);
    expect((await rpc(w.otherCustomer, 'start_conversation', { business_id: w.business.id, order_id: orderId })).error?.status).toBe(404);
    expect((await rpc(buyer, 'start_conversation', { business_id: w.otherBusiness.id, order_id: orderId })).error?.status).toBe(404);
    const [row] = await ok(rpc(buyer, 'start_conversation', { business_id: w.business.id, order_id: orderId }), 'start');
    expect(row.order_id).toBe(orderId);
  });

  it('a bad first body creates nothing (400)', async () => {
    const customer = await createCustomer('chat-badstart');
    expect((await rpc(customer, 'start_conversation', { business_id: w.business.id, body: 'x'.repeat(4001) })).error?.status).toBe(400);
    const [row] = await superuser()`select count(*)::int as n from public.conversations where customer_id = ${customer.id}`;
    expect(row.n).toBe(0);
  });
});

describe('send_message by who', () => {
  let conversation: string;
  beforeAll(async () => {
    conversation = (await startConversation(w.customer, w.business)).id;
  });

  it.each(['customer', 'editor', 'approver', 'admin'] as const)('the %s sends', async (who) => {
    const row = await send(user(who)!, conversation, `from the ${who}`);
    expect(row).toMatchObject({ sender_id: user(who)!.id, body: `from the ${who}` });
  });

  it.each([
    ['viewer', 403], ['otherCustomer', 404], ['otherAdmin', 404], ['anon', 401],
  ] as const)('the %s is refused (%i) and nothing is sent', async (who, status) => {
    const before = await messageCount(conversation);
    expect((await rpc(user(who), 'send_message', { conversation_id: conversation, body: 'sneaky' })).error?.status).toBe(status);
    expect(await messageCount(conversation)).toBe(before);
  });

  it('a member who loses chat.reply cannot send on their next request', async () => {
    const { id } = await freshConversation();
    await superuser()`delete from public.role_permissions where role = 'editor' and permission = 'chat.reply'`;
    try {
      expect((await rpc(w.business.editor, 'send_message', { conversation_id: id, body: 'still here?' })).error?.status).toBe(403);
    } finally {
      await superuser()`insert into public.role_permissions (role, permission) values ('editor', 'chat.reply')`;
    }
    expect((await rpc(w.business.editor, 'send_message', { conversation_id: id, body: 'back' })).error).toBeNull();
  });
});

describe('idempotent send', () => {
  it('the same client_id returns the first message and sends nothing', async () => {
    const { customer, id } = await freshConversation();
    const clientId = randomUUID();
    const first = await send(customer, id, 'Two bags please', { client_id: clientId });
    const retry = await send(customer, id, 'Two bags please (retry)', { client_id: clientId });
    expect(retry.id).toBe(first.id);
    expect(retry.body).toBe('Two bags please');
    expect(await messageCount(id)).toBe(2);
  });

  it('the same client_id in another conversation is a conflict (409)', async () => {
    const { customer, id } = await freshConversation();
    const clientId = randomUUID();
    await send(customer, id, 'here', { client_id: clientId });
    const other = (await startConversation(customer, w.otherBusiness)).id;
    expect((await rpc(customer, 'send_message', { conversation_id: other, body: 'there', client_id: clientId })).error?.status).toBe(409);
  });

  it('client_ids are per sender: another sender may use the same one', async () => {
    const { customer, id } = await freshConversation();
    const clientId = randomUUID();
    const mine = await send(customer, id, 'mine', { client_id: clientId });
    const theirs = await send(w.business.editor, id, 'theirs', { client_id: clientId });
    expect(theirs.id).not.toBe(mine.id);
  });
});

describe('history and catch-up', () => {
  it('messages_since returns the missed range in seq order, and pages', async () => {
    const { customer, id } = await freshConversation('m1');
    for (let i = 2; i <= 8; i++) await send(i % 2 ? customer : w.business.editor, id, `m${i}`);
    // The client saw up to seq 3, then lost its connection.
    const missed = await ok(rpc(w.business.viewer, 'messages_since', { conversation_id: id, after_seq: 3 }), 'since');
    expect(missed.map((m) => [m.seq, m.body])).toEqual([4, 5, 6, 7, 8].map((n) => [String(n), `m${n}`]));
    const page = await ok(rpc(customer, 'messages_since', { conversation_id: id, after_seq: 3, max_rows: 2 }), 'since');
    expect(page.map((m) => m.seq)).toEqual(['4', '5']);
  });

  it.each([['otherCustomer', 404], ['otherAdmin', 404], ['anon', 401]] as const)('messages_since: the %s is refused (%i)', async (who, status) => {
    const { id } = await freshConversation();
    expect((await rpc(user(who), 'messages_since', { conversation_id: id, after_seq: 0 })).error?.status).toBe(status);
  });

  it('history by keyset through the table: the page before a seq, newest first', async () => {
    const { customer, id } = await freshConversation('h1');
    for (let i = 2; i <= 5; i++) await send(customer, id, `h${i}`);
    const page = await asUser(w.business.viewer, (tx) => tx`
      select seq, body from public.chat_messages where conversation_id = ${id} and seq < 5 order by seq desc limit 2`, { method: 'GET' });
    expect(page.data?.map((m) => m.body)).toEqual(['h4', 'h3']);
  });
});

describe('edit_message and delete_message', () => {
  it('the sender edits within 15 minutes; a delete keeps the place without body or attachments', async () => {
    const { customer, id } = await freshConversation('first');
    const message = await send(customer, id, 'tpyo');
    const [edited] = await ok(rpc(customer, 'edit_message', { message_id: message.id, body: 'typo' }), 'edit');
    expect(edited).toMatchObject({ body: 'typo', seq: message.seq });
    expect(edited.edited_at).not.toBeNull();
    const [deleted] = await ok(rpc(customer, 'delete_message', { message_id: message.id }), 'delete');
    expect(deleted).toMatchObject({ body: null, attachments: [], seq: message.seq });
    expect(deleted.deleted_at).not.toBeNull();
    expect((await rpc(customer, 'edit_message', { message_id: message.id, body: 'again' })).error?.status).toBe(409);
  });

  it.each([
    ['another participant', 'admin', 403], ['another customer', 'otherCustomer', 404],
    ['another business\'s admin', 'otherAdmin', 404], ['anon', 'anon', 401],
  ] as const)('%s cannot edit or delete it (%i)', async (_label, who, status) => {
    const { customer, id } = await freshConversation();
    const message = await send(customer, id, 'mine');
    expect((await rpc(user(who), 'edit_message', { message_id: message.id, body: 'theirs' })).error?.status).toBe(status);
    expect((await rpc(user(who), 'delete_message', { message_id: message.id })).error?.status).toBe(status);
    const [row] = await superuser()`select body, deleted_at from public.chat_messages where id = ${message.id}`;
    expect(row).toEqual({ body: 'mine', deleted_at: null });
  });

  it('after 15 minutes the sender can no longer change it (422)', async () => {
    const { customer, id } = await freshConversation();
    const message = await send(customer, id, 'old');
    await superuser()`update public.chat_messages set created_at = now() - interval '16 minutes' where id = ${message.id}`;
    expect((await rpc(customer, 'edit_message', { message_id: message.id, body: 'new' })).error?.status).toBe(422);
    expect((await rpc(customer, 'delete_message', { message_id: message.id })).error?.status).toBe(422);
  });

  it('an empty edit is refused (400)', async () => {
    const { customer, id } = await freshConversation();
    const message = await send(customer, id, 'keep me');
    expect((await rpc(customer, 'edit_message', { message_id: message.id, body: '   ' })).error?.status).toBe(400);
  });
});

describe('mark_read', () => {
  it('moves the cursor forward, never back, and never beyond the last message', async () => {
    const { customer, id } = await freshConversation('one');
    await send(w.business.editor, id, 'two');
    await send(w.business.editor, id, 'three');
    const read = async (seq: number) => (await ok(rpc(customer, 'mark_read', { conversation_id: id, up_to_seq: seq }), 'mark_read'))[0];
    expect((await read(3)).last_read_seq).toBe('3');
    expect((await read(2)).last_read_seq).toBe('3');
    expect((await read(1)).last_read_seq).toBe('3');
    expect((await read(1000)).last_read_seq).toBe('3');
  });

  it.each(['viewer', 'editor', 'approver', 'admin'] as const)('the %s marks read', async (who) => {
    const { id } = await freshConversation();
    const [row] = await ok(rpc(user(who), 'mark_read', { conversation_id: id, up_to_seq: 1 }), 'mark_read');
    expect(row).toMatchObject({ user_id: user(who)!.id, last_read_seq: '1' });
  });

  it.each([['otherCustomer', 404], ['otherAdmin', 404], ['anon', 401]] as const)('the %s is refused (%i)', async (who, status) => {
    const { id } = await freshConversation();
    expect((await rpc(user(who), 'mark_read', { conversation_id: id, up_to_seq: 1 })).error?.status).toBe(status);
  });

  it('a negative seq is 400', async () => {
    const { customer, id } = await freshConversation();
    expect((await rpc(customer, 'mark_read', { conversation_id: id, up_to_seq: -1 })).error?.status).toBe(400);
  });
});

describe('close_conversation', () => {
  it.each(['editor', 'approver', 'admin'] as const)('the %s closes; nobody sends afterwards (409); the next start opens a new one', async (who) => {
    const { customer, id } = await freshConversation();
    const [closed] = await ok(rpc(user(who), 'close_conversation', { conversation_id: id }), 'close');
    expect(closed).toMatchObject({ status: 'closed', closed_by: user(who)!.id });
    expect((await rpc(customer, 'send_message', { conversation_id: id, body: 'hello?' })).error?.status).toBe(409);
    expect((await startConversation(customer, w.business)).id).not.toBe(id);
  });

  it.each([
    ['customer', 403], ['viewer', 403], ['otherCustomer', 404], ['otherAdmin', 404], ['anon', 401],
  ] as const)('the %s cannot close it (%i)', async (who, status) => {
    const { customer, id } = await freshConversation();
    const caller = who === 'customer' ? customer : user(who);
    expect((await rpc(caller, 'close_conversation', { conversation_id: id })).error?.status).toBe(status);
    const [row] = await superuser()`select status from public.conversations where id = ${id}`;
    expect(row.status).toBe('open');
  });
});

describe('chat_inbox', () => {
  it('a customer sees their conversations newest first, with the last message and unread count', async () => {
    const customer = await createCustomer('chat-inbox');
    const a = (await startConversation(customer, w.business, 'to the first')).id;
    const b = (await startConversation(customer, w.otherBusiness, 'to the second')).id;
    await send(w.business.editor, a, 'reply one');
    await send(w.business.editor, a, 'reply two');
    const inbox = await ok(rpc(customer, 'chat_inbox', {}), 'inbox');
    expect(inbox.map((row) => row.conversation_id)).toEqual([a, b]);
    expect(inbox[0]).toMatchObject({ as_customer: true, unread_count: '2', last_read_seq: '0' });
    expect(inbox[0].last_message).toMatchObject({ body: 'reply two', seq: 3 });
    expect(inbox[1]).toMatchObject({ unread_count: '0' });
  });

  it('members see their business\'s conversations with the customer\'s name; the cursor pages through them', async () => {
    const mine = new Set<string>();
    for (let i = 0; i < 3; i++) mine.add((await freshConversation(`page ${i}`)).id);
    const seen: Row[] = [];
    let cursor: Record<string, unknown> = {};
    for (;;) {
      const page = await ok(rpc(w.business.viewer, 'chat_inbox', { ...cursor, page_size: 2 }), 'inbox');
      seen.push(...page);
      if (page.length < 2) break;
      const last = page[page.length - 1];
      cursor = { before_at: last.activity_at, before_id: last.conversation_id };
    }
    const ids = seen.map((row) => row.conversation_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of mine) expect(ids).toContain(id);
    const sorted = [...seen].sort((x, y) => Number(y.activity_at) - Number(x.activity_at));
    expect(seen.map((r) => r.conversation_id)).toEqual(sorted.map((r) => r.conversation_id));
    const row = seen.find((r) => mine.has(r.conversation_id))!;
    expect(row).toMatchObject({ as_customer: false, business_id: w.business.id, customer_name: 'chat-rpc-fresh buyer', unread_count: '1' });
  });

  it('another customer and another business\'s admin see none of them; anon is refused (401)', async () => {
    const { id } = await freshConversation();
    for (const who of ['otherCustomer', 'otherAdmin'] as const) {
      const inbox = await ok(rpc(user(who), 'chat_inbox', { page_size: 100 }), 'inbox');
      expect(inbox.map((row) => row.conversation_id)).not.toContain(id);
      expect(inbox.every((row) => row.business_id !== w.business.id)).toBe(true);
    }
    expect((await rpc(null, 'chat_inbox', {})).error?.status).toBe(401);
  });

  it.each([
    ['page_size 0', { page_size: 0 }], ['page_size 101', { page_size: 101 }], ['half a cursor', { before_at: new Date() }],
  ])('%s is 400', async (_label, args) => {
    expect((await rpc(w.customer, 'chat_inbox', args)).error?.status).toBe(400);
  });
});

describe('limits and bad input', () => {
  it.each([
    ['an empty body', { body: '  ' }],
    ['a body over 4000 characters', { body: 'x'.repeat(4001) }],
    ['more than 10 attachments', { body: 'x', attachments: Array.from({ length: 11 }, (_, i) => `a/b/${i}.jpg`) }],
    ['an attachment nobody uploaded', { body: 'x', attachments: ['CONV/SENDER/ghost.jpg'] }],
    ['an attachment outside the conversation folder', { body: 'x', attachments: ['elsewhere.jpg'] }],
    ['the same attachment twice', { body: 'x', attachments: ['a/b/c.jpg', 'a/b/c.jpg'] }],
    ['a null attachment', { body: 'x', attachments: [null] }],
  ])('%s is 400 and sends nothing', async (_label, args) => {
    const { customer, id } = await freshConversation();
    const attachments = (args as { attachments?: Array<string | null> }).attachments
      ?.map((p) => p && p.replace('CONV', id).replace('SENDER', customer.id));
    const result = await rpc(customer, 'send_message', { conversation_id: id, ...args, ...(attachments ? { attachments } : {}) });
    expect(result.error?.status).toBe(400);
    expect(await messageCount(id)).toBe(1);
  });

  it('a missing conversation is 400; an unknown one 404', async () => {
    expect((await rpc(w.customer, 'send_message', { conversation_id: null, body: 'x' })).error?.status).toBe(400);
    expect((await rpc(w.customer, 'send_message', { conversation_id: randomUUID(), body: 'x' })).error?.status).toBe(404);
  });

  it('a sender gets 30 messages a minute, then 429 until the minute has passed; a retry is not counted', async () => {
    const { customer, id } = await freshConversation('1');
    const retryKey = randomUUID();
    await send(customer, id, '2', { client_id: retryKey });
    for (let i = 3; i <= 30; i++) await send(customer, id, String(i));
    const refused = await rpc(customer, 'send_message', { conversation_id: id, body: '31' });
    expect(refused.error).toMatchObject({ code: 'PT429', status: 429 });
    expect((await send(customer, id, '2 again', { client_id: retryKey })).body).toBe('2');
    expect(await messageCount(id)).toBe(30);
    // Other senders are not affected.
    expect((await rpc(w.business.editor, 'send_message', { conversation_id: id, body: 'reply' })).error).toBeNull();
    await superuser()`update public.chat_messages set created_at = created_at - interval '61 seconds' where sender_id = ${customer.id}`;
    expect((await rpc(customer, 'send_message', { conversation_id: id, body: '31' })).error).toBeNull();
  });
});
