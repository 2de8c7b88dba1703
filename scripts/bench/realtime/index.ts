// Benchmark: latency from commit to receipt through the local Realtime server. A transaction
// calls realtime.send on a private topic and commits; the time runs from the moment COMMIT is
// sent until each subscriber's supabase-js callback fires. The subscribers (1, then 100, each
// its own client and socket, authorized by an RLS policy at join) run in a second process;
// messages go one at a time, the next once every subscriber has the previous one.
// Run: npm run bench:realtime (BENCH_MESSAGES to change the count)
import os from 'node:os';
import { apiKeys, JWT_SECRET, databaseUrl, signJwt } from '../../lib/local-platform.ts';
import { startGateway } from '../../lib/gateway.ts';
import { realtimeRoute, startRealtimeServer } from '../../lib/realtime-server.ts';
import { startScratchDatabase } from '../../lib/scratch-database.ts';
import { summarize } from '../lib.ts';
import { startSubscribers } from './subscribe.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 300);
const SIZES = [1, 100];
const TOPIC = 'bench:room';
const now = () => performance.timeOrigin + performance.now();

const db = await startScratchDatabase();
const realtime = await startRealtimeServer({ dbUrl: databaseUrl('supabase_admin', db.port), jwtSecret: JWT_SECRET });
const gateway = await startGateway({ port: 0, routes: [['/realtime/v1', realtimeRoute(realtime)]] });
try {
  const port = gateway.port;
  await db.admin.unsafe(`
    create policy "Bench: authenticated users read the bench room" on realtime.messages for select to authenticated
    using ((select realtime.topic()) = '${TOPIC}')`);
  const token = await signJwt({ role: 'authenticated', sub: crypto.randomUUID(), exp: Math.floor(Date.now() / 1000) + 3600 });
  const { anonKey } = await apiKeys();
  const sender = await db.admin.reserve();

  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores; ${MESSAGES} messages per size.\n`);
  console.log('| subscribers | p50 | p95 | max | deliveries |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const size of SIZES) {
    const subscribers = await startSubscribers({
      baseUrl: `http://127.0.0.1:${port}`, anonKey, topic: TOPIC, event: 'tick', tokens: Array.from({ length: size }, () => token),
    });
    const samples: number[] = [];
    for (let seq = -20; seq < MESSAGES; seq++) {
      const received = subscribers.received(seq);
      await sender`begin`;
      await sender`select realtime.send(${sender.json({ seq })}, 'tick', ${TOPIC})`;
      const committedAt = now();
      await sender`commit`;
      const times = await received;
      // The first 20 messages warm both processes up and are not counted.
      if (seq >= 0) samples.push(...times.map((at) => at - committedAt));
    }
    await subscribers.stop();
    const timing = summarize(samples);
    console.log(`| ${size} | ${timing.p50.toFixed(2)} ms | ${timing.p95.toFixed(2)} ms | ${Math.max(...samples).toFixed(2)} ms | ${samples.length.toLocaleString('en')} |`);
  }
  sender.release();
} finally {
  await gateway.stop();
  await realtime.stop();
  await db.stop();
}
