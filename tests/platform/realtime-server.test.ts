// The local Realtime server through the real supabase-js client: tokens, Broadcast (client and
// database), Presence and private channels authorized by RLS on realtime.messages.
import { randomUUID } from 'node:crypto';
import type { RealtimeChannel } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { apiKeys, signJwt } from '../../scripts/lib/local-platform.ts';
import { connectAs, newConnection, superuser } from '../support/db.ts';
import { closeRealtimeClients, realtimeBaseUrl, realtimeClient, subscribe, waitFor } from '../support/realtime-client.ts';
import { createUser, type TestUser } from '../support/users.ts';

type Broadcast = { type: string; event: string; payload: Record<string, unknown>; meta?: { id: string } };

/** Collects a channel's broadcasts (every event). */
function collect(channel: RealtimeChannel): Broadcast[] {
  const received: Broadcast[] = [];
  channel.on('broadcast', { event: '*' }, (message) => received.push(message as Broadcast));
  return received;
}

function topic(label: string): string {
  return `rts:${label}:${randomUUID()}`;
}

/** A user's token granting read/write on topics through the claims the test policies check. */
function tokenFor(user: TestUser, grants: { read?: string[]; write?: string[]; presence?: string[] }, exp?: number): Promise<string> {
  return signJwt({
    ...user.claims,
    ...(exp === undefined ? {} : { exp }),
    rts_read: grants.read ?? [],
    rts_write: grants.write ?? [],
    rts_presence: grants.presence ?? [],
  });
}

let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  [alice, bob] = await Promise.all([createUser(), createUser()]);
  // Policies as a project writes them (as postgres), for this file's topics only: reading needs
  // the topic in the token's rts_read claim; writing a broadcast rts_write; presence rts_presence.
  const admin = connectAs('postgres');
  await admin.unsafe(`
    drop policy if exists "Realtime server test: users read topics their token grants" on realtime.messages;
    create policy "Realtime server test: users read topics their token grants" on realtime.messages
      for select to authenticated
      using ((select realtime.topic()) like 'rts:%'
             and coalesce((select auth.jwt()) -> 'rts_read', '[]'::jsonb) ? (select realtime.topic()));
    drop policy if exists "Realtime server test: users broadcast on topics their token grants" on realtime.messages;
    create policy "Realtime server test: users broadcast on topics their token grants" on realtime.messages
      for insert to authenticated
      with check ((select realtime.topic()) like 'rts:%' and extension = 'broadcast'
                  and coalesce((select auth.jwt()) -> 'rts_write', '[]'::jsonb) ? (select realtime.topic()));
    drop policy if exists "Realtime server test: users track presence on topics their token grants" on realtime.messages;
    create policy "Realtime server test: users track presence on topics their token grants" on realtime.messages
      for insert to authenticated
      with check ((select realtime.topic()) like 'rts:%' and extension = 'presence'
                  and coalesce((select auth.jwt()) -> 'rts_presence', '[]'::jsonb) ? (select realtime.topic()));
  `);
});
afterEach(() => closeRealtimeClients());

describe('connecting', () => {
  async function upgrade(apikey: string | null): Promise<{ status: number; body: unknown }> {
    const url = new URL(`${realtimeBaseUrl().replace('http:', 'ws:')}/realtime/v1/websocket`);
    url.searchParams.set('vsn', '2.0.0');
    if (apikey !== null) url.searchParams.set('apikey', apikey);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.on('open', () => (ws.close(), resolve({ status: 101, body: null })));
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      });
      ws.on('error', reject);
    });
  }

  it('accepts the anon key', async () => {
    expect((await upgrade((await apiKeys()).anonKey)).status).toBe(101);
  });

  it.each([
    ['no apikey', null, 'API key is missing'],
    ['a malformed apikey', 'not-a-jwt', 'The token provided is not a valid JWT'],
  ])('refuses %s with 401', async (_label, apikey, error) => {
    expect(await upgrade(apikey)).toEqual({ status: 401, body: { error } });
  });

  it('refuses an apikey signed with another secret', async () => {
    const forged = await new SignJWT({ role: 'anon' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-that-is-at-least-32-characters'));
    expect(await upgrade(forged)).toEqual({ status: 401, body: { error: 'Failed to validate JWT signature' } });
  });

  it('refuses an expired apikey', async () => {
    const expired = await signJwt({ role: 'anon', exp: Math.floor(Date.now() / 1000) - 10 });
    expect(await upgrade(expired)).toEqual({ status: 401, body: { error: 'Token has expired' } });
  });
});

