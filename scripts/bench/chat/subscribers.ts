// The subscribers of the chat benchmark's Realtime part, in their own process so that decoding
// on the client side does not share an event loop with the server. Started by index.ts with an
// IPC channel: it subscribes one supabase-js client per token to the private conversation
// topic, says `ready`, reports each message's receipt times once every subscriber has it (the
// message body is `tick <n>`), and leaves on `stop`.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';

const [baseUrl, anonKey, topic, tokensJson] = process.argv.slice(2);
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
  channel.on('broadcast', { event: 'message_created' }, ({ payload }) => {
    const at = now();
    const tick = Number(String((payload as { body: string }).body).replace('tick ', ''));
    const times = receipts.get(tick) ?? [];
    times.push(at);
    receipts.set(tick, times);
    if (times.length === tokens.length) {
      receipts.delete(tick);
      process.send!({ tick, times });
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
