// Chat end to end through the local Realtime server with the real supabase-js client: database
// broadcasts of messages, edits, deletes and read receipts on `conversation:<id>`; inbox events
// on `business:<id>:inbox` and `user:<id>`; presence between the participants, typing on
// `conversation:<id>:typing`; and everybody else refused, by the policies on realtime.messages.
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { asUser } from '../support/postgrest.ts';
import { closeRealtimeClients, realtimeClient, subscribe, waitFor } from '../support/realtime-client.ts';
import { signIn, type TestUser } from '../support/users.ts';
import { type ChatWorld, createChatWorld, ok, rpc, send, startConversation } from './fixtures.ts';

type Broadcast = { event: string; payload: Record<string, unknown>; meta?: { id: string } };

let w: ChatWorld;

beforeAll(async () => {
  w = await createChatWorld('chat-live');
});
afterEach(() => closeRealtimeClients());

function collect(channel: RealtimeChannel): Broadcast[] {
  const received: Broadcast[] = [];
  channel.on('broadcast', { event: '*' }, (message) => received.push(message as unknown as Broadcast));
  return received;
}

/** A private channel of `user` on `topic`, subscribed, with what it receives. */
async function join(user: TestUser, topic: string, options: { presenceKey?: string; ack?: boolean } = {}) {
  const client: SupabaseClient = await realtimeClient(user.jwt);
  const channel = client.channel(topic, {
    config: { private: true, broadcast: { ack: options.ack ?? false }, ...(options.presenceKey ? { presence: { key: options.presenceKey, enabled: true } } : {}) },
  });
  const heard = collect(channel);
  const status = await subscribe(channel);
  return { client, channel, heard, status };
}

async function newConversation(label: string): Promise<{ customer: TestUser; id: string }> {
  const customer = await createCustomer(label);
  return { customer, id: (await startConversation(customer, w.business)).id };
}

describe('messages reach the other side', () => {
  it("a customer's message reaches the member subscribed to the conversation and to the inbox, and the customer's own topic", async () => {
    const { customer, id } = await newConversation('live-msg');
    const member = await join(w.business.editor, `conversation:${id}`);
    const inbox = await join(w.business.viewer, `business:${w.business.id}:inbox`);
    const own = await join(customer, `user:${customer.id}`);
    for (const joined of [member, inbox, own]) expect(joined.status).toEqual({ status: 'SUBSCRIBED' });

    const sent = await send(customer, id, 'Is the honey raw?');
    const created = await waitFor(() => member.heard.find((m) => m.event === 'message_created'), 'the message');
    expect(created.payload).toMatchObject({ id: sent.id, seq: 1, body: 'Is the honey raw?', sender_id: customer.id, conversation_id: id });
    expect(created.meta?.id).toEqual(expect.any(String));
    const updated = await waitFor(() => inbox.heard.find((m) => m.event === 'conversation_updated' && m.payload.last_seq === 1), 'the inbox event');
    expect(updated.payload).toMatchObject({ conversation_id: id, business_id: w.business.id, customer_id: customer.id, status: 'open' });
    await waitFor(() => own.heard.find((m) => m.event === 'conversation_updated' && m.payload.last_seq === 1), "the customer's event");
  });

  it('edits, deletes and read receipts are broadcast too; read receipts only move forward', async () => {
    const { customer, id } = await newConversation('live-edit');
    const watcher = await join(customer, `conversation:${id}`);
    const reply = await send(w.business.editor, id, 'We hvae it');
    await ok(rpc(w.business.editor, 'edit_message', { message_id: reply.id, body: 'We have it' }), 'edit');
    await ok(rpc(w.business.editor, 'delete_message', { message_id: reply.id }), 'delete');
    await ok(rpc(customer, 'mark_read', { conversation_id: id, up_to_seq: 1 }), 'mark_read');
    await waitFor(() => watcher.heard.some((m) => m.event === 'message_deleted'), 'the delete');
    const events = watcher.heard.filter((m) => m.event !== 'read').map((m) => [m.event, m.payload.body]);
    expect(events).toEqual([['message_created', 'We hvae it'], ['message_updated', 'We have it'], ['message_deleted', null]]);
    const reads = () => watcher.heard.filter((m) => m.event === 'read').map((m) => [m.payload.user_id, m.payload.last_read_seq]);
    await waitFor(() => reads().length === 1, 'the receipt');
    expect(reads()).toEqual([[customer.id, 1]]);
    // Going back sends nothing; going forward sends the new cursor.
    await ok(rpc(customer, 'mark_read', { conversation_id: id, up_to_seq: 0 }), 'mark_read back');
    await send(w.business.editor, id, 'anything else?');
    await ok(rpc(customer, 'mark_read', { conversation_id: id, up_to_seq: 2 }), 'mark_read forward');
    await waitFor(() => reads().length === 2, 'the second receipt');
    expect(reads()).toEqual([[customer.id, 1], [customer.id, 2]]);
  });

  it('a rolled-back message is never delivered', async () => {
    const { customer, id } = await newConversation('live-rollback');
    const member = await join(w.business.editor, `conversation:${id}`);
    const rolledBack = await asUser(customer, (tx) => tx`select * from public.send_message(conversation_id := ${id}, body := 'never')`, { rollback: true });
    expect(rolledBack.data?.[0].body).toBe('never');
    await send(customer, id, 'after');
    await waitFor(() => member.heard.some((m) => m.event === 'message_created'), 'the committed message');
    expect(member.heard.filter((m) => m.event === 'message_created').map((m) => m.payload.body)).toEqual(['after']);
  });
});

