// Benchmark: the CSV order export of 1,000,000 order lines through the orders-export function
// (its COPY as the caller, RLS on, formatting and neutralisation in the SELECT, streamed)
// against a bare `COPY … TO STDOUT` of the same rows as postgres, run alternately in one session; and the function process's peak memory (goal: under
// 100 MB), served as the local stack serves it (a 256 MB worker heap limit, as on a hosted
// project) and, for reference, with V8's own heap sizing for a machine of this size. Then the
// same export as a job, written gzipped in parts to a Storage stand-in that refuses objects
// above the 50 MiB upload limit, as served: its time, parts, sizes and peak memory.
// Run: npm run bench:export   (BENCH_EXPORT_ORDERS, BENCH_ROUNDS to change the size)
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { databaseUrl, ROOT, signJwt } from '../../lib/local-platform.ts';
import { startScratchDatabase } from '../../lib/scratch-database.ts';
import { functionEnvironment } from '../../lib/stack.ts';
import { progressBar } from '../lib.ts';
import { WORKER_MEMORY_LIMIT_MB } from '../../lib/functions-server.ts';
import { type ServedFunction, serveFunction } from '../serve-function.ts';

const ORDERS = Number(process.env.BENCH_EXPORT_ORDERS ?? 200_000); // 5 lines each
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BATCH = 20_000;
const BUSINESS = '50000000-0000-4000-8000-000000000001';
const ADMIN = '50000000-0000-4000-8000-0000000000ad';

interface Run {
  seconds: number;
  lines: number;
  bytes: number;
}

const UPLOAD_LIMIT = 50 * 1024 * 1024;

