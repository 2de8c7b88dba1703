// POST /functions/v1/payment-status — the status sweep of mobile-money payments and pending card
// refunds (service role
// only; private.request_payment_status_sweep calls it every minute through pg_cron). Asks
// ClickPesa and Daraja about payments whose callback has not come, and settles what they confirm.
import { callerOf, jwksVerifier, requireServiceRole, type TokenVerifier } from '../_shared/auth.ts';
import { readJsonBody } from '../_shared/body.ts';
import { connectDatabase, type Db } from '../_shared/database.ts';
import { envInt, envText } from '../_shared/env.ts';
import { success } from '../_shared/envelope.ts';
import { HttpError } from '../_shared/errors.ts';
import { handle, serve } from '../_shared/http.ts';
import { jsonLogger, type Logger } from '../_shared/log.ts';
import { clickPesaFromEnv, mpesaFromEnv } from '../_shared/mobile-money-env.ts';
import { stripeRefunds } from '../_shared/stripe.ts';
import { sweep, type SweepConfig, type SweepProviders, sweepRequest } from './sweep.ts';

export interface PaymentStatusDeps {
  db: Db;
  verify: TokenVerifier;
  providers: SweepProviders;
  config: SweepConfig;
  log?: Logger;
}

export function createPaymentStatusHandler({ db, verify, providers, config, log = jsonLogger('payment-status') }: PaymentStatusDeps) {
  return handle(log, async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use POST.');
    requireServiceRole(await callerOf(req, verify));
    await readJsonBody(req, sweepRequest, { whenEmpty: {} });
    // Service: payments and the inbox are the service's own bookkeeping (service-role callers
    // only, checked above); the payment RPCs are private.
    const report = await sweep(db.serviceDb, providers, config, log);
    return success(report, `Asked about ${report.checked} mobile-money payments; ${report.still_pending} still pending, ${report.errors} not answered.`);
  });
}

if (import.meta.main) {
  const stripeKey = envText('STRIPE_SECRET_KEY');
  serve(createPaymentStatusHandler({
    db: connectDatabase(),
    verify: jwksVerifier(envText('SUPABASE_JWKS', '{"keys":[]}')),
    providers: {
      clickpesa: clickPesaFromEnv()?.client ?? null,
      mpesa: mpesaFromEnv()?.client ?? null,
      stripe: stripeKey ? stripeRefunds(stripeKey, envText('STRIPE_API_BASE')) : null,
    },
    config: {
      minAgeSeconds: envInt('PAYMENT_STATUS_MIN_AGE_SECONDS', 180, { min: 0, max: 3600 }),
      batchSize: envInt('PAYMENT_STATUS_BATCH_SIZE', 50, { min: 1, max: 500 }),
    },
  }));
}
