// Deterministic overlap for concurrency tests: one session holds a lock in an open
// transaction, another is started, and the test goes on only once Postgres reports that second
// session waiting for the first (pg_blocking_pids), so the race provably happened.
import { superuser } from './db.ts';

/** Resolves once some backend is blocked by the backend `holderPid`; rejects after `timeoutMs`. */
export async function waitUntilBlockedBy(holderPid: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await superuser()`
      select count(*)::int as n from pg_stat_activity where ${holderPid}::int = any (pg_blocking_pids(pid))`;
    if (row.n > 0) return;
    if (Date.now() > until) throw new Error(`no session became blocked by backend ${holderPid}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A transaction body that can be held open: `hold()` inside it, `release()` from the test. */
export function gate() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached!: (pid: number) => void;
  const holding = new Promise<number>((resolve) => (reached = resolve));
  return {
    /** Call inside the holding transaction with its backend pid; waits for release(). */
    hold: (pid: number) => {
      reached(pid);
      return released;
    },
    /** Resolves with the holder's backend pid once it holds. */
    holding,
    release: () => release(),
  };
}
