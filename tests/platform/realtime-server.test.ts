// The local Realtime server through the real supabase-js client: tokens, Broadcast (client and
// database), Presence and private channels authorized by RLS on realtime.messages.
import { randomUUID } from 'node:crypto';
import type { RealtimeChannel } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
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
  function upgrade(apikey: string | null): Promise<{ status: number; body: unknown }> {
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

describe('private channels', () => {
  it('a user whose policies allow reading joins and receives database broadcasts and allowed senders', async () => {
    const name = topic('private');
    const reader = (await realtimeClient(await tokenFor(alice, { read: [name] }))).channel(name, { config: { private: true } });
    const writer = (await realtimeClient(await tokenFor(bob, { read: [name], write: [name] }))).channel(name, {
      config: { private: true, broadcast: { ack: true } },
    });
    const heard = collect(reader);
    expect(await subscribe(reader)).toEqual({ status: 'SUBSCRIBED' });
    expect(await subscribe(writer)).toEqual({ status: 'SUBSCRIBED' });
    expect(await writer.send({ type: 'broadcast', event: 'typing', payload: { by: bob.id } })).toBe('ok');
    await superuser()`select realtime.send(${superuser().json({ body: 'hello' })}, 'message', ${name})`;
    await waitFor(() => heard.length === 2, 'both broadcasts');
    expect(heard[0]).toMatchObject({ event: 'typing', payload: { by: bob.id } });
    expect(heard[1]).toMatchObject({ event: 'message', payload: { body: 'hello' }, meta: { id: expect.any(String) } });
  });

  it.each([
    ['a user the policies do not allow', () => tokenFor(bob, { read: ['rts:some-other-topic'] })],
    ['anon', () => Promise.resolve(undefined)],
  ])('%s is refused with Realtime\'s error and receives nothing', async (_label, token) => {
    const name = topic('refused');
    const outsider = (await realtimeClient(await token())).channel(name, { config: { private: true } });
    const member = (await realtimeClient(await tokenFor(alice, { read: [name] }))).channel(name, { config: { private: true } });
    const [outsiderHeard, memberHeard] = [collect(outsider), collect(member)];
    const result = await subscribe(outsider);
    expect(result.status).toBe('CHANNEL_ERROR');
    expect((result as { error: Error }).error.message).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: ${name}`,
    );
    expect(await subscribe(member)).toEqual({ status: 'SUBSCRIBED' });
    await superuser()`select realtime.send('{"secret":true}'::jsonb, 'message', ${name})`;
    await waitFor(() => memberHeard.length === 1, 'the member\'s copy');
    expect(outsiderHeard).toEqual([]);
  });

  it('a reader without write permission cannot broadcast: nothing is delivered and no ack comes', async () => {
    const name = topic('read-only');
    const readOnly = (await realtimeClient(await tokenFor(alice, { read: [name] }))).channel(name, {
      config: { private: true, broadcast: { ack: true } },
    });
    const writer = (await realtimeClient(await tokenFor(bob, { read: [name], write: [name] }))).channel(name, {
      config: { private: true },
    });
    const heard = collect(writer);
    expect(await subscribe(readOnly)).toEqual({ status: 'SUBSCRIBED' });
    expect(await subscribe(writer)).toEqual({ status: 'SUBSCRIBED' });
    expect(await readOnly.send({ type: 'broadcast', event: 'forged', payload: {} }, { timeout: 500 })).toBe('timed out');
    await superuser()`select realtime.send('{}'::jsonb, 'marker', ${name})`;
    await waitFor(() => heard.length === 1, 'the marker');
    expect(heard.map((m) => m.event)).toEqual(['marker']);
  });

  it('the join and write probes leave no rows behind', async () => {
    const name = topic('probes');
    const channel = (await realtimeClient(await tokenFor(alice, { read: [name], write: [name] }))).channel(name, {
      config: { private: true, broadcast: { ack: true }, presence: { enabled: true } },
    });
    expect(await subscribe(channel)).toEqual({ status: 'SUBSCRIBED' });
    expect(await channel.send({ type: 'broadcast', event: 'probe-me', payload: {} })).toBe('ok');
    const [row] = await superuser()`select count(*)::int as n from realtime.messages where topic = ${name}`;
    expect(row.n).toBe(0);
  });

  it('presence is authorized apart from broadcast, by the extension column', async () => {
    const name = topic('presence-policy');
    const broadcaster = (await realtimeClient(await tokenFor(alice, { read: [name], write: [name] }))).channel(name, {
      config: { private: true },
    });
    const tracker = (await realtimeClient(await tokenFor(bob, { read: [name], presence: [name] }))).channel(name, {
      config: { private: true },
    });
    expect(await subscribe(broadcaster)).toEqual({ status: 'SUBSCRIBED' });
    expect(await subscribe(tracker)).toEqual({ status: 'SUBSCRIBED' });
    expect(await broadcaster.track({ online: true })).toBe('error');
    expect(await tracker.track({ online: true })).toBe('ok');
  });
});

describe('broadcast from the database', () => {
  async function listen(name: string): Promise<Broadcast[]> {
    const channel = (await realtimeClient(await tokenFor(alice, { read: [name] }))).channel(name, { config: { private: true } });
    const heard = collect(channel);
    expect(await subscribe(channel)).toEqual({ status: 'SUBSCRIBED' });
    return heard;
  }

  it('arrives after commit, not before', async () => {
    const name = topic('commit');
    const heard = await listen(name);
    const session = newConnection('postgres');
    try {
      const tx = await session.reserve();
      await tx`begin`;
      await tx`select realtime.send('{"n":1}'::jsonb, 'pending', ${name})`;
      // A message committed meanwhile arrives while the first is still uncommitted.
      await superuser()`select realtime.send('{}'::jsonb, 'marker', ${name})`;
      await waitFor(() => heard.length === 1, 'the marker');
      expect(heard.map((m) => m.event)).toEqual(['marker']);
      await tx`commit`;
      tx.release();
      await waitFor(() => heard.length === 2, 'the committed message');
      expect(heard[1]).toMatchObject({ event: 'pending', payload: { n: 1 } });
    } finally {
      await session.end();
    }
  });

  it('never arrives from a rolled-back transaction', async () => {
    const name = topic('rollback');
    const heard = await listen(name);
    await superuser()
      .begin(async (tx) => {
        await tx`select realtime.send('{"n":1}'::jsonb, 'rolled-back', ${name})`;
        throw new Error('roll back');
      })
      .catch(() => {});
    await superuser()`select realtime.send('{}'::jsonb, 'marker', ${name})`;
    await waitFor(() => heard.length === 1, 'the marker');
    expect(heard.map((m) => m.event)).toEqual(['marker']);
  });

  it('realtime.broadcast_changes delivers the row change as its payload', async () => {
    const name = topic('changes');
    const heard = await listen(name);
    await superuser()`
      select realtime.broadcast_changes(${name}, 'item_changed', 'INSERT', 'items', 'public', r, null)
      from (select 7 as id, 'tea' as name) r`;
    await waitFor(() => heard.length === 1, 'the change');
    expect(heard[0]).toMatchObject({
      event: 'item_changed',
      payload: { operation: 'INSERT', table: 'items', schema: 'public', record: { id: 7, name: 'tea' }, old_record: null },
    });
  });

  it('reaches a client speaking serializer 1.0.0 as JSON', async () => {
    const name = topic('v1');
    const client = await realtimeClient();
    const legacy = (await import('@supabase/supabase-js')).createClient(realtimeBaseUrl(), (await apiKeys()).anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never, vsn: '1.0.0' },
    });
    try {
      const modern = client.channel(name);
      const old = legacy.channel(name);
      const [modernHeard, oldHeard] = [collect(modern), collect(old)];
      expect(await subscribe(modern)).toEqual({ status: 'SUBSCRIBED' });
      expect(await subscribe(old)).toEqual({ status: 'SUBSCRIBED' });
      await superuser()`select realtime.send('{"v":1}'::jsonb, 'from-db', ${name}, false)`;
      await old.send({ type: 'broadcast', event: 'from-v1', payload: { v: 1 } });
      await waitFor(() => oldHeard.length === 1 && modernHeard.length === 2, 'both broadcasts');
      expect(oldHeard[0]).toMatchObject({ event: 'from-db', payload: { v: 1 }, meta: { id: expect.any(String) } });
      expect(modernHeard.map((m) => m.event).sort()).toEqual(['from-db', 'from-v1']);
    } finally {
      await legacy.removeAllChannels();
    }
  });
});

describe('presence', () => {
  type Presences = Record<string, Array<Record<string, unknown>>>;

  function presenceChannel(client: Awaited<ReturnType<typeof realtimeClient>>, name: string, key: string) {
    const channel = client.channel(name, { config: { presence: { key } } });
    const events: Array<{ event: string; key: string }> = [];
    channel.on('presence', { event: 'join' }, ({ key }) => events.push({ event: 'join', key }));
    channel.on('presence', { event: 'leave' }, ({ key }) => events.push({ event: 'leave', key }));
    return { channel, events, state: () => channel.presenceState() as Presences };
  }

  it('a joining client gets the state; tracks and untracks reach the others as diffs', async () => {
    const name = topic('presence');
    const first = presenceChannel(await realtimeClient(), name, 'first');
    expect(await subscribe(first.channel)).toEqual({ status: 'SUBSCRIBED' });
    expect(await first.channel.track({ status: 'online' })).toBe('ok');
    await waitFor(() => first.state().first, 'first sees itself');

    const second = presenceChannel(await realtimeClient(), name, 'second');
    expect(await subscribe(second.channel)).toEqual({ status: 'SUBSCRIBED' });
    await waitFor(() => second.state().first, 'the presence state on join');
    expect(second.state().first).toEqual([expect.objectContaining({ status: 'online', presence_ref: expect.any(String) })]);

    expect(await second.channel.track({ status: 'away' })).toBe('ok');
    await waitFor(() => first.state().second, 'the join diff');
    expect(first.events).toContainEqual({ event: 'join', key: 'second' });

    expect(await second.channel.untrack()).toBe('ok');
    await waitFor(() => !first.state().second, 'the leave diff');
    expect(first.events).toContainEqual({ event: 'leave', key: 'second' });
  });

  // supabase-js 2.109 builds its presence events from the live metas and loses their refs when a
  // key is updated (supabase/supabase-js#2565), so the update is checked on the events.
  it('tracking again updates the entry: one diff leaves the old payload and joins the new', async () => {
    const name = topic('presence-update');
    const watcher = (await realtimeClient()).channel(name, { config: { presence: { key: 'watcher' } } });
    const diffs: Array<{ event: string; status: unknown }> = [];
    watcher.on('presence', { event: 'join' }, ({ newPresences }) => diffs.push({ event: 'join', status: newPresences[0]?.status }));
    watcher.on('presence', { event: 'leave' }, ({ leftPresences }) => diffs.push({ event: 'leave', status: leftPresences[0]?.status }));
    expect(await subscribe(watcher)).toEqual({ status: 'SUBSCRIBED' });
    const tracker = (await realtimeClient()).channel(name, { config: { presence: { key: 'tracker' } } });
    expect(await subscribe(tracker)).toEqual({ status: 'SUBSCRIBED' });
    expect(await tracker.track({ status: 'away' })).toBe('ok');
    expect(await tracker.track({ status: 'away' })).toBe('ok');
    expect(await tracker.track({ status: 'back' })).toBe('ok');
    await waitFor(() => diffs.length === 3, 'the update');
    // The same payload twice changes nothing.
    expect(diffs).toEqual([
      { event: 'join', status: 'away' },
      { event: 'join', status: 'back' },
      { event: 'leave', status: 'away' },
    ]);
  });

  it('a client\'s presence is gone when its socket closes', async () => {
    const name = topic('presence-close');
    const watcherClient = await realtimeClient();
    const watcher = presenceChannel(watcherClient, name, 'watcher');
    expect(await subscribe(watcher.channel)).toEqual({ status: 'SUBSCRIBED' });
    const leaverClient = await realtimeClient();
    const leaver = presenceChannel(leaverClient, name, 'leaver');
    expect(await subscribe(leaver.channel)).toEqual({ status: 'SUBSCRIBED' });
    expect(await leaver.channel.track({ here: true })).toBe('ok');
    await waitFor(() => watcher.state().leaver, 'the tracked presence');
    // The socket goes away without leaving its channels, as when a tab closes.
    await leaverClient.realtime.disconnect();
    await waitFor(() => !watcher.state().leaver, 'the leave diff');
    expect(watcher.events).toContainEqual({ event: 'leave', key: 'leaver' });
  });
});

describe('tokens', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('an expired access token is refused at join with Realtime\'s error', async () => {
    const channel = (await realtimeClient(await tokenFor(alice, {}, now() - 30))).channel(topic('expired'));
    const result = await subscribe(channel);
    expect(result.status).toBe('CHANNEL_ERROR');
    expect((result as { error: Error }).error.message).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
  });

  it('a forged access token is refused at join', async () => {
    const forged = await new SignJWT({ ...alice.claims, role: 'service_role' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode('another-secret-that-is-at-least-32-characters'));
    const result = await subscribe((await realtimeClient(forged)).channel(topic('forged')));
    expect(result.status).toBe('CHANNEL_ERROR');
    expect((result as { error: Error }).error.message).toBe('JwtSignatureError: Failed to validate JWT signature');
  });

  it('a channel is closed when its token expires', async () => {
    const name = topic('expiring');
    const channel = (await realtimeClient(await tokenFor(alice, { read: [name] }, now() + 2))).channel(name, {
      config: { private: true },
    });
    const system: Array<Record<string, unknown>> = [];
    channel.on('system', {}, (message) => system.push(message));
    let closed = false;
    await new Promise<void>((resolve) =>
      channel.subscribe((status) => {
        if (status === 'SUBSCRIBED') resolve();
        if (status === 'CLOSED') closed = true;
      })
    );
    await waitFor(() => closed, 'the channel to close', 5_000);
    expect(system).toEqual([
      { extension: 'system', status: 'error', message: expect.stringMatching(/^Token has expired \d+ seconds ago$/), channel: name },
    ]);
  });

  it('a new token is checked again: a user who lost permission stops receiving', async () => {
    const name = topic('revoked');
    const client = await realtimeClient(await tokenFor(alice, { read: [name] }));
    const channel = client.channel(name, { config: { private: true } });
    const heard = collect(channel);
    const system: Array<Record<string, unknown>> = [];
    channel.on('system', {}, (message) => system.push(message));
    const other = (await realtimeClient(await tokenFor(bob, { read: [name] }))).channel(name, { config: { private: true } });
    const otherHeard = collect(other);
    expect(await subscribe(channel)).toEqual({ status: 'SUBSCRIBED' });
    expect(await subscribe(other)).toEqual({ status: 'SUBSCRIBED' });

    // A refreshed token that still grants the topic keeps the channel.
    await client.realtime.setAuth(await tokenFor(alice, { read: [name] }, now() + 3600));
    await superuser()`select realtime.send('{}'::jsonb, 'before', ${name})`;
    await waitFor(() => heard.length === 1 && otherHeard.length === 1, 'the first message');

    await client.realtime.setAuth(await tokenFor(alice, { read: [] }, now() + 7200));
    await waitFor(() => system.length === 1, 'the shutdown');
    expect(system[0]).toEqual({
      extension: 'system',
      status: 'error',
      message: `You do not have permissions to read from this Channel topic: ${name}`,
      channel: name,
    });
    await superuser()`select realtime.send('{}'::jsonb, 'after', ${name})`;
    await waitFor(() => otherHeard.length === 2, 'the second message');
    expect(heard.map((m) => m.event)).toEqual(['before']);
  });
});

describe('tokens and write permission', () => {
  it('a new token is checked again for writing: a sender who lost it can no longer broadcast', async () => {
    const name = topic('write-revoked');
    const client = await realtimeClient(await tokenFor(alice, { read: [name], write: [name] }));
    const sender = client.channel(name, { config: { private: true, broadcast: { ack: true } } });
    const listener = (await realtimeClient(await tokenFor(bob, { read: [name] }))).channel(name, { config: { private: true } });
    const heard = collect(listener);
    expect(await subscribe(sender)).toEqual({ status: 'SUBSCRIBED' });
    expect(await subscribe(listener)).toEqual({ status: 'SUBSCRIBED' });
    expect(await sender.send({ type: 'broadcast', event: 'allowed', payload: {} })).toBe('ok');
    await client.realtime.setAuth(await tokenFor(alice, { read: [name] }, Math.floor(Date.now() / 1000) + 3600));
    expect(await sender.send({ type: 'broadcast', event: 'refused', payload: {} }, { timeout: 500 })).toBe('timed out');
    await superuser()`select realtime.send('{}'::jsonb, 'marker', ${name})`;
    await waitFor(() => heard.length === 2, 'the marker');
    expect(heard.map((m) => m.event)).toEqual(['allowed', 'marker']);
  });
});

describe('heartbeat', () => {
  it('answers Phoenix heartbeats', async () => {
    const client = await realtimeClient();
    await subscribe(client.channel(topic('heartbeat')));
    const statuses: string[] = [];
    client.realtime.onHeartbeat((status) => statuses.push(status));
    await client.realtime.sendHeartbeat();
    await waitFor(() => statuses.includes('ok'), 'the heartbeat reply');
  });
});
