// The status sweep: sends card refunds still pending to Stripe, and asks each provider about mobile-money payments no callback settled (lost
// callbacks happen), and applies what the provider answers exactly as the webhook would, under
// the event id 'status:<reference>' (stored once; a callback arriving after it changes nothing).
import { z } from 'zod';
import type { Sql } from '../_shared/database.ts';
import type { Logger } from '../_shared/log.ts';
import { applyMobilePayment, clickPesaPaymentOf, clickPesaStatus, type ConfirmedPayment, mpesaStatus } from '../_shared/mobile-money.ts';
import type { ClickPesaClient } from '../_shared/clickpesa.ts';
import type { MpesaClient } from '../_shared/mpesa.ts';
import { pendingCardRefunds, type RefundOutcome, sendCardRefund } from '../_shared/refunds.ts';
import type { StripeRefunds } from '../_shared/stripe.ts';

/** The sweep takes no input. */
export const sweepRequest = z.object({}).strict();

export interface SweepConfig {
  /** A payment younger than this is left to its callback. */
  minAgeSeconds: number;
  batchSize: number;
}

export interface SweepProviders {
  clickpesa: ClickPesaClient | null;
  mpesa: MpesaClient | null;
  /** Card refunds still pending (Stripe was down, or recorded by update_order_status or a late payment). */
  stripe: StripeRefunds | null;
}

export interface SweepReport {
  checked: number;
  /** What apply_mobile_payment answered, counted (paid, cancelled, late…, rejected…). */
  outcomes: Record<string, number>;
  still_pending: number;
  /** Providers that could not be asked (or are not configured); tried again next run. */
  errors: number;
  /** Card refunds sent to Stripe this run, by outcome. */
  refunds: Record<RefundOutcome, number>;
}

interface Row {
  checkout_id: string;
  provider: 'clickpesa' | 'mpesa';
  provider_ref: string;
  amount: string;
  currency: string;
}

export async function sweep(serviceDb: Sql, providers: SweepProviders, config: SweepConfig, log: Logger): Promise<SweepReport> {
  const rows = await serviceDb<Row[]>`
    select checkout_id, provider, provider_ref, amount::text, currency
    from private.pending_mobile_payments(make_interval(secs => ${config.minAgeSeconds}), ${config.batchSize})`;
  const report: SweepReport = { checked: rows.length, outcomes: {}, still_pending: 0, errors: 0, refunds: { succeeded: 0, failed: 0, pending: 0 } };
  for (const row of rows) {
    try {
      let answer: unknown;
      let confirmed: ConfirmedPayment;
      if (row.provider === 'clickpesa') {
        if (!providers.clickpesa) throw new Error('ClickPesa is not configured');
        const payments = await providers.clickpesa.paymentsOf(row.provider_ref);
        answer = payments;
        confirmed = clickPesaStatus(clickPesaPaymentOf(payments));
      } else {
        if (!providers.mpesa) throw new Error('M-Pesa is not configured');
        const result = await providers.mpesa.stkQuery(row.provider_ref);
        answer = result;
        // The query carries no amount: an STK push collects exactly the Amount our push asked.
        confirmed = mpesaStatus(result, row.amount);
      }
      if (confirmed.status === 'pending' || confirmed.status === 'unknown') {
        report.still_pending += 1;
        continue;
      }
      const outcome = await applyMobilePayment(serviceDb, {
        provider: row.provider, eventId: `status:${row.provider_ref}`, eventType: 'status query',
        payload: { source: 'payment-status', answer: answer ?? null }, reference: row.provider_ref,
        claimedAmount: null, claimedCurrency: null, confirmed,
      });
      const key = outcome.split(':')[0];
      report.outcomes[key] = (report.outcomes[key] ?? 0) + 1;
      log({ event: 'status_applied', provider: row.provider, reference: row.provider_ref, outcome });
    } catch (error) {
      report.errors += 1;
      log({ level: 'warn', event: 'status_query_failed', provider: row.provider, reference: row.provider_ref, message: String((error as Error)?.message ?? error) });
    }
  }
  if (providers.stripe) {
    for (const refund of await pendingCardRefunds(serviceDb, config.batchSize)) {
      report.refunds[await sendCardRefund(serviceDb, providers.stripe, refund)] += 1;
    }
  }
  return report;
}
