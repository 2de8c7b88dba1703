// Safaricom Daraja's M-Pesa Express (STK push) over fetch at MPESA_API_BASE
// (https://sandbox.safaricom.co.ke or https://api.safaricom.co.ke). An OAuth token
// (client credentials, Basic auth) is cached for its lifetime; each push and status query
// carries Password = base64(shortcode + passkey + timestamp) with its YYYYMMDDHHmmss timestamp.

export interface MpesaSettings {
  apiBase: string;
  consumerKey: string;
  consumerSecret: string;
  shortcode: string;
  passkey: string;
  timeoutMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

export class MpesaError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(`Daraja answered ${status} ${code}: ${message}`);
  }
}

/**
 * Daraja's error code for a push the customer has not answered yet ("The transaction is being
 * processed"). Daraja uses the same code for other errors (wrong credentials), so the message
 * is read too: only "being processed" means pending.
 */
export const STILL_PROCESSING = '500.001.1001';

/**
 * The timestamp Daraja expects: YYYYMMDDHHmmss in Kenyan time (EAT, UTC+3 all year; Safaricom's
 * examples and the sandbox use local time).
 */
export function darajaTimestamp(at: number): string {
  const eat = new Date(at + 3 * 60 * 60 * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${eat.getUTCFullYear()}${pad(eat.getUTCMonth() + 1)}${pad(eat.getUTCDate())}${pad(eat.getUTCHours())}${pad(eat.getUTCMinutes())}${pad(eat.getUTCSeconds())}`;
}

export function darajaPassword(shortcode: string, passkey: string, timestamp: string): string {
  return btoa(shortcode + passkey + timestamp);
}

/** What a result code means, in words a customer and staff understand. */
export function describeResultCode(code: number, description: string | undefined): string {
  const known: Record<number, string> = {
    1: 'insufficient funds on the M-Pesa account',
    17: 'a duplicate of a push sent less than 2 minutes earlier',
    1019: 'the request expired before the customer answered (timeout)',
    1032: 'cancelled by the customer',
    1037: 'the phone could not be reached (timeout)',
    2001: 'wrong M-Pesa PIN',
  };
  return known[code] ?? `M-Pesa result ${code}${description ? `: ${description}` : ''}`;
}

export function mpesaClient(settings: MpesaSettings) {
  const now = settings.now ?? Date.now;
  const doFetch = settings.fetch ?? fetch;
  const base = settings.apiBase.replace(/\/+$/, '');
  let cached: { token: string; until: number } | null = null;
  let pending: Promise<string> | null = null;

  async function call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
    const response = await doFetch(`${base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(settings.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { errorMessage: text.slice(0, 200) };
    }
    return { status: response.status, json };
  }

  const failure = (status: number, json: Record<string, unknown>) =>
    new MpesaError(status, String(json.errorCode ?? json.ResponseCode ?? 'unknown'), String(json.errorMessage ?? json.ResponseDescription ?? 'no message'));

  async function fetchToken(): Promise<string> {
    const basic = btoa(`${settings.consumerKey}:${settings.consumerSecret}`);
    const { status, json } = await call('GET', '/oauth/v1/generate?grant_type=client_credentials', { authorization: `Basic ${basic}` });
    const seconds = Number(json.expires_in);
    if (status !== 200 || typeof json.access_token !== 'string' || !Number.isFinite(seconds)) throw failure(status, json);
    cached = { token: json.access_token, until: now() + Math.max(seconds - 60, 0) * 1000 };
    return json.access_token;
  }

  function token(): Promise<string> {
    if (cached && cached.until > now()) return Promise.resolve(cached.token);
    pending ??= fetchToken().finally(() => {
      pending = null;
    });
    return pending;
  }

  async function authorised(path: string, body: Record<string, unknown>) {
    let answer = await call('POST', path, { authorization: `Bearer ${await token()}` }, body);
    if (answer.status === 401) {
      cached = null;
      answer = await call('POST', path, { authorization: `Bearer ${await token()}` }, body);
    }
    return answer;
  }

  function signed() {
    const timestamp = darajaTimestamp(now());
    return { BusinessShortCode: settings.shortcode, Password: darajaPassword(settings.shortcode, settings.passkey, timestamp), Timestamp: timestamp };
  }

  return {
    /** Sends the STK push; answers Daraja's ids for the request. */
    async stkPush(input: { amount: number; phone: string; accountReference: string; description: string; callbackUrl: string }) {
      const { status, json } = await authorised('/mpesa/stkpush/v1/processrequest', {
        ...signed(),
        TransactionType: 'CustomerPayBillOnline',
        Amount: input.amount,
        PartyA: input.phone,
        PartyB: settings.shortcode,
        PhoneNumber: input.phone,
        CallBackURL: input.callbackUrl,
        AccountReference: input.accountReference.slice(0, 12),
        TransactionDesc: input.description.slice(0, 13),
      });
      if (status !== 200 || json.ResponseCode !== '0' || typeof json.CheckoutRequestID !== 'string') throw failure(status, json);
      return { merchantRequestId: String(json.MerchantRequestID), checkoutRequestId: json.CheckoutRequestID };
    },

    /** The push's outcome: a result code, or null while the customer has not answered. */
    async stkQuery(checkoutRequestId: string): Promise<{ resultCode: number; resultDesc: string } | null> {
      const { status, json } = await authorised('/mpesa/stkpushquery/v1/query', { ...signed(), CheckoutRequestID: checkoutRequestId });
      if (status === 200 && json.ResponseCode === '0' && json.ResultCode !== undefined && /^\d+$/.test(String(json.ResultCode))) {
        return { resultCode: Number(json.ResultCode), resultDesc: String(json.ResultDesc ?? '') };
      }
      if (json.errorCode === STILL_PROCESSING && /being processed/i.test(String(json.errorMessage ?? ''))) return null;
      throw failure(status, json);
    },
  };
}

export type MpesaClient = ReturnType<typeof mpesaClient>;
