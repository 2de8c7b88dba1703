// supabase-js clients of the local Realtime server, as an app uses them: createClient with the
// anon key and, for a signed-in user, the user's access token set on Realtime. Node 20 has no
// global WebSocket, so the `ws` package is the transport.
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { apiKeys } from '../../scripts/lib/local-platform.ts';

/** The base URL supabase-js is given; it derives `ws://…/realtime/v1` from it. */
export function realtimeBaseUrl(): string {
  return inject('stack').realtimeUrl.replace(/^ws:/, 'http:').replace(/\/realtime\/v1$/, '');
}

const clients: SupabaseClient[] = [];

/** A client; with `token`, Realtime joins use it as the access token (the anon key otherwise). */
export async function realtimeClient(token?: string): Promise<SupabaseClient> {
  const client = createClient(realtimeBaseUrl(), (await apiKeys()).anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
  if (token) await client.realtime.setAuth(token);
  clients.push(client);
  return client;
}

/** Closes every client made so far (afterEach/afterAll). */
export async function closeRealtimeClients(): Promise<void> {
  await Promise.all(clients.splice(0).map((client) => client.removeAllChannels()));
}

export type SubscribeResult = { status: 'SUBSCRIBED' } | { status: 'CHANNEL_ERROR' | 'TIMED_OUT' | 'CLOSED'; error?: Error };

/**
 * Subscribes and reports the first outcome. A refused channel is left to the client, which
 * retries the join as supabase-js does; tests remove it when they are done with it.
 */
export function subscribe(channel: RealtimeChannel): Promise<SubscribeResult> {
  return new Promise((resolve) => {
    let settled = false;
    channel.subscribe((status, error) => {
      if (settled) return;
      settled = true;
      resolve(status === 'SUBSCRIBED' ? { status } : { status, error });
    });
  });
}

/** Polls `check` until it returns something other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(check: () => T | undefined | false, what: string, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
