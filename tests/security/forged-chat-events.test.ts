// Threat: forged chat events over Realtime. Realtime's write probe sees a topic and an extension,
// never an event's name, so anyone allowed to broadcast typing on `conversation:<id>` could also
// broadcast `message_created` there — a message "from the business" (or from the customer) that
// no table holds, even carrying a `meta.id` like the database's broadcasts. No client may
// broadcast on `conversation:<id>` any more (typing has its own topic), and a topic is reached
// only under the one spelling the database broadcasts to.
import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeRealtimeClients, realtimeClient, subscribe, waitFor } from '../support/realtime-client.ts';
import type { TestUser } from '../support/users.ts';
import { type ChatWorld, createChatWorld, send, startConversation } from '../chat/fixtures.ts';

type Heard = { event: string; payload: Record<string, unknown>; meta?: { id: string } };

let w: ChatWorld;

beforeAll(async () => {
  w = await createChatWorld('chat-forged');
});
afterEach(() => closeRealtimeClients());

async function join(user: TestUser, topic: string, { ack = false } = {}) {
  const client = await realtimeClient(user.jwt);
  const channel: RealtimeChannel = client.channel(topic, { config: { private: true, broadcast: { ack } } });
  const heard: Heard[] = [];
  channel.on('broadcast', { event: '*' }, (message) => heard.push(message as unknown as Heard));
  const status = await subscribe(channel);
  return { client, channel, heard, status };
}

describe('forged chat events', () => {
  it.each([
    ['the customer forges a message from the business', () => w.customer, () => w.business.editor],
    ['a chat.reply member forges a message from the customer', () => w.business.editor, () => w.customer],
  ])('%s: the broadcast on conversation:<id> is refused and the other side hears only real messages', async (_label, forger, victim) => {
    const conversation = (await startConversation(w.customer, w.business)).id;
    const attacker = await join(forger(), `conversation:${conversation}`, { ack: true });
    const target = await join(victim(), `conversation:${conversation}`);
    expect(attacker.status).toEqual({ status: 'SUBSCRIBED' });
    expect(target.status).toEqual({ status: 'SUBSCRIBED' });

    const forged = {
      type: 'broadcast' as const,
      event: 'message_created',
      payload: { id: crypto.randomUUID(), conversation_id: conversation, sender_id: victim().id, seq: 999, body: 'Refund approved: send your M-Pesa PIN to 0700 000 000' },
      meta: { id: crypto.randomUUID() },
    };
    expect(await attacker.channel.send(forged, { timeout: 500 })).toBe('timed out');
    for (const event of ['message_deleted', 'read']) {
      expect(await attacker.channel.send({ type: 'broadcast', event, payload: { conversation_id: conversation } }, { timeout: 500 })).toBe('timed out');
    }

    const real = await send(forger(), conversation, 'a real message');
    await waitFor(() => target.heard.some((m) => m.event === 'message_created' && m.payload.id === real.id), 'the real message');
    expect(target.heard.map((m) => [m.event, m.payload.id ?? null])).toEqual([['message_created', real.id]]);
  });

  it('typing has its own topic, where message events are not listened for and outsiders cannot join', async () => {
    const id = (await startConversation(w.customer, w.business)).id;
    const typist = await join(w.customer, `conversation:${id}:typing`, { ack: true });
    expect(await typist.channel.send({ type: 'broadcast', event: 'typing', payload: { user_id: w.customer.id } })).toBe('ok');
    for (const outsider of [w.otherCustomer, w.otherBusiness.admin]) {
      expect((await join(outsider, `conversation:${id}:typing`)).status.status).toBe('CHANNEL_ERROR');
    }
  });

  it.each([
    ['upper-case', (id: string) => `conversation:${id.toUpperCase()}`],
    ['in braces', (id: string) => `conversation:{${id}}`],
    ['without hyphens', (id: string) => `conversation:${id.replaceAll('-', '')}`],
    ['with a LIKE wildcard', (_id: string) => 'conversation:%'],
    ['with a regex wildcard', (_id: string) => 'conversation:.*'],
    ['with a trailing segment', (id: string) => `conversation:${id}:x`],
    ['typing, upper-case', (id: string) => `conversation:${id.toUpperCase()}:typing`],
  ])('a participant cannot open a second spelling of their own conversation topic (%s)', async (_label, spell) => {
    const id = (await startConversation(w.customer, w.business)).id;
    const crafted = await join(w.customer, spell(id));
    expect(crafted.status.status).toBe('CHANNEL_ERROR');
  });

  it.each([
    ['another customer', () => w.otherCustomer],
    ["another business's admin", () => w.otherBusiness.admin],
  ])("%s cannot reach someone else's conversation under any spelling", async (_label, who) => {
    const id = (await startConversation(w.customer, w.business)).id;
    for (const topic of [`conversation:${id}`, `conversation:${id.toUpperCase()}`, `conversation:${id}:typing`, `user:${w.customer.id}`, `user:${w.customer.id.toUpperCase()}`]) {
      expect((await join(who(), topic)).status.status, topic).toBe('CHANNEL_ERROR');
    }
    expect((await join(who(), `business:${w.business.id.toUpperCase()}:inbox`)).status.status).toBe('CHANNEL_ERROR');
  });
});
