// Benchmark: a 24-row page of search_products at marketplace scale (1,000 businesses ×
// 1,000 products by default), as anon (RLS applies) and as service_role (bypasses RLS), side
// by side. The bar: p95 ≤ 10 ms, and RLS ≤ 1.2× the bypassing role. Then, in the same run,
// the same queries again under write load: stock changes of 50 products a second (as checkouts
// write them) and editors' changes of 5 products a second (a new description, which sends the
// product back for review), each on its own connection at a steady rate, in windows that
// alternate with windows without load (two each, samples merged), from a process of their own
// (writers.ts) so the writers' client work never delays the measuring one. The bar under load:
// p95 ≤ 10 ms and ≤ 1.5× the same query's p95 without load.
// Run: npm run bench:catalogue
//   BENCH_BUSINESSES=100 scales the data down while iterating; BENCH_ITERATIONS sets samples;
//   BENCH_PRODUCTS_STORAGE=default measures without the storage settings of migration
//   20261124000800 (Postgres's own fillfactor and autovacuum thresholds), for comparison.
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import postgres from 'postgres';
import { databaseUrl, ROOT } from '../../lib/local-platform.ts';
import { startScratchDatabase } from '../../lib/scratch-database.ts';
import { fmt, progressBar, summarize, timedAsRole } from '../lib.ts';

const BUSINESSES = Number(process.env.BENCH_BUSINESSES ?? 1000);
const PRODUCTS_PER_BUSINESS = Number(process.env.BENCH_PRODUCTS_PER_BUSINESS ?? 1000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 500);
const BATCH = 10;
const P95_BAR_MS = 10;
const RATIO_BAR = 1.2;
const LOAD_RATIO_BAR = 1.5;
const STOCK_PER_SECOND = Number(process.env.BENCH_STOCK_PER_SECOND ?? 50);
const EDITS_PER_SECOND = Number(process.env.BENCH_EDITS_PER_SECOND ?? 5);
// Load before measuring: pages changed since the last vacuum accumulate, as on a live site.
const LOAD_WARMUP_SECONDS = Number(process.env.BENCH_LOAD_WARMUP_SECONDS ?? 60);
const DEFAULT_STORAGE = process.env.BENCH_PRODUCTS_STORAGE === 'default';

type SearchArgs = Record<string, string | number | boolean>;

