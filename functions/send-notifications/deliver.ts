// One delivery run: claim due messages, render, send, record each outcome. Every message is
// its own step: it ends sent, pending with a later attempt, or dead; a crash mid-run leaves
// claimed rows under a lease that expires, and Resend's idempotency key (the notification id)
// keeps a retried e-mail from reaching the recipient twice. SMS go through Beem, which has no
// such key: an SMS whose lease expired is dead-lettered instead of resent (claim_notifications).
import type { Sql } from '../_shared/database.ts';
import type { Database, Json } from '../_shared/database.types.ts';
import type { Logger } from '../_shared/log.ts';
import type { SmsSender } from './beem.ts';
import type { EmailSender, SendResult } from './resend.ts';
import { type BackoffPolicy, isPermanentFailure, retryDelaySeconds } from './retry.ts';
import type { TemplateContext } from '../_shared/email.ts';
import { renderEmail } from './templates.ts';
import { renderSms } from './sms.ts';

type Notification = Database['private']['Tables']['notifications']['Row'];

export interface DeliveryConfig extends TemplateContext {
  batchSize: number;
  leaseSeconds: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Messages sent at the same time within a run. */
  concurrency: number;
}

/** The configured senders; a channel without one stays queued. */
export interface Senders {
  email: EmailSender | null;
  sms: SmsSender | null;
}

export interface DeliveryReport {
  claimed: number;
  sent: number;
  retrying: number;
  dead: number;
}

export async function deliverDue(
  serviceDb: Sql,
  send: Senders,
  config: DeliveryConfig,
  log: Logger,
  options: { ids?: string[]; random?: () => number } = {},
): Promise<DeliveryReport> {
  const channels = [send.email && 'email', send.sms && 'sms'].filter((channel): channel is string => Boolean(channel));
  const claimed = await serviceDb<Notification[]>`
    select * from private.claim_notifications(${config.batchSize}, ${config.leaseSeconds}, ${options.ids ?? null}::uuid[],
                                               ${channels}::text[])`;
  const report: DeliveryReport = { claimed: claimed.length, sent: 0, retrying: 0, dead: 0 };
  let next = 0;
  const worker = async () => {
    while (next < claimed.length) {
      const outcome = await deliverOne(serviceDb, send, config, log, claimed[next++], options.random);
      report[outcome]++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.concurrency, claimed.length) }, worker));
  return report;
}

async function deliverOne(
  serviceDb: Sql,
  send: Senders,
  config: DeliveryConfig,
  log: Logger,
  notification: Notification,
  random?: () => number,
): Promise<'sent' | 'retrying' | 'dead'> {
  let result: SendResult;
  try {
    const payload = notification.payload as Record<string, Json>;
    result = notification.channel === 'sms'
      ? await send.sms!({ to: notification.recipient, text: renderSms(notification.kind, payload) })
      : await send.email!({ idempotencyKey: notification.id, to: notification.recipient, email: renderEmail(notification.kind, payload, config) });
  } catch (error) {
    result = { ok: false as const, status: null, error: `Rendering failed: ${(error as Error)?.message ?? error}` };
  }
  if (result.ok) {
    await serviceDb`select private.mark_notification_sent(${notification.id}, ${result.providerId || null})`;
    return 'sent';
  }
  const permanent = result.status !== null && isPermanentFailure(result.status);
  const [{ status }] = await serviceDb<{ status: string | null }[]>`
    select private.mark_notification_failed(
      ${notification.id}, ${result.error},
      ${retryDelaySeconds(notification.attempts, config.backoff, random)},
      ${permanent ? 0 : config.maxAttempts}) as status`;
  log({
    level: status === 'dead' ? 'error' : 'warn',
    event: status === 'dead' ? 'notification_dead' : 'notification_retry',
    id: notification.id,
    kind: notification.kind,
    channel: notification.channel,
    attempts: notification.attempts,
    error: result.error,
  });
  return status === 'dead' ? 'dead' : 'retrying';
}
