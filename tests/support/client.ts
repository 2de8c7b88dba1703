// The real @supabase/supabase-js against the test stack's API gateway (PostgREST at /rest/v1),
// created as a client app creates it: the anon key, and a signed-in user's access token.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { inject } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import type { TestUser } from './users.ts';

export function apiUrl(): string {
  return inject('stack').apiUrl;
}

const noSession = { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false };

/**
 * supabase-js builds its Realtime client eagerly and Node 20 has no WebSocket of its own; these
 * clients never open a channel, so they get a transport that refuses to be used.
 */
class NoRealtime {
  constructor() {
    throw new Error('these test clients do not use Realtime');
  }
}
export const realtime = { transport: NoRealtime as never };

/** A visitor's client (anon key, nobody signed in), or the service role's. */
export async function keyClient(key: 'anon' | 'service_role'): Promise<SupabaseClient> {
  const { anonKey, serviceRoleKey } = await apiKeys();
  return createClient(apiUrl(), key === 'anon' ? anonKey : serviceRoleKey, { auth: noSession, realtime });
}

/** A signed-in user's client, with the token handed over as the README shows (`accessToken`). */
export async function userClient(user: TestUser): Promise<SupabaseClient> {
  return createClient(apiUrl(), (await apiKeys()).anonKey, { accessToken: () => Promise.resolve(user.jwt), realtime });
}
