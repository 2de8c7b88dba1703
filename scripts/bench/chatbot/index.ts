// Benchmark: the chatbot function's own overhead (auth, rate limit, session, grounding as the
// caller, prompt, storing both turns) against a zero-latency fake model, and the prompt's size,
// at growing catalogue sizes up to 1,000,000 products. Marketplace-wide and one-store questions
// are timed side by side.
// Run: npm run bench:chatbot (BENCH_PRODUCTS=50000 to scale down, BENCH_ITERATIONS per side).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeGemini } from '../../../tests/support/fake-gemini.ts';
import { startFunctionsServer } from '../../lib/functions-server.ts';
import { ROOT, signJwt } from '../../lib/local-platform.ts';
import { startScratchDatabase } from '../../lib/scratch-database.ts';
import { functionEnvironment } from '../../lib/stack.ts';
import { fmt, progressBar, sideBySide, summarize } from '../lib.ts';

const MAX_PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 1_000_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const PRODUCTS_PER_BUSINESS = 1000;
const BATCH_BUSINESSES = 10;
const QUESTIONS = [
  'How much is fresh maize and do you have it in stock?',
  'Bei ya mbolea bora ni ngapi?',
  'Do you sell organic beans, hybrid seeds or dairy meal?',
  'How should I store maize after harvest to avoid aflatoxin?',
  'Nataka mayai kienyeji na asali safi',
];

const db = await startScratchDatabase();
const gemini = await startFakeGemini();
const serverLines: string[] = [];
let functions: Awaited<ReturnType<typeof startFunctionsServer>> | null = null;
try {
  await db.admin.unsafe(readFileSync(path.join(ROOT, 'sql', 'bench', 'catalogue.sql'), 'utf8'));
  await db.admin`
    insert into public.knowledge_articles (title, body, tags, language)
    select 'Article ' || i || ' on ' || topic, repeat('Practical advice about ' || topic || ' for smallholder farms. ', 20),
           array[topic], case when i % 4 = 0 then 'sw' else 'en' end
    from generate_series(1, 400) i, lateral (select (array['maize', 'beans', 'soil', 'irrigation', 'mbolea', 'dairy meal',
      'storage', 'pests'])[1 + i % 8] as topic) t`;
  const userId = randomUUID();
  await db.admin`insert into auth.users (id, instance_id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
                 values (${userId}, '00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated',
                         'bench.chatter@example.test', '{}', '{}', now(), now())`;
  const now = Math.floor(Date.now() / 1000);
  const jwt = await signJwt({ aud: 'authenticated', role: 'authenticated', sub: userId, iat: now, exp: now + 86_400, is_anonymous: false });

  functions = await startFunctionsServer({
    port: 0,
    env: (port) => functionEnvironment(db.port, port, {
      GEMINI_API_KEY: 'bench-key', GEMINI_API_BASE: gemini.url,
      CHATBOT_RATE_PER_MINUTE: '1000000000', CHATBOT_RATE_PER_DAY: '1000000000',
    }),
    log: (line) => serverLines.push(line),
  });
  const url = `${functions.url}/chatbot`;
  const sessions: Record<string, string | undefined> = {};
  let asked = 0;
  /** One chat turn, continuing the scenario's session so the history grows to its limit. */
  const turn = async (scenario: string, businessId: string | null): Promise<number> => {
    const body = { message: QUESTIONS[asked++ % QUESTIONS.length], ...(sessions[scenario] ? { session_id: sessions[scenario] } : {}),
      ...(businessId && !sessions[scenario] ? { business_id: businessId } : {}) };
    const started = performance.now();
    const response = await fetch(url, {
      method: 'POST', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const answer = await response.json() as { data?: { session_id: string } };
    const elapsed = performance.now() - started;
    if (response.status !== 200) throw new Error(`chatbot answered ${response.status}: ${JSON.stringify(answer)}`);
    sessions[scenario] ??= answer.data!.session_id;
    return elapsed;
  };
  const handlerMs = (from: number) => serverLines.slice(from)
    .map((line) => /"fn":"chatbot".*"event":"request".*"ms":(\d+)/.exec(line)?.[1]).filter(Boolean).map(Number);

  const rows: string[] = [];
  let businesses = 0;
  const target = Math.max(1, Math.round(MAX_PRODUCTS / PRODUCTS_PER_BUSINESS));
  const stages = [...new Set([Math.ceil(target / 100), Math.ceil(target / 10), target])];
  for (const stage of stages) {
    const from = businesses;
    while (businesses < stage) {
      const last = Math.min(stage, businesses + BATCH_BUSINESSES);
      await db.admin`call bench.generate_catalogue(${businesses + 1}, ${last}, ${PRODUCTS_PER_BUSINESS})`;
      businesses = last;
      progressBar(`catalogue to ${(stage * PRODUCTS_PER_BUSINESS).toLocaleString('en')} products`, businesses - from, stage - from);
    }
    await db.admin`analyze`;
    const store = `20000000-0000-4000-8000-${'1'.padStart(12, '0')}`;
    const logFrom = serverLines.length;
    const requestsFrom = gemini.requests.length;
    const [marketplace, oneStore] = await sideBySide(ITERATIONS, () => turn(`market-${stage}`, null), () => turn(`store-${stage}`, store));
    const server = summarize(handlerMs(logFrom));
    const promptBytes = gemini.requests.slice(requestsFrom).map((r) => Buffer.byteLength(JSON.stringify(r.body)));
    gemini.requests.length = 0;
    const bytes = summarize(promptBytes);
    const maxBytes = Math.max(...promptBytes);
    const [{ products }] = await db.admin`select count(*)::int as products from public.products`;
    rows.push(`| ${products.toLocaleString('en')} | ${fmt(marketplace.p50)} | ${fmt(marketplace.p95)} | ${fmt(oneStore.p50)} | ` +
      `${fmt(oneStore.p95)} | ${(marketplace.p50 / oneStore.p50).toFixed(2)}× | ${server.p50} ms | ${server.p95} ms | ` +
      `${Math.round(bytes.p50).toLocaleString('en')} B | ${maxBytes.toLocaleString('en')} B (≈${Math.ceil(maxBytes / 4).toLocaleString('en')} tokens) |`);
  }
  console.log(`\n${ITERATIONS} turns per side per size, each continuing one session (history up to 20 turns), zero-latency fake model.`);
  console.log('Client: POST through the verify_jwt gateway to the Deno function, JSON answer read. Server: the handler\'s own logged time (whole ms).\n');
  console.log('| products | marketplace p50 | marketplace p95 | one store p50 | one store p95 | marketplace ÷ store p50 | server p50 | server p95 | prompt p50 | prompt max |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
} finally {
  await functions?.stop();
  await gemini.close();
  await db.stop();
}
