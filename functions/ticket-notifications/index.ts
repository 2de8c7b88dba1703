// POST /functions/v1/ticket-notifications — e-mails about ticket events (service role only).
// Called by the ticket_events database webhook with Supabase's payload {type, table, schema,
// record, old_record}, and by the periodic sweep with an empty body. E-mails go to the outbox
// (private.notifications), which send-notifications delivers with retries.
import { callerOf, jwksVerifier, requireServiceRole, type TokenVerifier } from '../_shared/auth.ts';
import { readJsonBody } from '../_shared/body.ts';
import { connectDatabase, type Db } from '../_shared/database.ts';
import { envInt, envText } from '../_shared/env.ts';
import { success } from '../_shared/envelope.ts';
import { HttpError } from '../_shared/errors.ts';
import { handle, serve } from '../_shared/http.ts';
import { jsonLogger, type Logger } from '../_shared/log.ts';
import { requestBody } from './input.ts';
import { processEvent, type ProcessConfig, sweep } from './process.ts';

export interface TicketNotificationsDeps {
  db: Db;
  verify: TokenVerifier;
  config: ProcessConfig;
  log?: Logger;
}

export function createTicketNotificationsHandler({ db, verify, config, log = jsonLogger('ticket-notifications') }: TicketNotificationsDeps) {
  return handle(log, async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use POST.');
    requireServiceRole(await callerOf(req, verify));
    const body = await readJsonBody(req, requestBody, { whenEmpty: {} });
    // Service: ticket events and the outbox are the service's own (service-role callers only,
    // checked above), and recipients are decided across the whole business.
    if (!('record' in body)) {
      const report = await sweep(db.serviceDb, config, log);
      return success(report, `Swept ${report.found} unprocessed events: ${report.processed} processed, ${report.queued} e-mails queued.`);
    }
    const result = await processEvent(db.serviceDb, body.record.id, config);
    if (result.outcome === 'missing') {
      throw new HttpError(404, 'EVENT_NOT_FOUND', `No ticket event ${body.record.id}.`);
    }
    return success(result, result.outcome === 'processed' ? `Queued ${result.queued} e-mails.` : 'Already processed.');
  });
}

export function configFromEnv(): ProcessConfig {
  return {
    siteUrl: envText('SITE_URL', 'http://127.0.0.1:3000'),
    sweepGraceSeconds: envInt('TICKET_NOTIFICATIONS_SWEEP_GRACE_SECONDS', 60, { min: 0, max: 86400 }),
    sweepBatchSize: envInt('TICKET_NOTIFICATIONS_SWEEP_BATCH_SIZE', 100, { min: 1, max: 1000 }),
  };
}

if (import.meta.main) {
  serve(createTicketNotificationsHandler({
    db: connectDatabase(),
    verify: jwksVerifier(envText('SUPABASE_JWKS', '{"keys":[]}')),
    config: configFromEnv(),
  }));
}
