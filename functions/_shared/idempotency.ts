// Idempotency keys, as clients send them to checkout and the chatbot: 8 to 200 visible ASCII
// characters, in the Idempotency-Key header (or, for the chatbot, `client_id` in the body).
import { z } from 'zod';
import { HttpError } from './errors.ts';

export const idempotencyKeySchema = z.string().min(8).max(200).regex(/^[\x21-\x7e]+$/, 'use visible ASCII characters');

const INVALID = 'Send an Idempotency-Key of 8 to 200 visible characters.';

/** The Idempotency-Key header, or null when absent; 400 INVALID_IDEMPOTENCY_KEY when malformed. */
export function idempotencyKeyHeader(headers: Headers): string | null {
  const raw = headers.get('idempotency-key');
  if (raw === null) return null;
  const parsed = idempotencyKeySchema.safeParse(raw);
  if (!parsed.success) throw new HttpError(400, 'INVALID_IDEMPOTENCY_KEY', INVALID);
  return parsed.data;
}

/** The key of a request that may carry it in the header, the body, or both (then the same). */
export function idempotencyKeyOf(headers: Headers, inBody: string | undefined): string | null {
  const header = idempotencyKeyHeader(headers);
  if (header !== null && inBody !== undefined && header !== inBody) {
    throw new HttpError(400, 'INVALID_IDEMPOTENCY_KEY', 'The Idempotency-Key header and client_id differ: send one key.');
  }
  return header ?? inBody ?? null;
}