const db = await startScratchDatabase();
try {
  await db.admin.unsafe(readFileSync(path.join(ROOT, 'sql', 'bench', 'catalogue.sql'), 'utf8'));
  if (DEFAULT_STORAGE) {
    await db.admin`alter table public.products reset (fillfactor, autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,
      autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold, autovacuum_analyze_scale_factor)`;
    console.log('products with Postgres\'s default storage settings (BENCH_PRODUCTS_STORAGE=default)');
  }
  const started = performance.now();
  for (let first = 1; first <= BUSINESSES; first += BATCH) {
    const last = Math.min(BUSINESSES, first + BATCH - 1);
    await db.admin`call bench.generate_catalogue(${first}, ${last}, ${PRODUCTS_PER_BUSINESS})`;
    progressBar(`generating ${(BUSINESSES * PRODUCTS_PER_BUSINESS).toLocaleString('en')} products`, last, BUSINESSES);
  }
  console.log(`generated in ${((performance.now() - started) / 1000).toFixed(0)} s; analysing…`);
  await db.admin`vacuum analyze public.products`;
  await db.admin`vacuum analyze public.categories`;

  const middle = Math.ceil(BUSINESSES / 2);
  const [ids] = await db.admin`
    select bench.business_id(${middle}::int) as business, bench.category_id(${middle}::int, 1) as category`;

  // One connection per side: a plan cached for one role is not thrown away by the other's.
  const connect = () => postgres(databaseUrl('authenticator', db.port), { max: 1, onnotice: () => {} });
  const [anonSql, serviceSql] = [connect(), connect()];
  const anon = { role: 'anon' };
  const service = { role: 'service_role' };

  const searchQuery = (args: SearchArgs) => (tx: postgres.TransactionSql) => {
    const names = Object.keys(args);
    const named = names.map((name, i) => `${name} := $${i + 1}`).join(', ');
    return tx.unsafe(`select * from public.search_products(${named})`, Object.values(args) as never[]);
  };
  // The second page of a common word's relevance search starts from the first page's last cursor.
  const asAnon = (query: (tx: postgres.TransactionSql) => Promise<postgres.Row[]>) =>
    anonSql.begin(async (tx) => {
      await tx`select set_config('role', 'anon', true)`;
      return query(tx);
    });
  const firstPage = await asAnon(searchQuery({ query: 'maize' }));
  const secondPageCursor = String(firstPage.at(-1)?.cursor);

  const cases: Array<[string, SearchArgs]> = [
    ['browse: newest approved products', {}],
    ['common word, relevance ("maize")', { query: 'maize' }],
    ['common word, next page (cursor)', { query: 'maize', after: secondPageCursor }],
    ['Swahili prefix ("mahin")', { query: 'mahin' }],
    ['two words ("fresh maize")', { query: 'fresh maize' }],
    ['category word ("vegetables")', { query: 'vegetables' }],
    ['word, cheapest first ("beans")', { query: 'beans', sort: 'price_asc' }],
    ['price range, in stock, cheapest first', { min_price: 100, max_price: 500, in_stock: true, sort: 'price_asc' }],
    ["one business's storefront, newest", { business_id: ids.business }],
    ['category with sub-categories', { category_id: ids.category }],
    ['business + word ("seeds")', { business_id: ids.business, query: 'seeds' }],
  ];

  interface Samples {
    name: string;
    rows: number;
    rls: number[];
    bypass: number[];
  }
  /** `iterations` samples per side of every query, alternating sides, added to `into` (created on the first call). */
  const measure = async (iterations: number, into: Samples[] = []) => {
    for (const [i, [name, args]] of cases.entries()) {
      const query = searchQuery(args);
      into[i] ??= { name, rows: (await asAnon(query)).length, rls: [], bypass: [] };
      for (let k = 0; k < 20; k++) await timedAsRole(anonSql, anon, query), await timedAsRole(serviceSql, service, query);
      for (let k = 0; k < iterations; k++) {
        into[i].rls.push(await timedAsRole(anonSql, anon, query));
        into[i].bypass.push(await timedAsRole(serviceSql, service, query));
      }
    }
    return into;
  };

  // Without and under write load alternately, two rounds of half the samples each, so drift in
  // the machine's other work falls on both; the load's first window starts after a warm-up.
  const targets = (await db.admin<{ id: string }[]>`
    select id from public.products tablesample system (5) where status = 'approved' limit 100000`).map((row) => row.id);
  const writers = spawn(process.execPath, [...process.execArgv, path.join(ROOT, 'scripts', 'bench', 'catalogue', 'writers.ts'),
    databaseUrl('postgres', db.port), String(STOCK_PER_SECOND), String(EDITS_PER_SECOND)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const replies = readline.createInterface({ input: writers.stdout! })[Symbol.asyncIterator]();
  const tell = async (line: string) => {
    writers.stdin!.write(`${line}\n`);
    return String((await replies.next()).value);
  };
  await tell(JSON.stringify(targets));
  const stats = async () => (await db.admin`
    select coalesce(autovacuum_count, 0)::int as vacuums, coalesce(autoanalyze_count, 0)::int as analyzes,
           n_tup_upd::bigint as updates, n_tup_hot_upd::bigint as hot
    from pg_stat_user_tables where relid = 'public.products'::regclass`)[0];
  const before = await stats();
  const loadAverages: { quiet: number[]; loaded: number[] } = { quiet: [], loaded: [] };
  const withLoad = async <T>(run: () => Promise<T>) => {
    await tell('on');
    try {
      return await run();
    } finally {
      await tell('off');
    }
  };
  const half = Math.ceil(ITERATIONS / 2);
  loadAverages.quiet.push(os.loadavg()[0]);
  const quietSamples = await measure(half);
  console.log(`\nwrite load: ${STOCK_PER_SECOND} stock changes/s and ${EDITS_PER_SECOND} edits/s, ${LOAD_WARMUP_SECONDS} s before measuring…`);
  const loadedSamples = await withLoad(async () => {
    await new Promise((resolve) => setTimeout(resolve, LOAD_WARMUP_SECONDS * 1000));
    loadAverages.loaded.push(os.loadavg()[0]);
    return measure(half);
  });
  loadAverages.quiet.push(os.loadavg()[0]);
  await measure(half, quietSamples);
  await withLoad(async () => {
    loadAverages.loaded.push(os.loadavg()[0]);
    await measure(half, loadedSamples);
  });
  const written = JSON.parse(await tell('stop')) as { stock: number; edits: number; seconds: number };
  writers.stdin!.end();
  await new Promise((resolve) => (writers.exitCode !== null ? resolve(null) : writers.once('exit', resolve)));
  const after = await stats();
  const quiet = quietSamples.map((q) => ({ ...q, rls: summarize(q.rls), bypass: summarize(q.bypass) }));
  const loaded = loadedSamples.map((q) => ({ ...q, rls: summarize(q.rls), bypass: summarize(q.bypass) }));
  const range = (list: number[]) => list.map((l) => l.toFixed(2)).join(' / ');

  console.log(`\n${(BUSINESSES * PRODUCTS_PER_BUSINESS).toLocaleString('en')} products, ${BUSINESSES} businesses, ` +
    `24-row pages, ${2 * half} samples per side, query time; without write load (load average ${range(loadAverages.quiet)})\n`);
  console.log('| query | rows | anon (RLS) p50 | anon p95 | service_role p50 | service_role p95 | ratio p50 | ratio p95 |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const verdicts: boolean[] = [];
  for (const { name, rows, rls, bypass } of quiet) {
    verdicts.push(rls.p95 <= P95_BAR_MS && rls.p95 / bypass.p95 <= RATIO_BAR);
    console.log(
      `| ${name} | ${rows} | ${fmt(rls.p50)} | ${fmt(rls.p95)} | ${fmt(bypass.p50)} | ${fmt(bypass.p95)} | ` +
        `${(rls.p50 / bypass.p50).toFixed(2)}× | ${(rls.p95 / bypass.p95).toFixed(2)}× |`,
    );
  }
  const met = verdicts.filter(Boolean).length;
  console.log(`\n${met} of ${verdicts.length} queries within p95 ≤ ${P95_BAR_MS} ms and RLS ≤ ${RATIO_BAR}× the bypassing role.`);

  console.log(`\nUnder write load for ${written.seconds.toFixed(0)} s (two windows, the first after a ${LOAD_WARMUP_SECONDS} s warm-up): ` +
    `${(written.stock / written.seconds).toFixed(1)} stock changes/s, ${(written.edits / written.seconds).toFixed(1)} edits/s achieved; ` +
    `HOT updates ${Number(after.hot) - Number(before.hot)} of ${Number(after.updates) - Number(before.updates)}; ` +
    `autovacuums ${after.vacuums - before.vacuums}, autoanalyzes ${after.analyzes - before.analyzes}; ` +
    `load average ${range(loadAverages.loaded)} (without: ${range(loadAverages.quiet)})\n`);
  console.log('| query | anon p50 without load | anon p95 without load | anon p50 under load | anon p95 under load | p95 under ÷ without |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  let loadMet = 0;
  loaded.forEach(({ name, rls }, i) => {
    const ratio = rls.p95 / quiet[i].rls.p95;
    if (rls.p95 <= P95_BAR_MS && ratio <= LOAD_RATIO_BAR) loadMet++;
    console.log(`| ${name} | ${fmt(quiet[i].rls.p50)} | ${fmt(quiet[i].rls.p95)} | ${fmt(rls.p50)} | ${fmt(rls.p95)} | ${ratio.toFixed(2)}× |`);
  });
  console.log(`\n${loadMet} of ${loaded.length} queries within p95 ≤ ${P95_BAR_MS} ms under load and ≤ ${LOAD_RATIO_BAR}× their p95 without it.`);
  await Promise.all([anonSql.end(), serviceSql.end()]);
} finally {
  await db.stop();
}
