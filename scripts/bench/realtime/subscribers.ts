// Realtime subscribers for the benchmarks (bench:realtime, bench:chat), in their own process so
// that decoding on the client side does not share an event loop with the server. Started by
// startSubscribers (subscribe.ts) with an IPC channel: it subscribes one supabase-js client per
// token to one private topic, says `ready`, reports the receipt times of each broadcast `event`
// (keyed by its payload's `seq`) once every subscriber has it, and leaves on `stop`.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';

const [baseUrl, anonKey, topic, event, tokensJson] = process.argv.slice(2);
const tokens = JSON.parse(tokensJson) as string[];
const now = () => performance.timeOrigin + performance.now();

const receipts = new Map<number, number[]>();
const clients: SupabaseClient[] = [];
await Promise.all(tokens.map(async (token) => {
  const client = createClient(baseUrl, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
  clients.push(client);
  await client.realtime.setAuth(token);
  const channel = client.channel(topic, { config: { private: true } });
  channel.on('broadcast', { event }, ({ payload }) => {
    const at = now();
    const seq = (payload as { seq: number }).seq;
    const times = receipts.get(seq) ?? [];
    times.push(at);
    receipts.set(seq, times);
    if (times.length === tokens.length) {
      receipts.delete(seq);
      process.send!({ seq, times });
    }
  });
  await new Promise<void>((resolve, reject) =>
    channel.subscribe((status, error) => (status === 'SUBSCRIBED' ? resolve() : reject(error ?? new Error(status))))
  );
}));
process.send!({ ready: true });
process.on('message', async (message: { stop?: boolean }) => {
  if (!message.stop) return;
  await Promise.all(clients.map((client) => client.removeAllChannels()));
  process.exit(0);
});
