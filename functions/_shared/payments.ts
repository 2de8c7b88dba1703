// The payment provider interface behind checkout: `manual` (cash or bank transfer recorded by
// staff through update_order_status), `stripe` (a hosted Checkout Session), and mobile money
// (`clickpesa`, `mpesa`: a push to the payer's phone, mobile-money.ts).

export type PaymentMethod = 'manual' | 'stripe' | 'clickpesa' | 'mpesa';

export interface CheckoutForPayment {
  checkoutId: string;
  total: string | number;
  currency: string;
  orders: Array<{ id: string; business_id: string; total: string | number }>;
  /** Mobile money: the payer's number, international digits without +. */
  phone?: string;
}

export interface PaymentSession {
  ref: string;
  redirectUrl: string | null;
}

export interface PaymentProvider {
  readonly name: PaymentMethod;
  /** False when the provider lacks its configuration: checkout refuses before placing anything. */
  readonly configured: boolean;
  /** Starts the payment; null when there is nothing to start. Idempotent per checkout. */
  start(checkout: CheckoutForPayment): Promise<PaymentSession | null>;
  /** Withdraws a started payment (the undo of start). Idempotent. */
  cancel(session: PaymentSession): Promise<void>;
}

export const manualPayments: PaymentProvider = {
  name: 'manual',
  configured: true,
  start: () => Promise.resolve(null),
  cancel: () => Promise.resolve(),
};

/** The part of the Stripe client checkout uses (the official `stripe` package provides it). */
export interface StripeCheckoutSessions {
  create(params: Record<string, unknown>, options: { idempotencyKey: string }): Promise<{ id: string; url?: string | null }>;
  expire(id: string): Promise<unknown>;
}

export interface StripeSettings {
  successUrl: string;
  cancelUrl: string;
  /** Stripe's lower bound for a session's lifetime is 30 minutes; reservations default to the same. */
  sessionMinutes: number;
  now?: () => Date;
}

// Currencies Stripe counts in whole units (https://docs.stripe.com/currencies#zero-decimal).
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);

/** An amount such as "1250.50" in the currency's smallest unit, without floating point. */
export function toMinorUnits(amount: string | number, currency: string): number {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(amount));
  if (!match) throw new Error(`not an amount: ${amount}`);
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return ZERO_DECIMAL.has(currency.toUpperCase()) ? Math.round(cents / 100) : cents;
}

export function sessionParams(checkout: CheckoutForPayment, settings: StripeSettings): Record<string, unknown> {
  const now = settings.now?.() ?? new Date();
  return {
    mode: 'payment',
    client_reference_id: checkout.checkoutId,
    metadata: { checkout_id: checkout.checkoutId },
    success_url: settings.successUrl,
    cancel_url: settings.cancelUrl,
    expires_at: Math.floor(now.getTime() / 1000) + settings.sessionMinutes * 60,
    line_items: checkout.orders.map((order) => ({
      quantity: 1,
      price_data: {
        currency: checkout.currency.toLowerCase(),
        unit_amount: toMinorUnits(order.total, checkout.currency),
        product_data: { name: `Sokoni order ${order.id}` },
      },
    })),
  };
}

/** Card payments without STRIPE_SECRET_KEY: checkout answers 503 before placing anything. */
export const unconfiguredStripe: PaymentProvider = {
  name: 'stripe',
  configured: false,
  start: () => Promise.reject(new Error('STRIPE_SECRET_KEY is not set')),
  cancel: () => Promise.resolve(),
};

export function stripePayments(sessions: StripeCheckoutSessions, settings: StripeSettings): PaymentProvider {
  return {
    name: 'stripe',
    configured: true,
    async start(checkout) {
      // Stripe's own idempotency: a retried start returns the session created the first time.
      const session = await sessions.create(sessionParams(checkout, settings), { idempotencyKey: `checkout-${checkout.checkoutId}` });
      return { ref: session.id, redirectUrl: session.url ?? null };
    },
    async cancel(session) {
      try {
        await sessions.expire(session.ref);
      } catch (error) {
        // Already expired or completed: nothing left to withdraw.
        if ((error as { statusCode?: number })?.statusCode !== 400) throw error;
      }
    },
  };
}
