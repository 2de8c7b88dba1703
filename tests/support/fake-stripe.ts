// A fake Stripe API on 127.0.0.1: records requests and answers in Stripe's wire format
// (form-encoded requests, JSON objects with `object`, errors as {error: {type, message}}).
import { randomBytes } from 'node:crypto';
import { type FakeServer, type RecordedRequest, startFakeServer } from './fake-server.ts';

export interface FakeStripe extends FakeServer {
  /** Sessions created so far, by id. */
  sessions: Map<string, Record<string, unknown>>;
  /** Make every following API call fail with this HTTP status (null: succeed again). */
  failWith(status: number | null): void;
  /** The form fields of a recorded request (Stripe's bracket notation kept as keys). */
  formOf(request: RecordedRequest): Record<string, string>;
  /** Refunds made so far, by id. */
  refunds: Map<string, Record<string, unknown>>;
  /** The customer paid the session: it now has a PaymentIntent of `amount` (smallest unit). */
  pay(sessionId: string, amount: number): string;
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const sessions = new Map<string, Record<string, unknown>>();
  const byIdempotencyKey = new Map<string, string>();
  const refunds = new Map<string, Record<string, unknown>>();
  const refundByKey = new Map<string, string>();
  const intents = new Map<string, { amount: number; refunded: number }>();
  let failure: number | null = null;
  const formOf = (request: RecordedRequest) => Object.fromEntries(new URLSearchParams(request.body));
  const server = await startFakeServer((request) => {
    if (failure !== null) {
      return {
        status: failure,
        body: JSON.stringify({ error: { type: 'api_error', message: 'The fake Stripe is failing on purpose.' } }),
      };
    }
    if (request.method === 'POST' && request.path === '/v1/checkout/sessions') {
      const key = String(request.headers['idempotency-key'] ?? '');
      const known = key ? byIdempotencyKey.get(key) : undefined;
      if (known) return { status: 200, body: JSON.stringify(sessions.get(known)) };
      const form = formOf(request);
      const id = `cs_test_${randomBytes(12).toString('hex')}`;
      const session = {
        id,
        object: 'checkout.session',
        mode: form.mode,
        status: 'open',
        payment_status: 'unpaid',
        client_reference_id: form.client_reference_id ?? null,
        metadata: { checkout_id: form['metadata[checkout_id]'] },
        currency: form['line_items[0][price_data][currency]'],
        expires_at: Number(form.expires_at),
        url: `https://checkout.stripe.test/c/pay/${id}`,
      };
      sessions.set(id, session);
      if (key) byIdempotencyKey.set(key, id);
      return { status: 200, body: JSON.stringify(session) };
    }
    const retrieve = /^\/v1\/checkout\/sessions\/([^/?]+)(\?.*)?$/.exec(request.path);
    if (request.method === 'GET' && retrieve) {
      const session = sessions.get(retrieve[1]);
      return session
        ? { status: 200, body: JSON.stringify(session) }
        : { status: 404, body: JSON.stringify({ error: { type: 'invalid_request_error', message: 'No such checkout.session.' } }) };
    }
    if (request.method === 'POST' && request.path === '/v1/refunds') {
      const key = String(request.headers['idempotency-key'] ?? '');
      const known = key ? refundByKey.get(key) : undefined;
      if (known) return { status: 200, body: JSON.stringify(refunds.get(known)) };
      const form = formOf(request);
      const intent = intents.get(form.payment_intent);
      const amount = Number(form.amount);
      if (!intent) return { status: 400, body: JSON.stringify({ error: { type: 'invalid_request_error', message: `No such payment_intent: '${form.payment_intent}'` } }) };
      if (!Number.isInteger(amount) || amount < 1 || intent.refunded + amount > intent.amount) {
        return { status: 400, body: JSON.stringify({ error: { type: 'invalid_request_error', code: 'amount_too_large', message: 'Refund amount is greater than unrefunded amount on charge.' } }) };
      }
      intent.refunded += amount;
      const refund = { id: `re_${randomBytes(12).toString('hex')}`, object: 'refund', amount, payment_intent: form.payment_intent, status: 'succeeded', metadata: { refund_id: form['metadata[refund_id]'] } };
      refunds.set(refund.id, refund);
      if (key) refundByKey.set(key, refund.id);
      return { status: 200, body: JSON.stringify(refund) };
    }
    const expire = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/.exec(request.path);
    if (request.method === 'POST' && expire) {
      const session = sessions.get(expire[1]);
      if (!session || session.status !== 'open') {
        return { status: 400, body: JSON.stringify({ error: { type: 'invalid_request_error', message: 'Session is not open.' } }) };
      }
      session.status = 'expired';
      return { status: 200, body: JSON.stringify(session) };
    }
    return { status: 404, body: JSON.stringify({ error: { type: 'invalid_request_error', message: 'Unknown path.' } }) };
  });
  return {
    ...server,
    sessions,
    formOf,
    refunds,
    pay(sessionId, amount) {
      const session = sessions.get(sessionId);
      if (!session) throw new Error(`no session ${sessionId}`);
      const intent = `pi_${randomBytes(12).toString('hex')}`;
      intents.set(intent, { amount, refunded: 0 });
      Object.assign(session, { status: 'complete', payment_status: 'paid', payment_intent: intent, amount_total: amount });
      return intent;
    },
    failWith(status) {
      failure = status;
    },
  };
}
