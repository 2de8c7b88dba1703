// POST /functions/v1/checkout — turns the caller's cart into orders, once per Idempotency-Key,
// and starts the payment. Steps, each next to its undo:
//   placeOrder    ↔ undo_checkout (cancel the orders, restore stock, give the cart back)
//   startPayment  ↔ withdraw the provider's session (a mobile-money push cannot be withdrawn:
//                   a payment approved after the undo is listed for staff as late)
//   recordPayment   (last: nothing after it can fail)
import { type Caller, callerOf, jwksVerifier, requireUser, type TokenVerifier } from '../_shared/auth.ts';
import { connectDatabase, type Db } from '../_shared/database.ts';
import type { Database } from '../_shared/database.types.ts';
import { success } from '../_shared/envelope.ts';
import { envText } from '../_shared/env.ts';
import { HttpError } from '../_shared/errors.ts';
import { handle, serve } from '../_shared/http.ts';
import { jsonLogger, type Logger } from '../_shared/log.ts';
import { clickPesaPayments, mpesaPayments, unconfigured } from '../_shared/mobile-money.ts';
import { clickPesaFromEnv, mpesaFromEnv } from '../_shared/mobile-money-env.ts';
import { manualPayments, type PaymentMethod, type PaymentProvider, type PaymentSession, stripePayments, unconfiguredStripe } from '../_shared/payments.ts';
import { runSteps, StepFailed } from '../_shared/steps.ts';
import { stripeCheckoutSessions } from '../_shared/stripe.ts';
import { type CheckoutBody, parseCheckoutBody, parseIdempotencyKey } from './request.ts';

type Enums = Database['public']['Enums'];

/** What private.place_checkout returns. */
export interface CheckoutResult {
  checkout_id: string;
  status: Enums['checkout_status'];
  /** JSON numbers with two decimals (numeric(12, 2) in the database). */
  total: number;
  currency: string;
  orders: Array<{ id: string; business_id: string; total: number; status: Enums['order_status'] }>;
  payment: { id: string; provider: PaymentMethod; status: Enums['payment_status']; provider_ref?: string; redirect_url?: string };
  replayed: boolean;
}

export interface CheckoutDeps {
  db: Db;
  verify: TokenVerifier;
  providers: Record<PaymentMethod, PaymentProvider>;
  log?: Logger;
}

interface CheckoutState {
  result?: CheckoutResult;
  session?: PaymentSession | null;
}

function publicView({ replayed: _replayed, ...result }: CheckoutResult) {
  const { id: _id, provider_ref: _ref, ...payment } = result.payment;
  return { ...result, payment };
}

export function createCheckoutHandler({ db, verify, providers, log = jsonLogger('checkout') }: CheckoutDeps) {
  return handle(log, async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use POST.');
    const caller: Caller = await callerOf(req, verify);
    const user = requireUser(caller);
    const key = parseIdempotencyKey(req.headers);
    const body: CheckoutBody = await parseCheckoutBody(req);
    const provider = providers[body.payment_method];
    if (!provider.configured) {
      throw new HttpError(503, 'PAYMENTS_NOT_CONFIGURED', `Payment by ${body.payment_method} is not available right now; choose another method.`);
    }

    // Service: the checkout RPCs are private; place_checkout reads the cart of the verified
    // caller (user.id) itself, under the locks its invariants need.
    const { serviceDb } = db;
    const needsPaymentStart = (result: CheckoutResult) =>
      provider.name !== 'manual' && result.status === 'pending_payment' && !result.payment.provider_ref;

    const final = await runSteps<CheckoutState>([
      {
        name: 'placeOrder',
        run: async (state) => {
          const [row] = await serviceDb`
            select private.place_checkout(${user.id}, ${key}, ${body.payment_method},
                                          ${serviceDb.json(body.shipping_address)}, ${body.notes ?? null},
                                          ${body.phone ?? null}) as result`;
          return { ...state, result: row.result as CheckoutResult };
        },
        undo: async ({ result }) => {
          if (result) await serviceDb`select private.undo_checkout(${result.checkout_id}, 'The payment could not be started')`;
        },
      },
      {
        name: 'startPayment',
        run: async (state) => {
          if (!needsPaymentStart(state.result!)) return state;
          const { checkout_id, total, currency, orders } = state.result!;
          return { ...state, session: await provider.start({ checkoutId: checkout_id, total, currency, orders, phone: body.phone }) };
        },
        undo: async ({ session }) => {
          if (session) await provider.cancel(session);
        },
      },
      {
        name: 'recordPayment',
        run: async (state) => {
          if (!state.session) return state;
          const [row] = await serviceDb`
            select private.record_payment_session(${state.result!.checkout_id}, ${state.session.ref},
                                                  ${state.session.redirectUrl}) as result`;
          return { ...state, result: { ...(row.result as CheckoutResult), replayed: state.result!.replayed } };
        },
      },
    ], {}, log).catch((error) => {
      if (error instanceof StepFailed && error.step !== 'placeOrder') {
        log({ level: 'error', event: 'payment_start_failed', step: error.step, message: String((error.cause as Error)?.message ?? error.cause) });
        throw new HttpError(503, 'PAYMENT_UNAVAILABLE',
          'The payment could not be started. Nothing was charged and your cart is as it was; try again with a new Idempotency-Key.');
      }
      throw error instanceof StepFailed ? error.cause : error;
    });

    const result = final.result!;
    return result.replayed
      ? success(publicView(result), 'This checkout was already placed with this Idempotency-Key.', 200)
      : success(publicView(result), 'Order placed.', 201);
  });
}

if (import.meta.main) {
  const clickpesa = clickPesaFromEnv();
  const mpesa = mpesaFromEnv();
  const siteUrl = envText('SITE_URL', 'http://127.0.0.1:3000');
  const stripeKey = envText('STRIPE_SECRET_KEY');
  serve(createCheckoutHandler({
    db: connectDatabase(),
    verify: jwksVerifier(envText('SUPABASE_JWKS', '{"keys":[]}')),
    providers: {
      manual: manualPayments,
      stripe: stripeKey
        ? stripePayments(stripeCheckoutSessions(stripeKey, envText('STRIPE_API_BASE')), {
          successUrl: envText('CHECKOUT_SUCCESS_URL', `${siteUrl}/checkout/success`),
          cancelUrl: envText('CHECKOUT_CANCEL_URL', `${siteUrl}/checkout/cancelled`),
          sessionMinutes: 30,
        })
        : unconfiguredStripe,
      clickpesa: clickpesa ? clickPesaPayments(clickpesa.client) : unconfigured('clickpesa', 'CLICKPESA_CLIENT_ID, CLICKPESA_API_KEY and CLICKPESA_CHECKSUM_KEY'),
      mpesa: mpesa
        ? mpesaPayments(mpesa.client, mpesa.callbackUrl)
        : unconfigured('mpesa', 'MPESA_CONSUMER_KEY, MPESA_CONSUMER_SECRET, MPESA_SHORTCODE, MPESA_PASSKEY and MPESA_CALLBACK_TOKEN'),
    },
  }));
}
