// Making concurrent calls overlap for certain. A race test that passes whether or not the calls
// met proves nothing, so these helpers hold a lock the contenders need, wait until each of them
// is really blocked on it (pg_stat_activity), and only then let them go.
import type postgres from 'postgres';
import { newConnection, superuser } from './db.ts';

/** Polls `countNow` until it reaches `count`; throws `failure(last count)` after `timeoutMs`. */
async function pollUntil(countNow: () => Promise<number>, count: number, timeoutMs: number, failure: (seen: number) => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    seen = await countNow();
    if (seen >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(failure(seen));
}

/**
 * Resolves once at least `count` other sessions whose statement contains `queryFragment` wait
 * on a lock; throws after `timeoutMs` (the calls never met: the test must fail, not pass).
 */
export function waitUntilBlocked(queryFragment: string, count = 1, timeoutMs = 10_000): Promise<void> {
  return pollUntil(
    async () => (await superuser()`
      select count(*)::int as n from pg_stat_activity
      where wait_event_type = 'Lock' and pid <> pg_backend_pid() and query like ${`%${queryFragment}%`}`)[0].n,
    count,
    timeoutMs,
    (seen) => `expected ${count} sessions blocked on a lock in "${queryFragment}", saw ${seen}`,
  );
}

/**
 * Runs `contenders` while a lock they need is held elsewhere (by the superuser: a fixture, not a
 * client), and releases it only once `blocked.count` sessions running `blocked.query` are
 * waiting for it: every contender is in flight before any of them can go on. Resolves with what
 * the contenders resolve to.
 */
export async function whileLocked<T>(
  lock: (tx: postgres.TransactionSql) => Promise<unknown>,
  contenders: () => Promise<T>,
  blocked: { query: string; count: number },
): Promise<T> {
  const sql = newConnection('supabase_admin');
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const holding = new Promise<void>((resolve) => (locked = resolve));
  const transaction = sql.begin(async (tx) => {
    await lock(tx);
    locked();
    await released;
  });
  try {
    await Promise.race([holding, transaction]);
    const running = contenders();
    // A failed wait must not leave the contenders' rejections unhandled.
    running.catch(() => {});
    try {
      await waitUntilBlocked(blocked.query, blocked.count);
    } finally {
      release();
      await transaction;
    }
    return await running;
  } finally {
    release();
    await transaction.catch(() => {});
    await sql.end();
  }
}

/**
 * Resolves once some backend is blocked by the backend `holderPid` (pg_blocking_pids), for tests
 * that hold the lock in a client's own transaction; rejects after `timeoutMs`.
 */
export function waitUntilBlockedBy(holderPid: number, timeoutMs = 10_000): Promise<void> {
  return pollUntil(
    async () => (await superuser()`
      select count(*)::int as n from pg_stat_activity where ${holderPid}::int = any (pg_blocking_pids(pid))`)[0].n,
    1,
    timeoutMs,
    () => `no session became blocked by backend ${holderPid}`,
  );
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