describe('inbox and user topics', () => {
  it("closing a conversation reaches the customer's topic and the business inbox", async () => {
    const { customer, id } = await newConversation('live-close');
    const own = await join(customer, `user:${customer.id}`);
    const inbox = await join(w.business.admin, `business:${w.business.id}:inbox`);
    await ok(rpc(w.business.editor, 'close_conversation', { conversation_id: id }), 'close');
    for (const side of [own, inbox]) {
      await waitFor(() => side.heard.find((m) => m.event === 'conversation_updated' && m.payload.conversation_id === id && m.payload.status === 'closed'), 'the closing');
    }
  });

  it('nobody writes on the inbox or user topics: no typing, no presence', async () => {
    const inbox = await join(w.business.admin, `business:${w.business.id}:inbox`, { ack: true, presenceKey: 'admin' });
    const own = await join(w.customer, `user:${w.customer.id}`, { ack: true, presenceKey: 'me' });
    for (const side of [inbox, own]) {
      expect(side.status).toEqual({ status: 'SUBSCRIBED' });
      expect(await side.channel.send({ type: 'broadcast', event: 'forged', payload: {} }, { timeout: 500 })).toBe('timed out');
      expect(await side.channel.track({ here: true })).toBe('error');
    }
  });
});

describe('typing and presence', () => {
  it('a typing broadcast reaches the other side', async () => {
    const { customer, id } = await newConversation('live-typing');
    const typist = await join(customer, `conversation:${id}:typing`, { ack: true });
    const member = await join(w.business.editor, `conversation:${id}:typing`);
    expect(await typist.channel.send({ type: 'broadcast', event: 'typing', payload: { user_id: customer.id } })).toBe('ok');
    const typing = await waitFor(() => member.heard.find((m) => m.event === 'typing'), 'the typing event');
    expect(typing.payload).toEqual({ user_id: customer.id });
  });

  it('a member without chat.reply receives but cannot broadcast typing', async () => {
    const { customer, id } = await newConversation('live-viewer');
    const viewer = await join(w.business.viewer, `conversation:${id}:typing`, { ack: true });
    const other = await join(customer, `conversation:${id}:typing`, { ack: true });
    expect(viewer.status).toEqual({ status: 'SUBSCRIBED' });
    expect(await viewer.channel.send({ type: 'broadcast', event: 'typing', payload: {} }, { timeout: 500 })).toBe('timed out');
    // The customer's typing reaches the viewer, so the viewer's would have reached the customer.
    expect(await other.channel.send({ type: 'broadcast', event: 'typing', payload: { user_id: customer.id } })).toBe('ok');
    await waitFor(() => viewer.heard.some((m) => m.event === 'typing'), "the customer's typing");
    expect(other.heard.filter((m) => m.event === 'typing')).toEqual([]);
  });

  it('presence shows both participants', async () => {
    const { customer, id } = await newConversation('live-presence');
    const a = await join(customer, `conversation:${id}`, { presenceKey: customer.id });
    const b = await join(w.business.editor, `conversation:${id}`, { presenceKey: w.business.editor.id });
    expect(await a.channel.track({ role: 'customer' })).toBe('ok');
    expect(await b.channel.track({ role: 'business' })).toBe('ok');
    for (const side of [a, b]) {
      await waitFor(() => Object.keys(side.channel.presenceState()).length === 2, 'both presences');
      expect(Object.keys(side.channel.presenceState()).sort()).toEqual([customer.id, w.business.editor.id].sort());
    }
  });
});

