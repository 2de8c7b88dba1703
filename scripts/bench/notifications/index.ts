// Benchmark: e-mails per second delivered by send-notifications (claim with SKIP LOCKED,
// render, POST to the provider, record the outcome) against a fake Resend on 127.0.0.1,
// side by side with the same number of bare POSTs to that fake at the same concurrency (the
// ceiling the provider and the machine allow). Run: npm run bench:notifications
// (BENCH_MESSAGES, BENCH_ROUNDS to change the size)
import os from 'node:os';
import { apiKeys } from '../../lib/local-platform.ts';
import { startScratchDatabase } from '../../lib/scratch-database.ts';
import { functionEnvironment } from '../../lib/stack.ts';
import { startFakeResend } from '../../../tests/support/fake-resend.ts';
import { type ServedFunction, serveFunction } from '../serve-function.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SETTINGS = [
  { batchSize: 50, concurrency: 8 },
  { batchSize: 200, concurrency: 32 },
];

const db = await startScratchDatabase();
const resend = await startFakeResend();
const served: ServedFunction[] = [];
try {
  const { serviceRoleKey } = await apiKeys();
  const senders = [];
  for (const setting of SETTINGS) {
    const fn = await serveFunction('send-notifications', await functionEnvironment(db.port, 0, {
      RESEND_API_BASE: resend.url,
      RESEND_API_KEY: 're_bench',
      NOTIFICATIONS_BATCH_SIZE: String(setting.batchSize),
      NOTIFICATIONS_CONCURRENCY: String(setting.concurrency),
    }));
    served.push(fn);
    senders.push({ ...setting, fn });
  }

  const queue = () => db.admin`
    insert into private.notifications (kind, recipient, payload, dedupe_key)
    select 'order_paid', 'buyer' || g || '@bench.example',
           jsonb_build_object('order_id', gen_random_uuid(), 'business_name', 'Bench shop', 'customer_name', 'Buyer ' || g,
                              'total', 100 + g, 'currency', 'KES',
                              'items', jsonb_build_array(jsonb_build_object('product_name', 'Maize', 'unit', 'kg', 'quantity', 2,
                                                                            'unit_price', 50, 'line_total', 100))),
           'bench:' || gen_random_uuid()
    from generate_series(1, ${MESSAGES}) g`;

  /** Calls the function as the sweep does, until nothing is left to claim. */
  const drain = async (fn: ServedFunction): Promise<number> => {
    await queue();
    const started = performance.now();
    let sent = 0;
    for (;;) {
      const res = await fetch(fn.url, { method: 'POST', headers: { authorization: `Bearer ${serviceRoleKey}` }, body: '{}' });
      const { data } = await res.json() as { data: { claimed: number; sent: number } };
      sent += data.sent;
      if (data.claimed === 0) break;
    }
    const seconds = (performance.now() - started) / 1000;
    if (sent !== MESSAGES) throw new Error(`sent ${sent} of ${MESSAGES}`);
    return seconds;
  };

  /** The same number of requests straight to the fake provider, `concurrency` at a time. */
  const bare = async (concurrency: number): Promise<number> => {
    const started = performance.now();
    let next = 0;
    const body = JSON.stringify({ from: 'bench@bench.example', to: ['x@bench.example'], subject: 's', html: '<p>h</p>', text: 't' });
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next++ < MESSAGES) {
        const res = await fetch(`${resend.url}/emails`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer re_bench' }, body });
        await res.text();
      }
    }));
    return (performance.now() - started) / 1000;
  };

  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores; ${MESSAGES.toLocaleString('en')} messages per run, best of ${ROUNDS} alternating runs.\n`);
  console.log('| batch size × concurrency | send-notifications (msg/s) | bare POSTs to the fake provider (msg/s) | ratio |');
  console.log('| --- | --- | --- | --- |');
  for (const sender of senders) {
    const times = { outbox: [] as number[], bare: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) times.outbox.push(await drain(sender.fn)), times.bare.push(await bare(sender.concurrency));
      else times.bare.push(await bare(sender.concurrency)), times.outbox.push(await drain(sender.fn));
      resend.requests.length = 0;
    }
    const outbox = MESSAGES / Math.min(...times.outbox);
    const direct = MESSAGES / Math.min(...times.bare);
    console.log(`| ${sender.batchSize} × ${sender.concurrency} | ${Math.round(outbox).toLocaleString('en')} | ${Math.round(direct).toLocaleString('en')} | ${(outbox / direct).toFixed(2)}× |`);
  }
} finally {
  for (const fn of served) await fn.stop();
  await resend.close();
  await db.stop();
}
