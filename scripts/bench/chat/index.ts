// Benchmark: chat at 1,000,000 stored messages (10,000 conversations of one business, 100
// messages each), every call as PostgREST makes it (authenticator, role and claims set, RLS on):
// - send_message by customers (each into their own conversation) and by members with
//   chat.reply, the whole request from BEGIN to COMMIT (triggers and broadcasts included);
// - a history page (50 messages before a seq, through the table's policy), messages_since, and
//   chat_inbox (first page and a page deep in the list) for a member of the business;
// - through the local Realtime server, commit-to-receipt latency of send_message at 100
//   subscribers of the conversation's private topic (one supabase-js client and socket each, in
//   a second process, authorized by the chat policies at join); messages one at a time.
// Run: npm run bench:chat (BENCH_ITERATIONS, BENCH_MESSAGES to change the counts)
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { apiKeys, databaseUrl, JWT_SECRET, ROOT, signJwt } from '../../lib/local-platform.ts';
import { startGateway } from '../../lib/gateway.ts';
import { realtimeRoute, startRealtimeServer } from '../../lib/realtime-server.ts';
import { startScratchDatabase } from '../../lib/scratch-database.ts';
import { progressBar, summarize, type Timing } from '../lib.ts';
import { startSubscribers } from '../realtime/subscribe.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 300);
const CONVERSATIONS = 10_000;
const BATCH = 250;
const SUBSCRIBERS = 100;
const now = () => performance.timeOrigin + performance.now();
const hex = (n: number) => n.toString(16).padStart(12, '0');
const memberId = (m: number) => `70000000-0000-4000-8000-${hex(1000 + m)}`;
const customerId = (c: number) => `72000000-0000-4000-8000-${hex(c)}`;
const conversationId = (c: number) => `71000000-0000-4000-8000-${hex(c)}`;
const random = (n: number) => 1 + Math.floor(Math.random() * n);

type Claims = Record<string, unknown>;
const claimsOf = (sub: string): Claims => ({
  role: 'authenticated', aud: 'authenticated', sub, exp: Math.floor(Date.now() / 1000) + 3600, is_anonymous: false,
});

