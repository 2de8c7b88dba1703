// A fake Safaricom Daraja (M-Pesa Express) on 127.0.0.1, in Daraja's wire format: OAuth tokens
// for Basic consumer credentials (expires_in a string), STK pushes whose Password, Timestamp,
// phone, amount and references it checks as Daraja does, the STK status query (ResultCode a
// string there; "still processing" an error), errors as {requestId, errorCode, errorMessage}.
import { randomBytes } from 'node:crypto';
import { type FakeServer, startFakeServer } from './fake-server.ts';

export const DARAJA_APP = { consumerKey: 'ck_test_sokoni', consumerSecret: 'cs_test_sokoni', shortcode: '174379', passkey: 'pk_test_passkey_0123456789abcdef' };

export interface FakePush {
  merchantRequestId: string;
  checkoutRequestId: string;
  amount: number;
  phone: string;
  callbackUrl: string;
  accountReference: string;
  result: { code: number; desc: string } | null;
}

export interface FakeDaraja extends FakeServer {
  pushes: Map<string, FakePush>;
  tokensIssued: () => number;
  failWith(status: number | null): void;
  /** The customer answered the push: Daraja now knows its result. */
  finish(checkoutRequestId: string, code: number, desc?: string): FakePush;
  /** The callback Daraja posts for a finished push (metadata on success only). */
  callbackFor(checkoutRequestId: string, changes?: { amount?: number; receipt?: string }): Record<string, unknown>;
}

const fail = (status: number, errorCode: string, errorMessage: string) =>
  ({ status, body: JSON.stringify({ requestId: randomBytes(6).toString('hex'), errorCode, errorMessage }) });

function timestampIsNow(timestamp: string): boolean {
  if (!/^\d{14}$/.test(timestamp)) return false;
  const [y, mo, d, h, mi, s] = [0, 4, 6, 8, 10, 12].map((at, i) => Number(timestamp.slice(at, at + (i === 0 ? 4 : 2))));
  // Kenyan time, UTC+3.
  const at = Date.UTC(y, mo - 1, d, h - 3, mi, s);
  return Math.abs(at - Date.now()) < 5 * 60 * 1000;
}

