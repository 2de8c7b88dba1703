// When to try Gemini again: on 429, 500 and 503 only, with exponential backoff and jitter,
// never beyond a total budget (about 10 s), and never sooner than Gemini's RetryInfo asks.

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  /** The sum of all waits may not exceed this. */
  budgetMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 500, budgetMs: 10_000 };

export const RETRYABLE_STATUSES = new Set([429, 500, 503]);

export function isRetryableStatus(status: number | undefined): boolean {
  return status !== undefined && RETRYABLE_STATUSES.has(status);
}

/**
 * How long to wait before attempt `attempt + 1` (attempt counts from 1), or null to give up.
 * `random` in [0, 1) spreads clients apart; `retryAfterMs` is the server's wish, if any.
 */
export function nextDelayMs(
  policy: RetryPolicy,
  attempt: number,
  waitedMs: number,
  random: number,
  retryAfterMs?: number,
): number | null {
  if (attempt >= policy.maxAttempts) return null;
  const exponential = policy.baseDelayMs * 2 ** (attempt - 1);
  const jittered = Math.round(exponential * (0.5 + random / 2));
  const delay = Math.max(jittered, retryAfterMs ?? 0);
  return waitedMs + delay > policy.budgetMs ? null : delay;
}
