// Mobile money behind the payment provider interface (payments.ts), and what each provider
// confirms about a payment: the webhook and the status sweep settle only on the provider's own
// answer, never on a callback alone.
import { type ClickPesaClient, clickPesaAmount, type ClickPesaPayment, orderReferenceOf } from './clickpesa.ts';
import { describeResultCode, type MpesaClient } from './mpesa.ts';
// The postgres.js type, not database.ts: this module stays free of Deno for vitest.
import type postgres from 'postgres';
import type { PaymentProvider } from './payments.ts';

/** What the provider says about a payment, as private.apply_mobile_payment takes it. */
export interface ConfirmedPayment {
  status: 'succeeded' | 'failed' | 'pending' | 'unknown';
  amount: string | null;
  currency: string | null;
  receipt: string | null;
  reason: string | null;
}

export function clickPesaStatus(payment: ClickPesaPayment | undefined): ConfirmedPayment {
  if (!payment) return { status: 'unknown', amount: null, currency: null, receipt: null, reason: null };
  const status = String(payment.status).toUpperCase();
  return {
    status: status === 'SUCCESS' || status === 'SETTLED' ? 'succeeded' : status === 'FAILED' ? 'failed' : 'pending',
    amount: payment.collectedAmount === undefined || payment.collectedAmount === null ? null : String(payment.collectedAmount),
    currency: payment.collectedCurrency ?? null,
    receipt: payment.paymentReference ?? null,
    reason: status === 'FAILED' ? (payment.message ?? 'failed at ClickPesa') : null,
  };
}

/** The one payment a reference settles on: a successful one if any, else the latest. */
export function clickPesaPaymentOf(payments: ClickPesaPayment[], id?: string): ClickPesaPayment | undefined {
  if (id !== undefined) return payments.find((payment) => payment.id === id);
  return payments.find((payment) => ['SUCCESS', 'SETTLED'].includes(String(payment.status).toUpperCase())) ?? payments.at(-1);
}

export function mpesaStatus(result: { resultCode: number; resultDesc: string } | null, amount: string | null = null, receipt: string | null = null): ConfirmedPayment {
  if (result === null) return { status: 'pending', amount: null, currency: null, receipt: null, reason: null };
  return result.resultCode === 0
    ? { status: 'succeeded', amount, currency: amount === null ? null : 'KES', receipt, reason: null }
    : { status: 'failed', amount: null, currency: null, receipt: null, reason: describeResultCode(result.resultCode, result.resultDesc) };
}

export function clickPesaPayments(client: ClickPesaClient): PaymentProvider {
  return {
    name: 'clickpesa',
    configured: true,
    async start(checkout) {
      if (!checkout.phone) throw new Error('a ClickPesa payment needs the payer\'s phone');
      const orderReference = orderReferenceOf(checkout.checkoutId);
      const payment = await client.initiateUssdPush({
        amount: clickPesaAmount(checkout.total),
        currency: checkout.currency,
        orderReference,
        phoneNumber: checkout.phone,
      });
      if (String(payment.status).toUpperCase() === 'FAILED') throw new Error(`ClickPesa refused the push: ${payment.message ?? 'FAILED'}`);
      return { ref: orderReference, redirectUrl: null };
    },
    // A USSD push cannot be withdrawn. The undone checkout is cancelled, so a customer who still
    // approves the push pays a cancelled checkout: that payment is listed for staff to refund.
    cancel: () => Promise.resolve(),
  };
}

export function mpesaPayments(client: MpesaClient, callbackUrl: string): PaymentProvider {
  return {
    name: 'mpesa',
    configured: true,
    async start(checkout) {
      if (!checkout.phone) throw new Error('an M-Pesa payment needs the payer\'s phone');
      const amount = Number(checkout.total);
      if (!Number.isInteger(amount)) throw new Error('M-Pesa takes whole shillings');
      const { checkoutRequestId } = await client.stkPush({
        amount,
        phone: checkout.phone,
        accountReference: orderReferenceOf(checkout.checkoutId).slice(0, 12),
        description: 'Sokoni order',
        callbackUrl,
      });
      return { ref: checkoutRequestId, redirectUrl: null };
    },
    // An STK push cannot be withdrawn either; see clickPesaPayments.
    cancel: () => Promise.resolve(),
  };
}

/** A mobile-money method whose settings are missing: checkout answers 503 before placing anything. */
export function unconfigured(name: 'clickpesa' | 'mpesa', variables: string): PaymentProvider {
  return {
    name,
    configured: false,
    start: () => Promise.reject(new Error(`${variables} are not set`)),
    cancel: () => Promise.resolve(),
  };
}

/** Stores and applies one confirmed result (private.apply_mobile_payment); answers what it did. */
export async function applyMobilePayment(
  serviceDb: postgres.Sql,
  input: {
    provider: 'clickpesa' | 'mpesa';
    eventId: string;
    eventType: string;
    payload: unknown;
    reference: string;
    claimedAmount: string | null;
    claimedCurrency: string | null;
    confirmed: ConfirmedPayment;
  },
): Promise<string> {
  const { confirmed } = input;
  const [row] = await serviceDb`
    select private.apply_mobile_payment(${input.provider}, ${input.eventId}, ${input.eventType},
      ${serviceDb.json(input.payload as never)}, ${input.reference}, ${input.claimedAmount}::numeric, ${input.claimedCurrency},
      ${confirmed.status}, ${confirmed.amount}::numeric, ${confirmed.currency}, ${confirmed.receipt}, ${confirmed.reason}) as outcome`;
  return row.outcome as string;
}

export async function eventSeen(serviceDb: postgres.Sql, provider: string, eventId: string): Promise<boolean> {
  const [row] = await serviceDb`select private.payment_event_seen(${provider}, ${eventId}) as seen`;
  return row.seen as boolean;
}
