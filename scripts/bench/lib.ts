// Shared pieces of the benchmarks (the database is scripts/lib/scratch-database.ts): timing
// with percentiles, PostgREST-style transactions, and a progress bar for long data loads.
import type postgres from 'postgres';

export interface Timing {
  p50: number;
  p95: number;
  mean: number;
}

export function summarize(samplesMs: number[]): Timing {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p95: at(0.95), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

/**
 * Runs `a` and `b` alternately (so both see the same machine state) and returns their timings.
 * Each function returns the milliseconds it wants counted.
 */
export async function sideBySide(
  iterations: number,
  a: () => Promise<number>,
  b: () => Promise<number>,
): Promise<[Timing, Timing]> {
  const warmup = Math.min(50, iterations);
  for (let i = 0; i < warmup; i++) await a(), await b();
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < iterations; i++) {
    if (i % 2 === 0) sa.push(await a()), sb.push(await b());
    else sb.push(await b()), sa.push(await a());
  }
  return [summarize(sa), summarize(sb)];
}

export type Scope = 'query' | 'request';

/**
 * Runs one query inside a transaction set up the way PostgREST sets it up for `claims`
 * (role, request.jwt.claims, search_path) and returns the milliseconds of either the query
 * alone or the whole request (BEGIN … COMMIT, as a client pays for it).
 */
export async function timedAsRole(
  sql: postgres.Sql,
  claims: Record<string, unknown>,
  query: (tx: postgres.TransactionSql) => Promise<unknown>,
  scope: Scope = 'query',
): Promise<number> {
  let queryMs = 0;
  const started = performance.now();
  await sql.begin('isolation level read committed read only', async (tx) => {
    await tx`select set_config('search_path', '"public", "extensions"', true),
                    set_config('role', ${String(claims.role)}, true),
                    set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    const queryStarted = performance.now();
    await query(tx);
    queryMs = performance.now() - queryStarted;
  });
  return scope === 'query' ? queryMs : performance.now() - started;
}

export function progressBar(label: string, done: number, total: number): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stdout.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round((done / total) * 100)}%`);
  if (done >= total) process.stdout.write('\n');
}

export function fmt(ms: number): string {
  return `${ms.toFixed(3)} ms`;
}
