// Turns ticket events into outbox rows. Each event is one transaction: lock the event, skip it
// if it was already processed, decide and render its e-mails, insert them into
// private.notifications with one dedupe key per (event, recipient), mark the event processed.
// A duplicated webhook finds the event processed (or waits for the first call's lock and then
// does); even a second processing could not queue twice, thanks to the dedupe keys.
import type { Sql } from '../_shared/database.ts';
import type { Logger } from '../_shared/log.ts';
import { dedupeKey, recipientsFor, type TicketEventContext } from './recipients.ts';
import type { TemplateContext } from '../_shared/email.ts';
import { renderTicketEmail } from './templates.ts';

export interface ProcessConfig extends TemplateContext {
  /** The sweep leaves events younger than this to their own webhook. */
  sweepGraceSeconds: number;
  /** Events processed per sweep. */
  sweepBatchSize: number;
}

/** processed: its e-mails are queued now; already: an earlier call did it; busy: another call holds it. */
export type Outcome = 'processed' | 'already' | 'busy' | 'missing';

export interface EventResult {
  event_id: number;
  outcome: Outcome;
  queued: number;
}

export async function processEvent(
  db: Sql,
  eventId: number,
  config: ProcessConfig,
  { skipLocked = false }: { skipLocked?: boolean } = {},
): Promise<EventResult> {
  return await db.begin(async (tx) => {
    const [event] = await tx<{ processed_at: Date | null }[]>`
      select processed_at from private.ticket_events where id = ${eventId}
      for update ${skipLocked ? tx`skip locked` : tx``}`;
    if (!event) {
      if (!skipLocked) return { event_id: eventId, outcome: 'missing' as const, queued: 0 };
      const [exists] = await tx`select 1 from private.ticket_events where id = ${eventId}`;
      return { event_id: eventId, outcome: exists ? 'busy' as const : 'missing' as const, queued: 0 };
    }
    if (event.processed_at) return { event_id: eventId, outcome: 'already' as const, queued: 0 };

    const [{ context }] = await tx<{ context: TicketEventContext }[]>`select private.ticket_event_context(${eventId}) as context`;
    const rows = recipientsFor(context).map((recipient) => {
      const email = renderTicketEmail(context, recipient, config);
      return {
        recipient: recipient.person.email,
        dedupe_key: dedupeKey(eventId, recipient),
        payload: {
          ...email,
          ticket_id: context.ticket.id,
          reference: context.ticket.reference,
          event_id: eventId,
          event: context.event.kind,
          message: recipient.message,
        },
      };
    });
    let queued = 0;
    if (rows.length > 0) {
      // One statement: the outbox's webhook then asks send-notifications once for all of them.
      const inserted = await tx`
        insert into private.notifications (kind, recipient, payload, dedupe_key)
        select 'ticket_message', lower(x.recipient), x.payload, x.dedupe_key
        from jsonb_to_recordset(${tx.json(rows)}::jsonb) as x (recipient text, payload jsonb, dedupe_key text)
        on conflict (dedupe_key) do nothing
        returning id`;
      queued = inserted.length;
    }
    await tx`update private.ticket_events set processed_at = now(), recipients = ${rows.length} where id = ${eventId}`;
    return { event_id: eventId, outcome: 'processed' as const, queued };
  });
}

export interface SweepReport {
  found: number;
  processed: number;
  queued: number;
  busy: number;
}

/** Events whose webhook never arrived (the function was down, or pg_net lost the request). */
export async function sweep(db: Sql, config: ProcessConfig, log: Logger): Promise<SweepReport> {
  const due = await db<{ id: string }[]>`
    select id from private.ticket_events
    where processed_at is null and created_at <= now() - make_interval(secs => ${config.sweepGraceSeconds})
    order by id
    limit ${config.sweepBatchSize}`;
  const report: SweepReport = { found: due.length, processed: 0, queued: 0, busy: 0 };
  for (const { id } of due) {
    const result = await processEvent(db, Number(id), config, { skipLocked: true });
    if (result.outcome === 'processed') {
      report.processed++;
      report.queued += result.queued;
      log({ event: 'ticket_event_swept', id: result.event_id, queued: result.queued });
    } else if (result.outcome === 'busy') {
      report.busy++;
    }
  }
  return report;
}
