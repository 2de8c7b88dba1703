// POST /functions/v1/send-notifications — delivers due e-mails from the outbox (service role
// only). Called by the database webhook after new messages are queued (body {"ids": [...]})
// and by the periodic sweep (empty body: whatever is due, retries and expired leases included).
import { z } from 'zod';
import { callerOf, jwksVerifier, requireServiceRole, type TokenVerifier } from '../_shared/auth.ts';
import { connectDatabase, type Sql } from '../_shared/database.ts';
import { success } from '../_shared/envelope.ts';
import { HttpError, parseInput } from '../_shared/errors.ts';
import { handle, serve } from '../_shared/http.ts';
import { jsonLogger, type Logger } from '../_shared/log.ts';
import { type DeliveryConfig, deliverDue } from './deliver.ts';
import { type EmailSender, resendSender } from './resend.ts';

export interface SendNotificationsDeps {
  db: Sql;
  verify: TokenVerifier;
  /** Null when no Resend key is configured: messages then stay queued, untouched. */
  send: EmailSender | null;
  config: DeliveryConfig;
  random?: () => number;
  log?: Logger;
}

const requestBody = z.object({
  ids: z.array(z.uuid()).min(1).max(500).optional(),
}).strict();

export function createSendNotificationsHandler({ db, verify, send, config, random, log = jsonLogger('send-notifications') }: SendNotificationsDeps) {
  return handle(log, async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use POST.');
    requireServiceRole(await callerOf(req, verify));
    const raw = await req.text();
    let parsed: unknown = {};
    if (raw.trim()) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new HttpError(400, 'INVALID_JSON', 'The body is not valid JSON.');
      }
    }
    const { ids } = parseInput(requestBody, parsed);
    if (!send) {
      throw new HttpError(503, 'NOTIFICATIONS_NOT_CONFIGURED', 'E-mail delivery is not configured (RESEND_API_KEY); messages stay queued until it is.');
    }
    const report = await deliverDue(db, send, config, log, { ids, random });
    return success(report, `Claimed ${report.claimed}: ${report.sent} sent, ${report.retrying} to retry, ${report.dead} dead.`);
  });
}

function numberFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = Deno.env.get(name);
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number between ${min} and ${max}`);
  return value;
}

export function configFromEnv(): DeliveryConfig {
  return {
    siteUrl: Deno.env.get('SITE_URL') ?? 'http://127.0.0.1:3000',
    batchSize: numberFromEnv('NOTIFICATIONS_BATCH_SIZE', 50, 1, 500),
    leaseSeconds: numberFromEnv('NOTIFICATIONS_LEASE_SECONDS', 120, 1, 3600),
    maxAttempts: numberFromEnv('NOTIFICATIONS_MAX_ATTEMPTS', 8, 1, 100),
    backoff: {
      baseSeconds: numberFromEnv('NOTIFICATIONS_BACKOFF_BASE_SECONDS', 30, 0, 86400),
      maxSeconds: numberFromEnv('NOTIFICATIONS_BACKOFF_MAX_SECONDS', 3600, 0, 86400),
    },
    concurrency: numberFromEnv('NOTIFICATIONS_CONCURRENCY', 8, 1, 64),
  };
}

if (import.meta.main) {
  const apiKey = Deno.env.get('RESEND_API_KEY');
  serve(createSendNotificationsHandler({
    db: connectDatabase(),
    verify: jwksVerifier(Deno.env.get('SUPABASE_JWKS') ?? '{"keys":[]}'),
    send: apiKey
      ? resendSender({
        apiBase: Deno.env.get('RESEND_API_BASE') ?? 'https://api.resend.com',
        apiKey,
        from: Deno.env.get('NOTIFICATIONS_FROM') ?? 'Sokoni <notifications@sokoni.example>',
        timeoutMs: numberFromEnv('RESEND_TIMEOUT_MS', 10000, 100, 60000),
      })
      : null,
    config: configFromEnv(),
  }));
}
