// Card refunds reach Stripe from here: the refunds function sends a refund as soon as it is
// recorded, and the status sweep sends any still pending (Stripe down, or recorded by
// update_order_status or a late payment). Stripe's idempotency key is 'refund-<refund id>', so
// a refund sent twice (a retry, the sweep racing the function) is made once.
import type { Sql } from './database.ts';
import type { StripeRefunds } from './stripe.ts';

export interface PendingCardRefund {
  refund_id: string;
  session_id: string | null;
  /** In the currency's smallest unit. */
  amount: string | number;
  currency: string;
  payment_intent: string | null;
}

export type RefundOutcome = 'succeeded' | 'failed' | 'pending';

/** Sends one card refund and records Stripe's answer; 'pending' when Stripe could not be reached. */
export async function sendCardRefund(serviceDb: Sql, stripe: StripeRefunds, refund: PendingCardRefund): Promise<RefundOutcome> {
  try {
    const intent = refund.payment_intent ?? (refund.session_id ? await stripe.paymentIntentOf(refund.session_id) : null);
    if (!intent) {
      await serviceDb`select private.record_refund_result(${refund.refund_id}, null, false, 'The card payment has no PaymentIntent: nothing was charged.')`;
      return 'failed';
    }
    const answer = await stripe.create(
      { payment_intent: intent, amount: Number(refund.amount), metadata: { refund_id: refund.refund_id } },
      { idempotencyKey: `refund-${refund.refund_id}` },
    );
    // `pending` at Stripe: accepted, the bank has not confirmed yet; it succeeds or a
    // refund.failed event follows (handled in the Stripe dashboard).
    const accepted = answer.status === 'succeeded' || answer.status === 'pending';
    await serviceDb`select private.record_refund_result(${refund.refund_id}, ${answer.id}, ${accepted},
                                                        ${accepted ? null : `Stripe answered ${answer.status}`})`;
    return accepted ? 'succeeded' : 'failed';
  } catch (error) {
    const status = (error as { statusCode?: number })?.statusCode;
    if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
      // Stripe refused it for good (already refunded, more than was charged): say so to staff.
      await serviceDb`select private.record_refund_result(${refund.refund_id}, null, false, ${String((error as Error).message).slice(0, 2000)})`;
      return 'failed';
    }
    return 'pending';
  }
}

/** Card refunds waiting for Stripe: the oldest `limit`, or the one refund `only` names. */
export function pendingCardRefunds(serviceDb: Sql, limit: number, only: string | null = null): Promise<PendingCardRefund[]> {
  return serviceDb<PendingCardRefund[]>`select * from private.pending_card_refunds(${limit}, ${only}::uuid)`;
}

/** Sends the refund `id` if it still waits for Stripe; its outcome, or null when there was nothing to send. */
export async function sendPendingRefund(serviceDb: Sql, stripe: StripeRefunds, id: string): Promise<RefundOutcome | null> {
  const [refund] = await pendingCardRefunds(serviceDb, 1, id);
  return refund ? sendCardRefund(serviceDb, stripe, refund) : null;
}
