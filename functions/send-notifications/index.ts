// POST /functions/v1/send-notifications — delivers due e-mails (Resend) and SMS (Beem) from the outbox (service role
// only). Called by the database webhook after new messages are queued (body {"ids": [...]})
// and by the periodic sweep (empty body: whatever is due, retries and expired leases included).
import { callerOf, jwksVerifier, requireServiceRole, type TokenVerifier } from '../_shared/auth.ts';
import { readJsonBody } from '../_shared/body.ts';
import { connectDatabase, type Db } from '../_shared/database.ts';
import { envInt, envText } from '../_shared/env.ts';
import { success } from '../_shared/envelope.ts';
import { HttpError } from '../_shared/errors.ts';
import { handle, serve } from '../_shared/http.ts';
import { jsonLogger, type Logger } from '../_shared/log.ts';
import { beemSender } from './beem.ts';
import { type DeliveryConfig, deliverDue, type Senders } from './deliver.ts';
import { sendRequestSchema } from './request.ts';
import { resendSender } from './resend.ts';

export interface SendNotificationsDeps {
  db: Db;
  verify: TokenVerifier;
  /** A channel whose provider key is not configured (Resend, Beem): its messages stay queued, untouched. */
  send: Senders;
  config: DeliveryConfig;
  random?: () => number;
  log?: Logger;
}

export function createSendNotificationsHandler({ db, verify, send, config, random, log = jsonLogger('send-notifications') }: SendNotificationsDeps) {
  return handle(log, async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use POST.');
    requireServiceRole(await callerOf(req, verify));
    const { ids } = await readJsonBody(req, sendRequestSchema, { whenEmpty: {} });
    if (!send.email && !send.sms) {
      throw new HttpError(503, 'NOTIFICATIONS_NOT_CONFIGURED', 'Neither e-mail (RESEND_API_KEY) nor SMS (BEEM_API_KEY) delivery is configured; messages stay queued until one is.');
    }
    // Service: the outbox is the service's own (service-role callers only, checked above).
    const report = await deliverDue(db.serviceDb, send, config, log, { ids, random });
    return success(report, `Claimed ${report.claimed}: ${report.sent} sent, ${report.retrying} to retry, ${report.dead} dead.`);
  });
}

export function configFromEnv(): DeliveryConfig {
  return {
    siteUrl: envText('SITE_URL', 'http://127.0.0.1:3000'),
    batchSize: envInt('NOTIFICATIONS_BATCH_SIZE', 50, { min: 1, max: 500 }),
    leaseSeconds: envInt('NOTIFICATIONS_LEASE_SECONDS', 120, { min: 1, max: 3600 }),
    maxAttempts: envInt('NOTIFICATIONS_MAX_ATTEMPTS', 8, { min: 1, max: 100 }),
    backoff: {
      baseSeconds: envInt('NOTIFICATIONS_BACKOFF_BASE_SECONDS', 30, { min: 0, max: 86400 }),
      maxSeconds: envInt('NOTIFICATIONS_BACKOFF_MAX_SECONDS', 3600, { min: 0, max: 86400 }),
    },
    concurrency: envInt('NOTIFICATIONS_CONCURRENCY', 8, { min: 1, max: 64 }),
  };
}

if (import.meta.main) {
  const apiKey = envText('RESEND_API_KEY');
  const beemKey = envText('BEEM_API_KEY');
  const beemSecret = envText('BEEM_SECRET_KEY');
  serve(createSendNotificationsHandler({
    db: connectDatabase(),
    verify: jwksVerifier(envText('SUPABASE_JWKS', '{"keys":[]}')),
    send: {
      email: apiKey
        ? resendSender({
          apiBase: envText('RESEND_API_BASE', 'https://api.resend.com'),
          apiKey,
          from: envText('NOTIFICATIONS_FROM', 'Sokoni <notifications@sokoni.example>'),
          timeoutMs: envInt('RESEND_TIMEOUT_MS', 10000, { min: 100, max: 60000 }),
        })
        : null,
      sms: beemKey && beemSecret
        ? beemSender({
          apiBase: envText('BEEM_API_BASE', 'https://apisms.beem.africa'),
          apiKey: beemKey,
          secretKey: beemSecret,
          senderId: envText('BEEM_SENDER_ID', 'INFO'),
          timeoutMs: envInt('RESEND_TIMEOUT_MS', 10000, { min: 100, max: 60000 }),
        })
        : null,
    },
    config: configFromEnv(),
  }));
}
