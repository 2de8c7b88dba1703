// A fake ClickPesa API on 127.0.0.1, in ClickPesa's wire format: tokens from /generate-token
// (client-id and api-key headers; the token already prefixed "Bearer "), USSD pushes whose
// checksum, orderReference, phone and currency it checks as ClickPesa does, and the status
// endpoint (an array; 404 when the reference is unknown). Its checksum is computed here, apart
// from the function's code, so that a wrong canonical form fails.
import { createHmac, randomBytes } from 'node:crypto';
import { type FakeServer, startFakeServer } from './fake-server.ts';

export const CLICKPESA_CLIENT = { clientId: 'IDtestclient', apiKey: 'SKtestapikey', checksumKey: 'CHKtestchecksumkey' };

export interface FakePayment {
  id: string;
  status: string;
  orderReference: string;
  collectedAmount: string;
  collectedCurrency: string;
  paymentReference: string | null;
  paymentPhoneNumber: string;
  message: string;
  createdAt: string;
  updatedAt: string;
  clientId: string;
}

export interface FakeClickPesa extends FakeServer {
  payments: Map<string, FakePayment>;
  tokensIssued: () => number;
  /** Every following call answers this status (null: normal again). */
  failWith(status: number | null): void;
  /** The payment's new status at ClickPesa (as if the customer answered the push). */
  settle(orderReference: string, status: 'SUCCESS' | 'SETTLED' | 'FAILED' | 'PROCESSING', changes?: Partial<FakePayment>): FakePayment;
  /** ClickPesa's webhook body for the payment, checksummed (the current shape, or the older one). */
  webhookBody(orderReference: string, options?: { shape?: 'current' | 'legacy'; changes?: Record<string, unknown>; key?: string }): Record<string, unknown>;
  /** Forgets issued tokens (toggling checksums in the dashboard does this). */
  revokeTokens(): void;
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sorted((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function checksumOf(payload: Record<string, unknown>, key = CLICKPESA_CLIENT.checksumKey): string {
  const copy = { ...payload };
  delete copy.checksum;
  delete copy.checksumMethod;
  return createHmac('sha256', key).update(JSON.stringify(sorted(copy))).digest('hex');
}

const error = (status: number, message: string) => ({ status, body: JSON.stringify({ message }) });

export async function startFakeClickPesa(): Promise<FakeClickPesa> {
  const payments = new Map<string, FakePayment>();
  const tokens = new Set<string>();
  let issued = 0;
  let failure: number | null = null;
  const server = await startFakeServer((request) => {
    if (failure !== null) return error(failure, 'The fake ClickPesa is failing on purpose.');
    if (request.method === 'POST' && request.path === '/generate-token') {
      if (request.headers['client-id'] !== CLICKPESA_CLIENT.clientId) return error(401, 'Unauthorized');
      if (request.headers['api-key'] !== CLICKPESA_CLIENT.apiKey) return error(403, 'Invalid or Expired API-Key');
      const token = `Bearer ${randomBytes(16).toString('hex')}`;
      tokens.add(token);
      issued += 1;
      return { status: 200, body: JSON.stringify({ success: true, token }) };
    }
    if (!tokens.has(String(request.headers.authorization ?? ''))) return error(401, 'Unauthorized');
    if (request.method === 'POST' && request.path === '/payments/initiate-ussd-push-request') {
      const body = JSON.parse(request.body) as Record<string, unknown>;
      if (typeof body.checksum !== 'string' || body.checksum !== checksumOf(body)) return error(400, 'Invalid checksum');
      if (typeof body.amount !== 'string' || !/^\d+(\.\d{1,2})?$/.test(body.amount)) return error(400, 'amount must be a number string');
      if (body.currency !== 'TZS') return error(400, 'currency must be TZS');
      if (typeof body.orderReference !== 'string' || !/^[A-Za-z0-9]+$/.test(body.orderReference)) return error(400, 'Invalid order reference');
      if (typeof body.phoneNumber !== 'string' || !/^255[67]\d{8}$/.test(body.phoneNumber)) return error(400, 'Invalid phone number');
      if (payments.has(body.orderReference)) return error(409, `Order reference ${body.orderReference} already used`);
      const now = new Date().toISOString();
      const payment: FakePayment = {
        id: `LEAD${randomBytes(6).toString('hex').toUpperCase()}`, status: 'PROCESSING', orderReference: body.orderReference,
        collectedAmount: body.amount, collectedCurrency: 'TZS', paymentReference: null, paymentPhoneNumber: body.phoneNumber,
        message: 'Processing', createdAt: now, updatedAt: now, clientId: CLICKPESA_CLIENT.clientId,
      };
      payments.set(payment.orderReference, payment);
      const { id, status, orderReference, collectedAmount, collectedCurrency, createdAt, clientId } = payment;
      return { status: 200, body: JSON.stringify({ id, status, channel: 'TIGO-PESA', orderReference, collectedAmount, collectedCurrency, createdAt, clientId }) };
    }
    const status = /^\/payments\/([^/]+)$/.exec(request.path);
    if (request.method === 'GET' && status) {
      const payment = payments.get(decodeURIComponent(status[1]));
      return payment ? { status: 200, body: JSON.stringify([payment]) } : error(404, 'Payment not found');
    }
    return error(404, 'Cannot find the requested resource');
  });
  return {
    ...server,
    payments,
    tokensIssued: () => issued,
    failWith(status) {
      failure = status;
    },
    settle(orderReference, status, changes = {}) {
      const payment = payments.get(orderReference);
      if (!payment) throw new Error(`no payment ${orderReference}`);
      Object.assign(payment, {
        status,
        paymentReference: status === 'FAILED' ? null : `MP${randomBytes(5).toString('hex').toUpperCase()}`,
        message: status === 'FAILED' ? 'Insufficient balance' : 'Payment received',
        updatedAt: new Date().toISOString(),
      }, changes);
      return payment;
    },
    webhookBody(orderReference, { shape = 'current', changes = {}, key } = {}) {
      const payment = payments.get(orderReference);
      if (!payment) throw new Error(`no payment ${orderReference}`);
      const failed = payment.status === 'FAILED';
      const data = shape === 'current'
        ? {
          id: payment.id, status: payment.status, paymentReference: payment.paymentReference, orderReference,
          collectedAmount: payment.collectedAmount, collectedCurrency: payment.collectedCurrency, message: payment.message,
          channel: 'TIGO-PESA', createdAt: payment.createdAt, updatedAt: payment.updatedAt,
          customer: { customerName: 'Amina Juma', customerEmail: null, customerPhoneNumber: payment.paymentPhoneNumber },
        }
        : { paymentId: payment.id, orderReference, amount: payment.collectedAmount, currency: payment.collectedCurrency, status: payment.status };
      const body: Record<string, unknown> = {
        ...(shape === 'current' ? { event: failed ? 'PAYMENT FAILED' : 'PAYMENT RECEIVED' } : { eventType: failed ? 'PAYMENT FAILED' : 'PAYMENT RECEIVED' }),
        data: { ...data, ...changes },
      };
      return { ...body, checksum: checksumOf(body, key) };
    },
    revokeTokens() {
      tokens.clear();
    },
  };
}
