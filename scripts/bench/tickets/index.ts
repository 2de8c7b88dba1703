// Benchmark: support tickets at marketplace scale (1,000,000 tickets across 1,000 businesses,
// with comments and history). A business's ticket list page (filter by status, sort by due time
// or newest, keyset pagination) and ticket_stats for the business with 10,000 tickets, as its
// staff (a viewer: tickets.read) under RLS and as service_role with the same claims (RLS
// bypassed), side by side; and a customer's own list. Each is timed twice: the request as a
// client makes it, through the real PostgREST (the verdict), and the statement alone, prepared
// as PostgREST prepares it. The bars: list pages p95 ≤ 10 ms, ticket_stats p95 ≤ 50 ms, RLS ≤
// 1.2× the bypassing role.
// Run: npm run bench:tickets
//   BENCH_BUSINESSES=500 scales the data down while iterating; BENCH_ITERATIONS sets samples.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import postgres from 'postgres';
import { databaseUrl, ROOT, signJwt } from '../../lib/local-platform.ts';
import { startPostgrest } from '../../lib/postgrest.ts';
import { startScratchDatabase } from '../../lib/scratch-database.ts';
import { fmt, progressBar, sideBySide, type Timing, timedAsRole } from '../lib.ts';

interface RestRequest {
  method: string;
  path: string;
  body?: unknown;
}

const BUSINESSES = Number(process.env.BENCH_BUSINESSES ?? 1000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 1000);
const BATCH = 10;
const TARGET = 500;
const PAGE = 25;
const LIST_BAR_MS = 10;
const STATS_BAR_MS = 50;
const RATIO_BAR = 1.2;

const sqlFile = (name: string) => readFileSync(path.join(ROOT, 'sql', 'bench', name), 'utf8');

