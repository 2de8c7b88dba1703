// Benchmark: a 24-row page of search_products at marketplace scale (1,000 businesses ×
// 1,000 products by default), as anon (RLS applies) and as service_role (bypasses RLS), side
// by side. The bar: p95 ≤ 10 ms, and RLS ≤ 1.2× the bypassing role.
// Run: npm run bench:catalogue
//   BENCH_BUSINESSES=100 scales the data down while iterating; BENCH_ITERATIONS sets samples.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { databaseUrl, ROOT } from '../../lib/local-platform.ts';
import { startScratchDatabase } from '../../lib/scratch-database.ts';
import { fmt, progressBar, sideBySide, timedAsRole } from '../lib.ts';

const BUSINESSES = Number(process.env.BENCH_BUSINESSES ?? 1000);
const PRODUCTS_PER_BUSINESS = Number(process.env.BENCH_PRODUCTS_PER_BUSINESS ?? 1000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 500);
const BATCH = 10;
const P95_BAR_MS = 10;
const RATIO_BAR = 1.2;

type SearchArgs = Record<string, string | number | boolean>;

const db = await startScratchDatabase();
try {
  await db.admin.unsafe(readFileSync(path.join(ROOT, 'sql', 'bench', 'catalogue.sql'), 'utf8'));
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

  const verdicts: boolean[] = [];
  console.log(`\n${(BUSINESSES * PRODUCTS_PER_BUSINESS).toLocaleString('en')} products, ${BUSINESSES} businesses, ` +
    `24-row pages, ${ITERATIONS} samples per side, query time\n`);
  console.log('| query | rows | anon (RLS) p50 | anon p95 | service_role p50 | service_role p95 | ratio p50 | ratio p95 |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [name, args] of cases) {
    const query = searchQuery(args);
    const rows = (await asAnon(query)).length;
    const [rls, bypass] = await sideBySide(
      ITERATIONS,
      () => timedAsRole(anonSql, anon, query),
      () => timedAsRole(serviceSql, service, query),
    );
    verdicts.push(rls.p95 <= P95_BAR_MS && rls.p95 / bypass.p95 <= RATIO_BAR);
    console.log(
      `| ${name} | ${rows} | ${fmt(rls.p50)} | ${fmt(rls.p95)} | ${fmt(bypass.p50)} | ${fmt(bypass.p95)} | ` +
        `${(rls.p50 / bypass.p50).toFixed(2)}× | ${(rls.p95 / bypass.p95).toFixed(2)}× |`,
    );
  }
  const met = verdicts.filter(Boolean).length;
  console.log(`\n${met} of ${verdicts.length} queries within p95 ≤ ${P95_BAR_MS} ms and RLS ≤ ${RATIO_BAR}× the bypassing role.`);
  await Promise.all([anonSql.end(), serviceSql.end()]);
} finally {
  await db.stop();
}
