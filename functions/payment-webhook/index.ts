// POST /functions/v1/payment-webhook/<provider> — the payment providers' webhooks (verify_jwt
// off: the providers prove themselves otherwise), one inbox (payment_events) for all:
//   /stripe           Stripe-Signature checked on the raw body; private.apply_stripe_event.
//   /clickpesa        the body's checksum checked, then ClickPesa's status endpoint asked.
//   /mpesa/<token>    Daraja signs nothing: a secret path token (constant time), a strict body,
//                     then Daraja's STK status query asked.
// Mobile money settles only on the provider's own answer (private.apply_mobile_payment); each
// event is stored once and applied once; duplicates change nothing twice.
import { parseJson } from '../_shared/body.ts';
import { type ClickPesaClient, clickPesaChecksum, constantTimeEqual } from '../_shared/clickpesa.ts';
import { connectDatabase, type Db } from '../_shared/database.ts';
import { success } from '../_shared/envelope.ts';
import { envText } from '../_shared/env.ts';
import { HttpError, parseInput } from '../_shared/errors.ts';
import { handle, serve } from '../_shared/http.ts';
import { jsonLogger, type Logger } from '../_shared/log.ts';
import { applyMobilePayment, clickPesaPaymentOf, clickPesaStatus, eventSeen, mpesaStatus } from '../_shared/mobile-money.ts';
import { clickPesaFromEnv, mpesaFromEnv } from '../_shared/mobile-money-env.ts';
import type { MpesaClient } from '../_shared/mpesa.ts';
import { eventSchema } from './event.ts';
import { clickPesaCallbackSchema, clickPesaClaim, mpesaCallbackSchema, mpesaClaim } from './mobile-callbacks.ts';
import { sendPendingRefund } from '../_shared/refunds.ts';
import { type StripeRefunds, stripeRefunds } from '../_shared/stripe.ts';
import { checkStripeSignature } from './stripe-signature.ts';

export interface PaymentWebhookDeps {
  db: Db;
  stripeWebhookSecret: string;
  clickpesa?: { client: ClickPesaClient; checksumKey: string } | null;
  mpesa?: { client: MpesaClient; callbackToken: string } | null;
  /** Refunds card payments that complete after their checkout was cancelled. */
  stripeRefunds?: StripeRefunds | null;
  now?: () => Date;
  log?: Logger;
}

const PAID_EVENTS = new Set(['checkout.session.completed', 'checkout.session.async_payment_succeeded']);

const received = (outcome: string) => success({ received: true, outcome }, 'Event received.');

function providerUnavailable(provider: string, error: unknown, log: Logger): HttpError {
  log({ level: 'error', event: 'confirmation_failed', provider, message: String((error as Error)?.message ?? error) });
  // Nothing stored: the provider's retry (or the status sweep) settles it later.
  return new HttpError(503, 'PROVIDER_UNAVAILABLE', `${provider} could not confirm the payment right now; nothing was recorded.`);
}

