// POST /functions/v1/ticket-notifications — e-mails about ticket events (service role only).
// Called by the ticket_events database webhook with Supabase's payload {type, table, schema,
// record, old_record}, and by the periodic sweep with an empty body. E-mails go to the outbox
// (public.notifications), which send-notifications delivers with retries.
import { callerOf, jwksVerifier, requireServiceRole, type TokenVerifier } from '../_shared/auth.ts';
import { connectDatabase, type Sql } from '../_shared/database.ts';
import { success } from '../_shared/envelope.ts';
import { HttpError, parseInput } from '../_shared/errors.ts';
import { handle, serve } from '../_shared/http.ts';
import { jsonLogger, type Logger } from '../_shared/log.ts';
import { requestBody } from './input.ts';
import { processEvent, type ProcessConfig, sweep } from './process.ts';

export interface TicketNotificationsDeps {
  db: Sql;
  verify: TokenVerifier;
  config: ProcessConfig;
  log?: Logger;
}

export function createTicketNotificationsHandler({ db, verify, config, log = jsonLogger('ticket-notifications') }: TicketNotificationsDeps) {
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
    const body = parseInput(requestBody, parsed);
    if (!('record' in body)) {
      const report = await sweep(db, config, log);
      return success(report, `Swept ${report.found} unprocessed events: ${report.processed} processed, ${report.queued} e-mails queued.`);
    }
    const result = await processEvent(db, body.record.id, config);
    if (result.outcome === 'missing') {
      throw new HttpError(404, 'EVENT_NOT_FOUND', `No ticket event ${body.record.id}.`);
    }
    return success(result, result.outcome === 'processed' ? `Queued ${result.queued} e-mails.` : 'Already processed.');
  });
}

function numberFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = Deno.env.get(name);
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number between ${min} and ${max}`);
  return value;
}

export function configFromEnv(): ProcessConfig {
  return {
    siteUrl: Deno.env.get('SITE_URL') ?? 'http://127.0.0.1:3000',
    sweepGraceSeconds: numberFromEnv('TICKET_NOTIFICATIONS_SWEEP_GRACE_SECONDS', 60, 0, 86400),
    sweepBatchSize: numberFromEnv('TICKET_NOTIFICATIONS_SWEEP_BATCH_SIZE', 100, 1, 1000),
  };
}

if (import.meta.main) {
  serve(createTicketNotificationsHandler({
    db: connectDatabase(),
    verify: jwksVerifier(Deno.env.get('SUPABASE_JWKS') ?? '{"keys":[]}'),
    config: configFromEnv(),
  }));
}