export async function startFakeDaraja(): Promise<FakeDaraja> {
  const pushes = new Map<string, FakePush>();
  const tokens = new Set<string>();
  let issued = 0;
  let failure: number | null = null;
  const checkSigned = (body: Record<string, unknown>) => {
    if (body.BusinessShortCode !== DARAJA_APP.shortcode) return fail(400, '400.002.02', 'Bad Request - Invalid BusinessShortCode');
    if (typeof body.Timestamp !== 'string' || !timestampIsNow(body.Timestamp)) return fail(400, '400.002.02', 'Bad Request - Invalid Timestamp');
    const expected = Buffer.from(DARAJA_APP.shortcode + DARAJA_APP.passkey + body.Timestamp).toString('base64');
    if (body.Password !== expected) return fail(500, '500.001.1001', 'Wrong credentials');
    return null;
  };
  const server = await startFakeServer((request) => {
    if (failure !== null) return fail(failure, `${failure}.000.00`, 'The fake Daraja is failing on purpose');
    if (request.method === 'GET' && request.path === '/oauth/v1/generate?grant_type=client_credentials') {
      const expected = `Basic ${Buffer.from(`${DARAJA_APP.consumerKey}:${DARAJA_APP.consumerSecret}`).toString('base64')}`;
      if (request.headers.authorization !== expected) return fail(400, '400.008.01', 'Invalid Authentication passed');
      const token = randomBytes(14).toString('base64url');
      tokens.add(token);
      issued += 1;
      return { status: 200, body: JSON.stringify({ access_token: token, expires_in: '3599' }) };
    }
    const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''));
    if (!bearer || !tokens.has(bearer[1])) return fail(401, '404.001.04', 'Invalid Access Token');
    const body = JSON.parse(request.body || '{}') as Record<string, unknown>;
    if (request.method === 'POST' && request.path === '/mpesa/stkpush/v1/processrequest') {
      const refused = checkSigned(body);
      if (refused) return refused;
      if (body.TransactionType !== 'CustomerPayBillOnline') return fail(400, '400.002.02', 'Bad Request - Invalid TransactionType');
      if (typeof body.Amount !== 'number' || !Number.isInteger(body.Amount) || body.Amount < 1) return fail(400, '400.002.02', 'Bad Request - Invalid Amount');
      if (typeof body.PhoneNumber !== 'string' || !/^254(7|1)\d{8}$/.test(body.PhoneNumber) || body.PartyA !== body.PhoneNumber) {
        return fail(400, '400.002.02', 'Bad Request - Invalid PhoneNumber');
      }
      if (body.PartyB !== DARAJA_APP.shortcode) return fail(400, '400.002.02', 'Bad Request - Invalid PartyB');
      if (typeof body.CallBackURL !== 'string' || !/^https?:\/\//.test(body.CallBackURL)) return fail(400, '400.002.02', 'Bad Request - Invalid CallBackURL');
      if (typeof body.AccountReference !== 'string' || body.AccountReference.length < 1 || body.AccountReference.length > 12) {
        return fail(400, '400.002.02', 'Bad Request - Invalid AccountReference');
      }
      if (typeof body.TransactionDesc !== 'string' || body.TransactionDesc.length > 13) return fail(400, '400.002.02', 'Bad Request - Invalid TransactionDesc');
      const push: FakePush = {
        merchantRequestId: `${randomBytes(3).toString('hex')}-${Date.now()}-1`,
        checkoutRequestId: `ws_CO_${Date.now()}${randomBytes(4).toString('hex')}`,
        amount: body.Amount, phone: body.PhoneNumber, callbackUrl: body.CallBackURL, accountReference: body.AccountReference, result: null,
      };
      pushes.set(push.checkoutRequestId, push);
      return {
        status: 200,
        body: JSON.stringify({
          MerchantRequestID: push.merchantRequestId, CheckoutRequestID: push.checkoutRequestId, ResponseCode: '0',
          ResponseDescription: 'Success. Request accepted for processing', CustomerMessage: 'Success. Request accepted for processing',
        }),
      };
    }
    if (request.method === 'POST' && request.path === '/mpesa/stkpushquery/v1/query') {
      const refused = checkSigned(body);
      if (refused) return refused;
      const push = pushes.get(String(body.CheckoutRequestID));
      if (!push) return fail(400, '400.002.02', 'Bad Request - Invalid CheckoutRequestID');
      if (!push.result) return fail(500, '500.001.1001', 'The transaction is being processed');
      return {
        status: 200,
        body: JSON.stringify({
          ResponseCode: '0', ResponseDescription: 'The service request has been accepted successsfully',
          MerchantRequestID: push.merchantRequestId, CheckoutRequestID: push.checkoutRequestId,
          ResultCode: String(push.result.code), ResultDesc: push.result.desc,
        }),
      };
    }
    return fail(404, '404.001.01', 'Resource not found');
  });
  return {
    ...server,
    pushes,
    tokensIssued: () => issued,
    failWith(status) {
      failure = status;
    },
    finish(checkoutRequestId, code, desc) {
      const push = pushes.get(checkoutRequestId);
      if (!push) throw new Error(`no push ${checkoutRequestId}`);
      push.result = { code, desc: desc ?? (code === 0 ? 'The service request is processed successfully.' : 'Request cancelled by user') };
      return push;
    },
    callbackFor(checkoutRequestId, changes = {}) {
      const push = pushes.get(checkoutRequestId);
      if (!push?.result) throw new Error(`push ${checkoutRequestId} is not finished`);
      const stkCallback: Record<string, unknown> = {
        MerchantRequestID: push.merchantRequestId, CheckoutRequestID: push.checkoutRequestId,
        ResultCode: push.result.code, ResultDesc: push.result.desc,
      };
      if (push.result.code === 0) {
        stkCallback.CallbackMetadata = {
          Item: [
            { Name: 'Amount', Value: changes.amount ?? push.amount },
            { Name: 'MpesaReceiptNumber', Value: changes.receipt ?? `NLJ${randomBytes(4).toString('hex').toUpperCase()}` },
            { Name: 'Balance' },
            { Name: 'TransactionDate', Value: 20261130093000 },
            { Name: 'PhoneNumber', Value: Number(push.phone) },
          ],
        };
      }
      return { Body: { stkCallback } };
    },
  };
}
