// The official Stripe client over fetch, pointed at STRIPE_API_BASE when set (tests use a fake).
import Stripe from 'stripe';
import type { StripeCheckoutSessions } from './payments.ts';

export function stripeCheckoutSessions(secretKey: string, apiBase?: string): StripeCheckoutSessions {
  const base = apiBase ? new URL(apiBase) : null;
  const stripe = new Stripe(secretKey, {
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
  return {
    create: (params, options) =>
      stripe.checkout.sessions.create(params as Stripe.Checkout.SessionCreateParams, options),
    expire: (id) => stripe.checkout.sessions.expire(id),
  };
}
