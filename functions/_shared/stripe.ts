// The official Stripe client over fetch, pointed at STRIPE_API_BASE when set (tests use a fake).
import Stripe from 'stripe';
import type { StripeCheckoutSessions } from './payments.ts';

function stripeClient(secretKey: string, apiBase?: string): Stripe {
  const base = apiBase ? new URL(apiBase) : null;
  return new Stripe(secretKey, {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 1,
    timeout: 10_000,
    ...(base
      ? {
        host: base.hostname,
        port: base.port || (base.protocol === 'https:' ? '443' : '80'),
        protocol: base.protocol.replace(':', '') as 'http' | 'https',
      }
      : {}),
  });
}

export function stripeCheckoutSessions(secretKey: string, apiBase?: string): StripeCheckoutSessions {
  const stripe = stripeClient(secretKey, apiBase);
  return {
    create: (params, options) =>
      stripe.checkout.sessions.create(params as Stripe.Checkout.SessionCreateParams, options),
    expire: (id) => stripe.checkout.sessions.expire(id),
  };
}

/** The part of Stripe refunds use. */
export interface StripeRefunds {
  /** The PaymentIntent a paid Checkout Session created (null while unpaid). */
  paymentIntentOf(sessionId: string): Promise<string | null>;
  create(params: { payment_intent: string; amount: number; metadata: Record<string, string> }, options: { idempotencyKey: string }): Promise<{ id: string; status: string | null }>;
}

export function stripeRefunds(secretKey: string, apiBase?: string): StripeRefunds {
  const stripe = stripeClient(secretKey, apiBase);
  return {
    async paymentIntentOf(sessionId) {
      const session = await stripe.checkout.sessions.retrieve(sessionId);
      const intent = session.payment_intent;
      return typeof intent === 'string' ? intent : intent?.id ?? null;
    },
    create: (params, options) => stripe.refunds.create(params, options),
  };
}