export function createPaymentWebhookHandler(
  { db, stripeWebhookSecret, clickpesa = null, mpesa = null, stripeRefunds: refunds = null, now = () => new Date(), log = jsonLogger('payment-webhook') }: PaymentWebhookDeps,
) {
  // Service: the providers are the callers here, proven by a signature, a checksum or a secret
  // path, not by a database role; the inbox and the payment RPCs are private.
  const { serviceDb } = db;

  async function stripe(req: Request): Promise<Response> {
    if (!stripeWebhookSecret) throw new HttpError(503, 'WEBHOOK_NOT_CONFIGURED', 'STRIPE_WEBHOOK_SECRET is not set.');
    const rawBody = await req.text();
    const check = await checkStripeSignature(rawBody, req.headers.get('stripe-signature'), stripeWebhookSecret, Math.floor(now().getTime() / 1000));
    if (check !== 'valid') {
      log({ level: 'warn', event: 'bad_signature', reason: check });
      throw new HttpError(400, 'BAD_SIGNATURE', `The Stripe-Signature header is ${check === 'stale' ? 'too old' : check === 'malformed' ? 'missing or malformed' : 'not valid for this body'}.`);
    }
    const json = parseJson(rawBody);
    const event = parseInput(eventSchema, json);
    const [row] = await serviceDb`select private.apply_stripe_event(${event.id}, ${event.type}, ${serviceDb.json(json as never)}) as outcome`;
    log({ event: 'stripe_event', id: event.id, type: event.type, outcome: row.outcome });
    if (row.outcome === 'late: checkout is cancelled' && PAID_EVENTS.has(event.type)) {
      // Money for a cancelled checkout is never kept: recorded once, refunded now (or by the sweep).
      const [late] = await serviceDb`
        select (private.record_late_payment(e.checkout_id, 'stripe')).id as id
        from public.payment_events e where e.provider = 'stripe' and e.event_id = ${event.id}`;
      if (late?.id && refunds) log({ event: 'late_payment_refund', refund: late.id, outcome: await sendPendingRefund(serviceDb, refunds, late.id) });
    }
    return received(row.outcome as string);
  }

  async function clickPesa(req: Request): Promise<Response> {
    if (!clickpesa) throw new HttpError(503, 'WEBHOOK_NOT_CONFIGURED', 'ClickPesa is not configured.');
    const json = parseJson(await req.text());
    // The checksum travels in the body's `checksum` field (docs/payments.md says why), over the
    // body without it, canonically; checked before anything is read or stored.
    const given = (json as { checksum?: unknown } | null)?.checksum;
    if (json === null || typeof json !== 'object' || Array.isArray(json) || typeof given !== 'string' ||
        !constantTimeEqual(given.toLowerCase(), await clickPesaChecksum(clickpesa.checksumKey, json as Record<string, unknown>))) {
      log({ level: 'warn', event: 'bad_checksum', provider: 'clickpesa' });
      throw new HttpError(401, 'BAD_CHECKSUM', 'The checksum is missing or not valid for this body.');
    }
    const claim = clickPesaClaim(parseInput(clickPesaCallbackSchema, json));
    if (await eventSeen(serviceDb, 'clickpesa', claim.eventId)) return received('duplicate');
    const payments = await clickpesa.client.paymentsOf(claim.reference).catch((error) => {
      throw providerUnavailable('ClickPesa', error, log);
    });
    const outcome = await applyMobilePayment(serviceDb, {
      provider: 'clickpesa', eventId: claim.eventId, eventType: claim.eventType, payload: json, reference: claim.reference,
      claimedAmount: claim.amount, claimedCurrency: claim.currency,
      confirmed: clickPesaStatus(clickPesaPaymentOf(payments, claim.eventId)),
    });
    log({ event: 'clickpesa_event', id: claim.eventId, reference: claim.reference, outcome });
    return received(outcome);
  }

  async function mPesa(req: Request, token: string | undefined): Promise<Response> {
    if (!mpesa) throw new HttpError(503, 'WEBHOOK_NOT_CONFIGURED', 'M-Pesa is not configured.');
    if (token === undefined || !constantTimeEqual(token, mpesa.callbackToken)) {
      log({ level: 'warn', event: 'bad_callback_token', provider: 'mpesa' });
      throw new HttpError(404, 'NOT_FOUND', 'No such callback.');
    }
    const json = parseJson(await req.text());
    const claim = mpesaClaim(parseInput(mpesaCallbackSchema, json));
    if (await eventSeen(serviceDb, 'mpesa', claim.eventId)) return received('duplicate');
    const result = await mpesa.client.stkQuery(claim.reference).catch((error) => {
      throw providerUnavailable('M-Pesa', error, log);
    });
    const outcome = await applyMobilePayment(serviceDb, {
      provider: 'mpesa', eventId: claim.eventId, eventType: claim.eventType, payload: json, reference: claim.reference,
      claimedAmount: claim.amount, claimedCurrency: claim.currency,
      // The status query carries no amount: the callback's, checked against the checkout's.
      confirmed: mpesaStatus(result, claim.amount, claim.receipt),
    });
    log({ event: 'mpesa_event', id: claim.eventId, result_code: claim.resultCode, outcome });
    return received(outcome);
  }

  return handle(log, (req) => {
    if (req.method !== 'POST') return Promise.reject(new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use POST.'));
    const segments = new URL(req.url).pathname.split('/').filter(Boolean);
    const at = segments.lastIndexOf('payment-webhook');
    const [provider, token, ...rest] = segments.slice(at + 1);
    if (provider === 'stripe' && token === undefined) return stripe(req);
    if (provider === 'clickpesa' && token === undefined) return clickPesa(req);
    if (provider === 'mpesa' && rest.length === 0) return mPesa(req, token);
    return Promise.reject(new HttpError(404, 'UNKNOWN_PROVIDER', 'Post events to /payment-webhook/stripe, /payment-webhook/clickpesa or the M-Pesa callback URL.'));
  });
}

if (import.meta.main) {
  const stripeKey = envText('STRIPE_SECRET_KEY');
  // Without a secret no signature, checksum or token can be valid: every event is refused.
  serve(createPaymentWebhookHandler({
    db: connectDatabase(),
    stripeWebhookSecret: envText('STRIPE_WEBHOOK_SECRET', ''),
    clickpesa: clickPesaFromEnv(),
    mpesa: mpesaFromEnv(),
    stripeRefunds: stripeKey ? stripeRefunds(stripeKey, envText('STRIPE_API_BASE')) : null,
  }));
}
