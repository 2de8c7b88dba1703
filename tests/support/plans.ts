// Plan guards: the plans Postgres really chose for every statement a call ran, nested ones
// (inside PL/pgSQL and SQL functions) included, as the caller (RLS on). auto_explain reports
// each plan as a NOTICE to this session only. Run them on a database with enough rows for the
// planner to choose as it would in production (tests/quality/plan-guards.test.ts loads one).
import postgres from 'postgres';
import { databaseUrl } from '../../scripts/lib/local-platform.ts';

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

export interface IndexUse {
  index: string;
  node: string;
  /** The condition the index was searched with; none for a full index scan (order only). */
  cond: string | null;
}

function* nodes(plan: PlanNode): Generator<PlanNode> {
  yield plan;
  for (const child of plan.Plans ?? []) yield* nodes(child);
}

export interface Plans {
  /** Every statement's plan tree, in the order they ran. */
  plans: PlanNode[];
  indexes(): IndexUse[];
  /** Tables read by a sequential scan. */
  seqScans(): string[];
}

/** Runs `run` on the database at `port` as the holder of `claims` (role, claims, the role's settings) and returns its plans. */
export async function plansOf(port: number, claims: Record<string, unknown>, run: (tx: postgres.TransactionSql) => Promise<unknown>): Promise<Plans> {
  const plans: PlanNode[] = [];
  // supabase_admin only to load auto_explain; everything after runs as the caller's role.
  const onnotice = (notice: postgres.Notice) => {
    const text = String(notice.message ?? '');
    const at = text.indexOf('{');
    if (!text.startsWith('duration:') || at < 0) return;
    plans.push((JSON.parse(text.slice(at)) as { Plan: PlanNode }).Plan);
  };
  const sql = postgres(databaseUrl('supabase_admin', port), { max: 1, onnotice });
  try {
    await sql.begin(async (tx) => {
      await tx`load 'auto_explain'`;
      const role = String(claims.role ?? 'anon');
      const [{ setconfig }] = await tx<{ setconfig: string[] | null }[]>`
        select (select s.setconfig from pg_db_role_setting s where s.setrole = r.oid and s.setdatabase = 0) as setconfig
        from pg_roles r where r.rolname = ${role}`;
      const settings: Array<[string, string]> = [
        ['auto_explain.log_min_duration', '0'],
        ['auto_explain.log_nested_statements', 'on'],
        ['auto_explain.log_format', 'json'],
        ['auto_explain.log_level', 'notice'],
        ['search_path', 'public, extensions'],
        ...(setconfig ?? []).map((entry): [string, string] => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
        ['request.jwt.claims', JSON.stringify(claims)],
        ['role', role],
      ];
      for (const [name, value] of settings) await tx`select set_config(${name}, ${value}, true)`;
      // The set_config statements above were explained too: only what `run` does counts.
      plans.length = 0;
      await run(tx);
    });
  } finally {
    await sql.end();
  }
  return {
    plans,
    indexes: () => plans.flatMap((plan) => [...nodes(plan)])
      .filter((node) => node['Index Name'])
      .map((node) => ({ index: node['Index Name']!, node: node['Node Type'], cond: node['Index Cond'] ?? null })),
    seqScans: () => plans.flatMap((plan) => [...nodes(plan)])
      .filter((node) => node['Node Type'] === 'Seq Scan')
      .map((node) => node['Relation Name']!),
  };
}
