// POST /functions/v1/payment-webhook/stripe — Stripe's webhook (verify_jwt off: Stripe signs
// its requests instead). The signature is checked on the raw body before anything is parsed
// or stored; each event is stored once and applied once (private.apply_stripe_event).
import { parseJson } from '../_shared/body.ts';
import { connectDatabase, type Db } from '../_shared/database.ts';
import { success } from '../_shared/envelope.ts';
import { envText } from '../_shared/env.ts';
import { HttpError, parseInput } from '../_shared/errors.ts';
import { handle, serve } from '../_shared/http.ts';
import { jsonLogger, type Logger } from '../_shared/log.ts';
import { eventSchema } from './event.ts';
import { checkStripeSignature } from './stripe-signature.ts';

export interface PaymentWebhookDeps {
  db: Db;
  stripeWebhookSecret: string;
  now?: () => Date;
  log?: Logger;
}

export function createPaymentWebhookHandler({ db, stripeWebhookSecret, now = () => new Date(), log = jsonLogger('payment-webhook') }: PaymentWebhookDeps) {
  return handle(log, async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use POST.');
    const provider = new URL(req.url).pathname.split('/').filter(Boolean).at(-1);
    if (provider !== 'stripe') throw new HttpError(404, 'UNKNOWN_PROVIDER', 'Post Stripe events to /payment-webhook/stripe.');
    if (!stripeWebhookSecret) throw new HttpError(503, 'WEBHOOK_NOT_CONFIGURED', 'STRIPE_WEBHOOK_SECRET is not set.');
    const rawBody = await req.text();
    const check = await checkStripeSignature(rawBody, req.headers.get('stripe-signature'), stripeWebhookSecret, Math.floor(now().getTime() / 1000));
    if (check !== 'valid') {
      log({ level: 'warn', event: 'bad_signature', reason: check });
      throw new HttpError(400, 'BAD_SIGNATURE', `The Stripe-Signature header is ${check === 'stale' ? 'too old' : check === 'malformed' ? 'missing or malformed' : 'not valid for this body'}.`);
    }
    const json = parseJson(rawBody);
    const event = parseInput(eventSchema, json);
    // Service: Stripe is the caller here, proven by the signature, not by a database role.
    const { serviceDb } = db;
    const [row] = await serviceDb`select private.apply_stripe_event(${event.id}, ${event.type}, ${serviceDb.json(json as never)}) as outcome`;
    log({ event: 'stripe_event', id: event.id, type: event.type, outcome: row.outcome });
    return success({ received: true, outcome: row.outcome as string }, 'Event received.');
  });
}

if (import.meta.main) {
  // Without a secret no signature can be valid: every event is refused, none is applied.
  serve(createPaymentWebhookHandler({ db: connectDatabase(), stripeWebhookSecret: envText('STRIPE_WEBHOOK_SECRET', '') }));
}
