// When to try a failed e-mail again, and which failures are worth retrying. Pure.

export interface BackoffPolicy {
  /** Delay before the second attempt; doubles with every further attempt. */
  baseSeconds: number;
  maxSeconds: number;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so senders
 * that failed together do not retry together. `attempts` counts the attempts made so far.
 */
export function retryDelaySeconds(attempts: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.max(0, attempts - 1));
  return exponential / 2 + random() * (exponential / 2);
}

/**
 * A provider answer that no retry can fix (a malformed or refused message) dead-letters at
 * once. Throttling, timeouts, server errors and authentication problems (an operator can fix
 * the key) are retried.
 */
export function isPermanentFailure(status: number): boolean {
  return status >= 400 && status < 500 && ![401, 403, 408, 409, 429].includes(status);
}