describe('public channels', () => {
  it('anyone with the anon key joins, and a broadcast reaches the other subscribers only', async () => {
    const name = topic('public');
    const [sender, listener] = [(await realtimeClient()).channel(name), (await realtimeClient()).channel(name)];
    const [sent, heard] = [collect(sender), collect(listener)];
    expect(await subscribe(sender)).toEqual({ status: 'SUBSCRIBED' });
    expect(await subscribe(listener)).toEqual({ status: 'SUBSCRIBED' });
    expect(await sender.send({ type: 'broadcast', event: 'hello', payload: { n: 1 } })).toBe('ok');
    await waitFor(() => heard.length === 1, 'the broadcast');
    expect(heard[0]).toMatchObject({ type: 'broadcast', event: 'hello', payload: { n: 1 } });
    // self is off by default: the sender's own broadcast comes back only to others.
    await sender.send({ type: 'broadcast', event: 'marker', payload: {} });
    await waitFor(() => heard.length === 2, 'the marker');
    expect(sent).toEqual([]);
  });

  it('with self, the sender receives its own broadcast; with ack, the send is acknowledged', async () => {
    const name = topic('self-ack');
    const client = await realtimeClient();
    const channel = client.channel(name, { config: { broadcast: { self: true, ack: true } } });
    const received = collect(channel);
    expect(await subscribe(channel)).toEqual({ status: 'SUBSCRIBED' });
    expect(await channel.send({ type: 'broadcast', event: 'echo', payload: { text: 'hi' } })).toBe('ok');
    await waitFor(() => received.length === 1, 'the echo');
    expect(received[0]).toMatchObject({ event: 'echo', payload: { text: 'hi' } });
  });

  it('a public and a private channel of the same name are different topics', async () => {
    const name = topic('split');
    const token = await tokenFor(alice, { read: [name], write: [name] });
    const publicChannel = (await realtimeClient()).channel(name);
    const privateChannel = (await realtimeClient(token)).channel(name, { config: { private: true } });
    const [publicHeard, privateHeard] = [collect(publicChannel), collect(privateChannel)];
    expect(await subscribe(publicChannel)).toEqual({ status: 'SUBSCRIBED' });
    expect(await subscribe(privateChannel)).toEqual({ status: 'SUBSCRIBED' });
    await superuser()`select realtime.send('{"to":"private"}'::jsonb, 'note', ${name}, true)`;
    await superuser()`select realtime.send('{"to":"public"}'::jsonb, 'note', ${name}, false)`;
    await waitFor(() => privateHeard.length === 1 && publicHeard.length === 1, 'both notes');
    expect(privateHeard[0].payload).toEqual({ to: 'private' });
    expect(publicHeard[0].payload).toEqual({ to: 'public' });
  });

  it('a postgres_changes subscription is refused with a clear reason', async () => {
    const channel = (await realtimeClient()).channel(topic('changes'));
    channel.on('postgres_changes', { event: '*', schema: 'public', table: 'products' }, () => {});
    const result = await subscribe(channel);
    expect(result.status).toBe('CHANNEL_ERROR');
    expect(String((result as { error: Error }).error.message)).toMatch(/^PostgresChangesNotAvailable: /);
  });
});
