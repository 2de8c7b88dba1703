// Benchmark: reading a member list and a user's businesses under RLS costs at most 1.2× the
// same query run by service_role (which bypasses RLS), measured side by side.
// Run: npm run bench:rls-membership
import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { databaseUrl, ROOT } from '../../lib/local-platform.ts';
import { startScratchDatabase } from '../../lib/scratch-database.ts';
import { fmt, type Scope, sideBySide, timedAsRole } from '../lib.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000);
const BUSY_USER = '00000000-0000-0000-0000-00000000b0b0';
const BUSINESS = '10000000-0000-0000-0000-000000000015'; // business 21, which the busy user is in

const db = await startScratchDatabase();
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
} finally {
  await db.stop();
}