const db = await startScratchDatabase();
try {
  if (BUSINESSES < TARGET) throw new Error(`BENCH_BUSINESSES must be at least ${TARGET}`);
  await db.admin.unsafe(sqlFile('tenancy.sql'));
  await db.admin.unsafe(sqlFile('tickets.sql'));
  const started = performance.now();
  for (let first = 1; first <= BUSINESSES; first += BATCH) {
    const last = Math.min(BUSINESSES, first + BATCH - 1);
    await db.admin`call bench.generate_tickets(${first}, ${last})`;
    progressBar('generating tickets, comments and history', last, BUSINESSES);
  }
  console.log(`generated in ${((performance.now() - started) / 1000).toFixed(0)} s; analysing…`);
  for (const table of ['tickets', 'ticket_comments', 'ticket_history']) await db.admin.unsafe(`vacuum analyze public.${table}`);
  const [counts] = await db.admin`
    select (select count(*) from public.tickets)::int as tickets,
           (select count(*) from public.ticket_comments)::int as comments,
           (select count(*) from public.ticket_history)::int as history,
           (select count(*) from public.tickets where business_id = bench.business_id(${TARGET}))::int as target`;

  // The business's viewer (sql/bench/tenancy.sql: member 3 of business b is a viewer).
  const [ids] = await db.admin`select bench.business_id(${TARGET}) as business, bench.user_id(${(TARGET - 1) * 10 + 3}) as staff`;
  const business = ids.business as string;
  const staff = { role: 'authenticated', sub: ids.staff, aud: 'authenticated' };
  // The same caller with the service key: the permission check passes, RLS does not apply.
  const bypass = { role: 'service_role', sub: ids.staff };
  // A customer with tickets at many businesses (about a hundred).
  const [{ customer }] = await db.admin`select bench.user_id(42) as customer`;
  const asCustomer = { role: 'authenticated', sub: customer, aud: 'authenticated' };
  const customerBypass = { role: 'service_role', sub: customer };

  // PostgREST as the local stack runs it (prepared statements, its pool), on its own socket.
  const rest = await startPostgrest({ dbPort: db.port, externalUrl: 'http://127.0.0.1/rest/v1' });
  const now = Math.floor(Date.now() / 1000);
  const tokenOf = (claims: Record<string, unknown>) => signJwt({ ...claims, iat: now, exp: now + 3600 });
  // One keep-alive connection per side, as one client would hold.
  const agents = [new http.Agent({ keepAlive: true, maxSockets: 1 }), new http.Agent({ keepAlive: true, maxSockets: 1 })];
  const restCall = (agent: http.Agent, token: string, { method, path: url, body }: RestRequest) =>
    new Promise<{ ms: number; rows: number }>((resolve, reject) => {
      const started = performance.now();
      const req = http.request({
        socketPath: rest.socketPath, path: url, method, agent,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${method} ${url} answered ${res.statusCode}: ${text}`));
          const parsed = JSON.parse(text);
          resolve({ ms: performance.now() - started, rows: Array.isArray(parsed) ? parsed.length : 1 });
        });
      });
      req.on('error', reject);
      // A request that never answers fails the run instead of stalling it.
      req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${url} did not answer within 10 s`)));
      req.end(body ? JSON.stringify(body) : undefined);
    });

  const connect = () => postgres(databaseUrl('authenticator', db.port), { max: 1, onnotice: () => {} });
  const [rlsSql, bypassSql] = [connect(), connect()];

  const columns = ['id', 'reference', 'subject', 'status', 'priority', 'category', 'assignee_id', 'first_response_due_at', 'first_response_at', 'created_at', 'updated_at'];
  const selected = columns.join(', ');
  // Cursors from the middle of each list (the 201st row), as a client paging down would hold.
  const [dueCursor] = await db.admin`
    select to_json(first_response_due_at) #>> '{}' as at, id from public.tickets where business_id = ${business} and status = 'open'
    order by first_response_due_at, id offset 200 limit 1`;
  const [newCursor] = await db.admin`
    select to_json(created_at) #>> '{}' as at, id from public.tickets where business_id = ${business}
    order by created_at desc, id desc offset 200 limit 1`;
  const q = encodeURIComponent;
  const list = (filters: string) => ({ method: 'GET', path: `/tickets?select=${columns.join(',')}&${filters}&limit=${PAGE}` });

  // What supabase-js sends: eq filters, order, limit, and for the next page an or() over the
  // cursor with a redundant bound on the first sort column; the SQL is the same statement.
  const cases: Array<{ name: string; text: string; params: unknown[]; rest: RestRequest; bar: number; customer?: boolean }> = [
    {
      name: 'open, by due time, first page',
      text: `select ${selected} from public.tickets where business_id = $1 and status = 'open'
             order by first_response_due_at, id limit ${PAGE}`,
      params: [business],
      rest: list(`business_id=eq.${business}&status=eq.open&order=first_response_due_at,id`),
      bar: LIST_BAR_MS,
    },
    {
      name: 'open, by due time, next page (keyset)',
      text: `select ${selected} from public.tickets where business_id = $1 and status = 'open' and first_response_due_at >= $2
               and (first_response_due_at > $2 or (first_response_due_at = $2 and id > $3))
             order by first_response_due_at, id limit ${PAGE}`,
      params: [business, dueCursor.at, dueCursor.id],
      rest: list(`business_id=eq.${business}&status=eq.open&first_response_due_at=gte.${q(dueCursor.at)}` +
        `&or=${q(`(first_response_due_at.gt."${dueCursor.at}",and(first_response_due_at.eq."${dueCursor.at}",id.gt.${dueCursor.id}))`)}` +
        '&order=first_response_due_at,id'),
      bar: LIST_BAR_MS,
    },
    {
      name: 'all, newest first, first page',
      text: `select ${selected} from public.tickets where business_id = $1 order by created_at desc, id desc limit ${PAGE}`,
      params: [business],
      rest: list(`business_id=eq.${business}&order=created_at.desc,id.desc`),
      bar: LIST_BAR_MS,
    },
    {
      name: 'all, newest first, next page (keyset)',
      text: `select ${selected} from public.tickets where business_id = $1 and created_at <= $2
               and (created_at < $2 or (created_at = $2 and id < $3))
             order by created_at desc, id desc limit ${PAGE}`,
      params: [business, newCursor.at, newCursor.id],
      rest: list(`business_id=eq.${business}&created_at=lte.${q(newCursor.at)}` +
        `&or=${q(`(created_at.lt."${newCursor.at}",and(created_at.eq."${newCursor.at}",id.lt.${newCursor.id}))`)}` +
        '&order=created_at.desc,id.desc'),
      bar: LIST_BAR_MS,
    },
    {
      name: 'waiting on customer, newest first',
      text: `select ${selected} from public.tickets where business_id = $1 and status = 'waiting_on_customer'
             order by created_at desc, id desc limit ${PAGE}`,
      params: [business],
      rest: list(`business_id=eq.${business}&status=eq.waiting_on_customer&order=created_at.desc,id.desc`),
      bar: LIST_BAR_MS,
    },
    {
      name: "a customer's own tickets, newest first",
      text: `select ${selected} from public.tickets where customer_id = $1 order by created_at desc limit ${PAGE}`,
      params: [customer],
      rest: list(`customer_id=eq.${customer}&order=created_at.desc`),
      bar: LIST_BAR_MS, customer: true,
    },
    {
      name: 'ticket_stats (10,000 tickets, last 30 days)',
      text: 'select public.ticket_stats(business_id := $1) as stats',
      params: [business],
      rest: { method: 'POST', path: '/rpc/ticket_stats', body: { business_id: business } },
      bar: STATS_BAR_MS,
    },
  ];

  const verdicts: boolean[] = [];
  console.log(`\n${counts.tickets.toLocaleString('en')} tickets, ${counts.comments.toLocaleString('en')} comments, ` +
    `${counts.history.toLocaleString('en')} history rows, ${BUSINESSES} businesses; the measured business has ` +
    `${counts.target.toLocaleString('en')} tickets. ${ITERATIONS} samples per side.\n`);
  console.log('| query | timed | rows | staff (RLS) p50 | staff p95 | bypass p50 | bypass p95 | ratio p50 | ratio p95 |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const line = (name: string, timed: string, rows: number, rls: Timing, bypassed: Timing) =>
    console.log(
      `| ${name} | ${timed} | ${rows} | ${fmt(rls.p50)} | ${fmt(rls.p95)} | ${fmt(bypassed.p50)} | ${fmt(bypassed.p95)} | ` +
        `${(rls.p50 / bypassed.p50).toFixed(2)}× | ${(rls.p95 / bypassed.p95).toFixed(2)}× |`,
    );
  for (const { name, text, params, rest: request, bar, customer: byCustomer } of cases) {
    // Prepared, as PostgREST prepares every statement: planned once per connection, not per request.
    const query = (tx: postgres.TransactionSql) => tx.unsafe(text, params as never[], { prepare: true });
    const [rlsClaims, bypassClaims] = byCustomer ? [asCustomer, customerBypass] : [staff, bypass];
    const [rlsToken, bypassToken] = await Promise.all([tokenOf(rlsClaims), tokenOf(bypassClaims)]);
    const rows = (await rlsSql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify(rlsClaims)}, true)`;
      return query(tx);
    })).length;
    const restRows = [(await restCall(agents[0], rlsToken, request)).rows, (await restCall(agents[1], bypassToken, request)).rows];
    if (restRows.some((n) => n !== rows)) throw new Error(`${name}: PostgREST answered ${restRows.join(' and ')} rows, the statement ${rows}`);
    if (process.env.BENCH_EXPLAIN) {
      const plan = await rlsSql.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify(rlsClaims)}, true)`;
        return tx.unsafe(`explain (analyze, buffers) ${text}`, params as never[]);
      }).catch((error) => [{ 'QUERY PLAN': String(error) }]);
      console.log(plan.map((row) => row['QUERY PLAN']).join('\n'));
    }
    const [rlsRest, bypassedRest] = await sideBySide(
      ITERATIONS,
      async () => (await restCall(agents[0], rlsToken, request)).ms,
      async () => (await restCall(agents[1], bypassToken, request)).ms,
    );
    verdicts.push(rlsRest.p95 <= bar && rlsRest.p95 / bypassedRest.p95 <= RATIO_BAR);
    line(name, 'request', rows, rlsRest, bypassedRest);
    const [rls, bypassed] = await sideBySide(
      ITERATIONS,
      () => timedAsRole(rlsSql, rlsClaims, query),
      () => timedAsRole(bypassSql, bypassClaims, query),
    );
    line(name, 'statement', rows, rls, bypassed);
  }
  const met = verdicts.filter(Boolean).length;
  console.log(`\n${met} of ${verdicts.length} requests within their p95 bar (lists ${LIST_BAR_MS} ms, stats ${STATS_BAR_MS} ms) ` +
    `and RLS ≤ ${RATIO_BAR}× the bypassing role.`);
  for (const agent of agents) agent.destroy();
  await Promise.all([rlsSql.end(), bypassSql.end(), rest.stop()]);
} finally {
  await db.stop();
}