/** The Storage API's upload and signing, keeping only each object's size; refuses objects above the limit. */
async function storageSink(): Promise<{ url: string; sizes: Map<string, number>; close(): Promise<void> }> {
  const sizes = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => (size += chunk.length));
    req.on('end', () => {
      const sign = /^\/storage\/v1\/object\/sign\/(.+)$/.exec(req.url ?? '');
      const upload = /^\/storage\/v1\/object\/(.+)$/.exec(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && sign) return res.end(JSON.stringify({ signedURL: `/object/sign/${sign[1]}?token=bench` }));
      if (req.method === 'POST' && upload && size > UPLOAD_LIMIT) {
        res.statusCode = 400;
        return res.end(JSON.stringify({ statusCode: '413', error: 'Payload too large', message: 'The object exceeded the maximum allowed size' }));
      }
      if (req.method === 'POST' && upload) sizes.set(upload[1], size);
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sizes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function countLines(chunks: AsyncIterable<Uint8Array>): Promise<Omit<Run, 'seconds'>> {
  let lines = 0;
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.length;
    // The generated data holds no line breaks inside fields: every LF ends a record.
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  }
  return { lines: lines - 1, bytes }; // minus the header
}

const db = await startScratchDatabase();
const served: ServedFunction[] = [];
try {
  await db.admin.unsafe(readFileSync(path.join(ROOT, 'sql', 'bench', 'orders.sql'), 'utf8'));
  await db.admin`call bench.prepare_export_business()`;
  for (let first = 1; first <= ORDERS; first += BATCH) {
    await db.admin`call bench.generate_orders(${first}, ${Math.min(ORDERS, first + BATCH - 1)})`;
    progressBar(`generating ${(ORDERS * 5).toLocaleString('en')} order lines`, Math.min(ORDERS, first + BATCH - 1), ORDERS);
  }
  await db.admin`vacuum analyze public.orders, public.order_items`;

  const env = await functionEnvironment(db.port, 0, { EXPORT_INLINE_MAX_LINES: String(ORDERS * 5 + 1) });
  const [asServed, unlimited] = [await serveFunction('orders-export', env), await serveFunction('orders-export', env, null)];
  served.push(asServed, unlimited);
  const idle = [await asServed.memory(), await unlimited.memory()];
  const now = Math.floor(Date.now() / 1000);
  const jwt = await signJwt({ aud: 'authenticated', role: 'authenticated', sub: ADMIN, iat: now, exp: now + 3600, email: 'export-admin@bench.example' });
  const copySql = postgres(databaseUrl('postgres', db.port), { max: 1, onnotice: () => {} });

  const viaFunction = (fn: ServedFunction) => async (): Promise<Run> => {
    const started = performance.now();
    const res = await fetch(`${fn.url}?business_id=${BUSINESS}`, { headers: { authorization: `Bearer ${jwt}` } });
    if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
    const counted = await countLines(res.body!);
    return { ...counted, seconds: (performance.now() - started) / 1000 };
  };
  const viaCopy = async (): Promise<Run> => {
    const started = performance.now();
    const stream = await copySql.unsafe(`
      copy (
        select o.id, to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), o.status, o.customer_id, o.currency,
               o.subtotal, o.total, o.shipping_address, o.notes, i.id, i.product_id, i.product_name, i.unit,
               i.unit_price, i.quantity, i.line_total
        from public.orders o join public.order_items i on i.order_id = o.id and i.business_id = o.business_id
        where o.business_id = '${BUSINESS}'
        order by o.created_at desc, o.id, i.id
      ) to stdout with (format csv, header)`).readable();
    const counted = await countLines(stream);
    return { ...counted, seconds: (performance.now() - started) / 1000 };
  };

  const paths = [
    { short: 'export', name: `orders-export as served (${WORKER_MEMORY_LIMIT_MB} MB worker limit, as hosted)`, run: viaFunction(asServed), runs: [] as Run[] },
    { short: 'COPY', name: 'COPY … TO STDOUT (postgres, no RLS)', run: viaCopy, runs: [] as Run[] },
    { short: 'export (no limit)', name: 'orders-export, no worker limit (V8 sizes its heap for 24 GiB)', run: viaFunction(unlimited), runs: [] as Run[] },
  ];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate which goes first, so all see the same machine state.
    for (let k = 0; k < paths.length; k++) {
      const path = paths[(round + k) % paths.length];
      path.runs.push(await path.run());
    }
    console.log(`round ${round + 1}/${ROUNDS}: ` + paths.map((p) => `${p.short} ${p.runs.at(-1)!.seconds.toFixed(1)} s`).join(', '));
  }
  const peak = [await asServed.memory(), await unlimited.memory()];
  await copySql.end();

  const best = (list: Run[]) => list.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const [fnServed, copy, fnUnlimited] = paths.map((p) => best(p.runs));
  for (const fn of [fnServed, fnUnlimited]) {
    if (fn.lines !== copy.lines) throw new Error(`the export wrote ${fn.lines} lines, COPY ${copy.lines}`);
  }
  const rate = (run: Run) => Math.round(run.lines / run.seconds).toLocaleString('en');
  const memory = (i: number) => `${peak[i].peakMiB.toFixed(0)} MiB (idle ${idle[i].currentMiB.toFixed(0)} MiB)`;
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; best of ${ROUNDS} rotated runs each; load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}.\n`);
  console.log('| path | order lines | seconds | lines/s | vs COPY | CSV size | peak RSS of the function process |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  const row = (name: string, run: Run, mem: string) =>
    console.log(`| ${name} | ${run.lines.toLocaleString('en')} | ${run.seconds.toFixed(1)} | ${rate(run)} | ${(copy.seconds / run.seconds).toFixed(2)}× | ${(run.bytes / 2 ** 20).toFixed(0)} MiB | ${mem} |`);
  row(paths[0].name, fnServed, memory(0));
  row(paths[2].name, fnUnlimited, memory(1));
  row(paths[1].name, copy, '—');
  const mb = (i: number) => peak[i].peakMiB * 1.048576;
  console.log(`\nExport vs COPY ≥ 0.8×: ${copy.seconds / fnServed.seconds >= 0.8 ? 'yes' : 'NO'} (${(copy.seconds / fnServed.seconds).toFixed(2)}×).`);
  console.log(`\nPeak RSS under 100 MB as served: ${mb(0) < 100 ? 'yes' : 'NO'} (${mb(0).toFixed(0)} MB); with no worker limit: ${mb(1).toFixed(0)} MB.`);

  // The same export as a job: gzipped parts within the upload limit.
  const sink = await storageSink();
  try {
    const jobEnv = { ...env, SUPABASE_URL: sink.url, EXPORT_INLINE_MAX_LINES: '0' };
    const jobFn = await serveFunction('orders-export', jobEnv);
    served.push(jobFn);
    const started = performance.now();
    const accepted = await fetch(`${jobFn.url}?business_id=${BUSINESS}`, { headers: { authorization: `Bearer ${jwt}` } });
    if (accepted.status !== 202) throw new Error(`the job export answered ${accepted.status}: ${await accepted.text()}`);
    const jobId = (await accepted.json()).data.job_id as string;
    let job: { status: string; line_count: number | null; error: string | null; files: unknown[] };
    for (;;) {
      job = (await (await fetch(`${jobFn.url}?job_id=${jobId}`, { headers: { authorization: `Bearer ${jwt}` } })).json()).data;
      if (job.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const seconds = (performance.now() - started) / 1000;
    if (job.status !== 'succeeded') throw new Error(`the job ${job.status}: ${job.error}`);
    const sizes = [...sink.sizes.values()];
    const total = sizes.reduce((a, b) => a + b, 0);
    console.log(`\n| job path | order lines | seconds | lines/s | parts | gzip total | largest part | peak RSS of the function process |`);
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    console.log(`| orders-export job, gzip parts ≤ 50 MiB, as served | ${job.line_count!.toLocaleString('en')} | ${seconds.toFixed(1)} | ` +
      `${Math.round(job.line_count! / seconds).toLocaleString('en')} | ${job.files.length} | ${(total / 2 ** 20).toFixed(0)} MiB | ` +
      `${(Math.max(...sizes) / 2 ** 20).toFixed(1)} MiB | ${(await jobFn.memory()).peakMiB.toFixed(0)} MiB |`);
    if (job.line_count !== copy.lines) throw new Error(`the job wrote ${job.line_count} lines, COPY ${copy.lines}`);
  } finally {
    await sink.close();
  }
} finally {
  for (const fn of served) await fn.stop();
  await db.stop();
}