describe('nobody else joins', () => {
  it.each([
    ['another customer', 'conversation', () => w.otherCustomer],
    ["another business's admin", 'conversation', () => w.otherBusiness.admin],
    ["another business's admin", 'inbox', () => w.otherBusiness.admin],
    ['the customer', 'inbox', () => w.customer],
    ['another customer', 'user', () => w.otherCustomer],
    ['a member of the business', 'user', () => w.business.admin],
  ] as const)("%s cannot join the %s topic, and receives nothing", async (_label, kind, who) => {
    const { customer, id } = await newConversation('live-outsider');
    const topic = kind === 'conversation' ? `conversation:${id}` : kind === 'inbox' ? `business:${w.business.id}:inbox` : `user:${customer.id}`;
    const outsider = await join(who(), topic);
    expect(outsider.status.status).toBe('CHANNEL_ERROR');
    expect((outsider.status as { error?: Error }).error?.message).toContain('Unauthorized');
    const insider = await join(kind === 'user' ? customer : w.business.editor, topic);
    await send(customer, id, 'private');
    await waitFor(() => insider.heard.length > 0, 'the insider\'s event');
    expect(outsider.heard).toEqual([]);
    await outsider.client.removeAllChannels();
  });

  it('anon cannot join a conversation', async () => {
    const { id } = await newConversation('live-anon');
    const client = await realtimeClient();
    const channel = client.channel(`conversation:${id}`, { config: { private: true } });
    expect((await subscribe(channel)).status).toBe('CHANNEL_ERROR');
    await client.removeAllChannels();
  });

  it('a removed member stops receiving after their next token', async () => {
    const shop = await createBusiness('chat-live-removal');
    const customer = await createCustomer('live-removal');
    const id = (await startConversation(customer, shop)).id;
    const member = await join(shop.editor, `conversation:${id}`);
    const colleague = await join(shop.viewer, `conversation:${id}`);
    await send(customer, id, 'before');
    await waitFor(() => member.heard.some((m) => m.event === 'message_created'), 'the first message');

    await ok(rpc(shop.admin, 'remove_member', { business_id: shop.id, user_id: shop.editor.id }), 'remove_member');
    const closed: Array<Record<string, unknown>> = [];
    member.channel.on('system', {}, (message) => closed.push(message));
    await member.client.realtime.setAuth((await signIn(shop.editor.id)).jwt);
    await waitFor(() => closed.length > 0, 'the channel closing');
    expect(String(closed[0].message)).toContain('permissions to read');
    await send(customer, id, 'after');
    await waitFor(() => colleague.heard.filter((m) => m.event === 'message_created').length === 2, "the colleague's second message");
    expect(member.heard.filter((m) => m.event === 'message_created').map((m) => m.payload.body)).toEqual(['before']);
    // And a new join is refused.
    const again = await join(shop.editor, `conversation:${id}`);
    expect(again.status.status).toBe('CHANNEL_ERROR');
    await again.client.removeAllChannels();
  });
});