/** One request as PostgREST runs it; the milliseconds from BEGIN to COMMIT. */
async function timedRequest(sql: postgres.Sql, claims: Claims, readOnly: boolean, query: (tx: postgres.TransactionSql) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await sql.begin(readOnly ? 'isolation level read committed read only' : 'isolation level read committed', async (tx) => {
    await tx`select set_config('search_path', '"public", "extensions"', true),
                    set_config('role', 'authenticated', true),
                    set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    await query(tx);
  });
  return performance.now() - started;
}

async function measure(count: number, run: (i: number) => Promise<number>): Promise<Timing> {
  const warmup = Math.min(50, count);
  for (let i = 0; i < warmup; i++) await run(i);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await run(i));
  return summarize(samples);
}

const db = await startScratchDatabase();
const realtime = await startRealtimeServer({ dbUrl: databaseUrl('supabase_admin', db.port), jwtSecret: JWT_SECRET });
const gateway = await startGateway({ port: 0, routes: [['/realtime/v1', realtimeRoute(realtime)]] });
const api = postgres(databaseUrl('authenticator', db.port), { max: 1, onnotice: () => {} });
try {
  await db.admin.unsafe(readFileSync(path.join(ROOT, 'sql', 'bench', 'chat.sql'), 'utf8'));
  await db.admin`call bench.prepare_chat_business()`;
  for (let first = 1; first <= CONVERSATIONS; first += BATCH) {
    await db.admin`call bench.generate_chat(${first}, ${Math.min(first + BATCH - 1, CONVERSATIONS)})`;
    progressBar('Loading 1,000,000 messages', Math.min(first + BATCH - 1, CONVERSATIONS), CONVERSATIONS);
  }
  await db.admin`vacuum analyze public.conversations, public.chat_messages, public.conversation_reads`;
  const [{ n }] = await db.admin`select count(*)::int as n from public.chat_messages`;

  const member = claimsOf(memberId(0));
  const rows: Array<[string, Timing]> = [];

  // Customers each send into their own conversation (the rate limit is per sender).
  const customers = Array.from({ length: CONVERSATIONS }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
  let next = 0;
  rows.push(['send_message, customer', await measure(ITERATIONS, () => {
    const c = customers[next++ % customers.length];
    return timedRequest(api, claimsOf(customerId(c)), false, (tx) =>
      tx`select id from public.send_message(conversation_id := ${conversationId(c)}, body := 'Is the maize still available?', client_id := ${crypto.randomUUID()})`);
  })]);
  // 30 editors answer, 10 messages each (well within 30 a minute).
  rows.push(['send_message, member (chat.reply)', await measure(250, (i) => {
    const m = 1 + (i % 30);
    return timedRequest(api, claimsOf(memberId(m)), false, (tx) =>
      tx`select id from public.send_message(conversation_id := ${conversationId(random(CONVERSATIONS))}, body := 'Yes, 40 bags in stock.')`);
  })]);
  rows.push(['history page (50 before a seq), member', await measure(ITERATIONS, () =>
    timedRequest(api, member, true, (tx) => tx`
      select id, seq, sender_id, body, attachments, created_at, edited_at, deleted_at from public.chat_messages
      where conversation_id = ${conversationId(random(CONVERSATIONS))} and seq < ${1 + random(100)}
      order by seq desc limit 50`))]);
  rows.push(['messages_since (catch-up, up to 200), member', await measure(ITERATIONS, () =>
    timedRequest(api, member, true, (tx) =>
      tx`select id from public.messages_since(conversation_id := ${conversationId(random(CONVERSATIONS))}, after_seq := ${random(100)})`))]);
  rows.push(['chat_inbox first page (20), member of 10,000 conversations', await measure(ITERATIONS, () =>
    timedRequest(api, member, true, (tx) => tx`select conversation_id from public.chat_inbox(page_size := 20)`))]);
  const cursors = await db.admin`select id, activity_at from public.conversations order by random() limit 500`;
  rows.push(['chat_inbox page at a random cursor, member', await measure(ITERATIONS, (i) => {
    const cursor = cursors[i % cursors.length];
    return timedRequest(api, member, true, (tx) =>
      tx`select conversation_id from public.chat_inbox(before_at := ${cursor.activity_at}, before_id := ${cursor.id}, page_size := 20)`);
  })]);
  rows.push(['chat_inbox first page, customer', await measure(ITERATIONS, () =>
    timedRequest(api, claimsOf(customerId(random(CONVERSATIONS))), true, (tx) => tx`select conversation_id from public.chat_inbox()`))]);

  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}; ${n.toLocaleString('en')} messages stored; ${ITERATIONS} requests per row (send by members: 250), BEGIN to COMMIT.\n`);
  console.log('| request | p50 | p95 | mean |');
  console.log('| --- | --- | --- | --- |');
  for (const [label, t] of rows) console.log(`| ${label} | ${t.p50.toFixed(2)} ms | ${t.p95.toFixed(2)} ms | ${t.mean.toFixed(2)} ms |`);

  // Realtime: 100 subscribers of conversation 1 (members 1..30 and the customer, tokens reused
  // across clients), messages sent in turn by the customer and the members.
  const port = gateway.port;
  const { anonKey } = await apiKeys();
  const subscriberIds = [customerId(1), ...Array.from({ length: 30 }, (_, m) => memberId(m + 1))];
  const tokens = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, i) => signJwt(claimsOf(subscriberIds[i % subscriberIds.length]))));
  const subscribers = await startSubscribers({
    baseUrl: `http://127.0.0.1:${port}`, anonKey, topic: `conversation:${conversationId(1)}`, event: 'message_created', tokens,
  });
  const senders = [customerId(1), memberId(0), ...Array.from({ length: 30 }, (_, m) => memberId(m + 1))];
  const sender = await api.reserve();
  const samples: number[] = [];
  for (let tick = -20; tick < MESSAGES; tick++) {
    await sender`begin`;
    await sender`select set_config('role', 'authenticated', true),
                        set_config('request.jwt.claims', ${JSON.stringify(claimsOf(senders[(tick + 20) % senders.length]))}, true)`;
    const [{ seq }] = await sender`select seq from public.send_message(conversation_id := ${conversationId(1)}, body := ${`tick ${tick}`})`;
    // Broadcast after commit only: waiting from here on misses nothing.
    const received = subscribers.received(Number(seq));
    const committedAt = now();
    await sender`commit`;
    const times = await received;
    // The first 20 messages warm both processes up and are not counted.
    if (tick >= 0) samples.push(...times.map((at) => at - committedAt));
  }
  sender.release();
  await subscribers.stop();
  const timing = summarize(samples);
  console.log(`\nRealtime, send_message commit to receipt on conversation:<id>, ${MESSAGES} messages:\n`);
  console.log('| subscribers | p50 | p95 | max | deliveries |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(`| ${SUBSCRIBERS} | ${timing.p50.toFixed(2)} ms | ${timing.p95.toFixed(2)} ms | ${Math.max(...samples).toFixed(2)} ms | ${samples.length.toLocaleString('en')} |`);
} finally {
  await api.end();
  await gateway.stop();
  await realtime.stop();
  await db.stop();
}
