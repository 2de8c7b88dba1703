// POST /functions/v1/refunds — refunds a paid order, whole or in part, once per Idempotency-Key.
// As the caller: public.refund_order checks orders.manage and records the refund; a card refund
// is then sent to Stripe (idempotency key per refund), while mobile-money and manual refunds are
// recorded for staff to pay out (mark_refund_paid_out).
import { callerOf, jwksVerifier, requireUser, type TokenVerifier } from '../_shared/auth.ts';
import { connectDatabase, type Db } from '../_shared/database.ts';
import { success } from '../_shared/envelope.ts';
import { envText } from '../_shared/env.ts';
import { HttpError } from '../_shared/errors.ts';
import { handle, serve } from '../_shared/http.ts';
import { jsonLogger, type Logger } from '../_shared/log.ts';
import { sendPendingRefund } from '../_shared/refunds.ts';
import { type StripeRefunds, stripeRefunds } from '../_shared/stripe.ts';
import { parseRefundBody, refundKey } from './request.ts';

export interface RefundsDeps {
  db: Db;
  verify: TokenVerifier;
  stripe: StripeRefunds | null;
  log?: Logger;
}

interface RefundRow {
  id: string;
  order_id: string;
  provider: string;
  amount: string;
  currency: string;
  status: string;
}

const MESSAGES: Record<string, string> = {
  succeeded: 'Refunded to the card.',
  failed: 'Stripe refused the refund; see failure.',
  pending: 'Recorded; it is sent to Stripe as soon as Stripe answers.',
  to_pay_out: 'Recorded: pay the money back to the customer, then mark the refund paid out.',
  paid_out: 'Already paid out.',
};

export function createRefundsHandler({ db, verify, stripe, log = jsonLogger('refunds') }: RefundsDeps) {
  return handle(log, async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use POST.');
    const caller = await callerOf(req, verify);
    requireUser(caller);
    const key = refundKey(req.headers);
    const body = await parseRefundBody(req);
    // As JSON: amounts are JSON numbers, as in the checkout's answer.
    const read = (id: string) =>
      db.asCaller(caller.claims, (tx) => tx<{ refund: RefundRow }[]>`select to_jsonb(r) as refund from public.refunds r where r.id = ${id}`);
    const [refund] = await db.asCaller(caller.claims, (tx) => tx<RefundRow[]>`
      select * from public.refund_order(${body.order_id}, ${body.amount ?? null}::numeric, ${body.reason ?? null}, ${key})`);
    if (refund.status === 'pending' && stripe) {
      // Service: Stripe's answer is the service's bookkeeping (private.record_refund_result);
      // the caller's right to refund was checked by refund_order above.
      const outcome = await sendPendingRefund(db.serviceDb, stripe, refund.id);
      log({ event: 'card_refund', refund: refund.id, outcome });
    }
    const [{ refund: current }] = await read(refund.id);
    return success(current, MESSAGES[current.status] ?? 'Recorded.');
  });
}

if (import.meta.main) {
  const stripeKey = envText('STRIPE_SECRET_KEY');
  serve(createRefundsHandler({
    db: connectDatabase(),
    verify: jwksVerifier(envText('SUPABASE_JWKS', '{"keys":[]}')),
    stripe: stripeKey ? stripeRefunds(stripeKey, envText('STRIPE_API_BASE')) : null,
  }));
}
