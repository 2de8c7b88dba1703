// Benchmark: reading a member list and a user's businesses under RLS costs at most 1.2× the
// same query run by service_role (which bypasses RLS), measured side by side. Then a profile of
// the fixed cost RLS adds to the statement: the membership helper's parts, each timed inside
// the database (EXPLAIN ANALYZE's execution time of 20,000 evaluations, no network), and the
// member-list statement's own plan with the helper's init plan.
// Run: npm run bench:rls-membership
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { databaseUrl, ROOT } from '../../lib/local-platform.ts';
import { startScratchDatabase } from '../../lib/scratch-database.ts';
import { fmt, type Scope, sideBySide, timedAsRole } from '../lib.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000);
const BUSY_USER = '00000000-0000-0000-0000-00000000b0b0';
const BUSINESS = '10000000-0000-0000-0000-000000000015'; // business 21, which the busy user is in

const db = await startScratchDatabase();

/**
 * Where the helper's time goes, per evaluation: 20,000 evaluations in one statement, as the busy
 * user, timed by EXPLAIN ANALYZE (timing off) in the database, minus the empty loop. Copies of
 * the helper without its `SET search_path` clause and without SECURITY DEFINER (scratch
 * database only) separate what the house rules cost from what the lookup costs.
 */
async function profile(): Promise<void> {
  const N = 20_000;
  const admin = db.admin;
  await admin.unsafe(`
    create schema if not exists bench;
    create or replace function bench.member_ids_definer_no_setting() returns uuid[]
    language plpgsql stable security definer
    as $$ begin return array(select m.business_id from public.business_members m where m.user_id = auth.uid()); end; $$;
    create or replace function bench.member_ids_invoker() returns uuid[]
    language plpgsql stable
    as $$ begin return array(select m.business_id from public.business_members m where m.user_id = auth.uid()); end; $$;
    create or replace function bench.member_ids_sql() returns uuid[]
    language sql stable security definer set search_path = ''
    as $$ select array(select m.business_id from public.business_members m where m.user_id = auth.uid()) $$;
    grant usage on schema bench to authenticated;
    grant execute on all functions in schema bench to authenticated;`);
  const claims = JSON.stringify({ role: 'authenticated', sub: BUSY_USER });
  const executionMs = async (expression: string, role = 'authenticated') => {
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      await admin.begin(async (tx) => {
        await tx`select set_config('request.jwt.claims', ${claims}, true), set_config('role', ${role}, true)`;
        const [row] = await tx.unsafe(`explain (analyze, timing off, format json) select count(${expression}) from generate_series(1, ${N}) g`);
        runs.push((row['QUERY PLAN'] as Array<{ 'Execution Time': number }>)[0]['Execution Time']);
      });
    }
    return runs.sort((a, b) => a - b)[3];
  };
  const empty = await executionMs('*');
  const perCall = async (expression: string, role?: string) => ((await executionMs(expression, role)) - empty) / N * 1000;
  const parts: Array<[string, string, string?]> = [
    ['auth.uid() (claims from the setting, parsed as JSON)', 'auth.uid()'],
    // Correlated (g > 0), so it runs for every row instead of once as an init plan.
    ['the lookup alone, inline, bypassing RLS (postgres)', '(select array(select m.business_id from public.business_members m where m.user_id = auth.uid() and g > 0))', 'postgres'],
    ['helper as a plain PL/pgSQL function (invoker, no SET)', 'bench.member_ids_invoker()', 'postgres'],
    ['… plus SECURITY DEFINER', 'bench.member_ids_definer_no_setting()'],
    ['… plus SET search_path = \'\' (private.member_business_ids, as the policy calls it)', 'private.member_business_ids()'],
    ['the same in SQL instead of PL/pgSQL (SECURITY DEFINER, SET)', 'bench.member_ids_sql()'],
  ];
  console.log(`\nProfile of the fixed cost, per evaluation inside the database (median of 7 × ${N.toLocaleString('en')}; load average ${os.loadavg()[0].toFixed(2)}):\n`);
  console.log('| evaluation | µs |');
  console.log('| --- | --- |');
  for (const [name, expression, role] of parts) console.log(`| ${name} | ${(await perCall(expression, role)).toFixed(1)} |`);
  // The statement itself: its plan as the user, with the init plan's share.
  await admin.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${claims}, true), set_config('role', 'authenticated', true)`;
    const plan = await tx.unsafe(`explain (analyze, buffers off, summary on) select user_id, role from public.business_members where business_id = '${BUSINESS}'`);
    console.log('\nMember list of one business, as the user (EXPLAIN ANALYZE):\n');
    console.log(plan.map((row) => `    ${row['QUERY PLAN']}`).join('\n'));
  });
}
try {
  console.log('loading 1,000 businesses × 10 members…');
  await db.admin.unsafe(readFileSync(path.join(ROOT, 'sql', 'bench', 'tenancy.sql'), 'utf8'));
  // One connection per side: a plan cached for one role is not thrown away by the other's.
  const connect = () => postgres(databaseUrl('authenticator', db.port), { max: 1, onnotice: () => {} });
  const [asUserSql, asServiceSql] = [connect(), connect()];
  const user = { role: 'authenticated', sub: BUSY_USER, aud: 'authenticated' };
  const service = { role: 'service_role' };

  const queries = {
    'member list of one business': (tx: postgres.TransactionSql) =>
      tx`select user_id, role from public.business_members where business_id = ${BUSINESS}`,
    "the user's 50 businesses": (tx: postgres.TransactionSql) =>
      tx`select b.id, b.name, m.role from public.business_members m join public.businesses b on b.id = m.business_id
         where m.user_id = ${BUSY_USER}`,
  };

  console.log(`\n| query | timed | RLS p50 | RLS p95 | bypass p50 | bypass p95 | ratio p50 | ratio p95 |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const [name, query] of Object.entries(queries)) {
    for (const scope of ['query', 'request'] as Scope[]) {
      const [rls, bypass] = await sideBySide(
        ITERATIONS,
        () => timedAsRole(asUserSql, user, query, scope),
        () => timedAsRole(asServiceSql, service, query, scope),
      );
      console.log(
        `| ${name} | ${scope} | ${fmt(rls.p50)} | ${fmt(rls.p95)} | ${fmt(bypass.p50)} | ${fmt(bypass.p95)} | ` +
          `${(rls.p50 / bypass.p50).toFixed(2)}× | ${(rls.p95 / bypass.p95).toFixed(2)}× |`,
      );
    }
  }
  await Promise.all([asUserSql.end(), asServiceSql.end()]);
  await profile();
} finally {
  await db.stop();
}
