// ClickPesa's collection API (Tanzania), over fetch at CLICKPESA_API_BASE
// (https://api.clickpesa.com/third-parties; there is no sandbox). A token from
// POST /generate-token is cached for its hour; payloads carry a checksum: hex HMAC-SHA256 with
// the checksum key over the payload without `checksum`/`checksumMethod`, keys sorted
// recursively, as compact JSON (ClickPesa's canonical method).

export interface ClickPesaSettings {
  apiBase: string;
  clientId: string;
  apiKey: string;
  checksumKey: string;
  timeoutMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

/** A payment as ClickPesa's status endpoint and webhook describe it. */
export interface ClickPesaPayment {
  id: string;
  status: string;
  orderReference: string;
  collectedAmount?: string | number;
  collectedCurrency?: string;
  paymentReference?: string;
  message?: string;
}

export class ClickPesaError extends Error {
  constructor(readonly status: number, message: string, readonly body: unknown) {
    super(`ClickPesa answered ${status}: ${message}`);
  }
}

/** The value with object keys sorted at every depth (arrays keep their order). */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).sort().map((key) => [key, sortKeysDeep((value as Record<string, unknown>)[key])]));
  }
  return value;
}

/** The canonical checksum of a payload (request or webhook body). */
export async function clickPesaChecksum(checksumKey: string, payload: Record<string, unknown>): Promise<string> {
  const { checksum: _checksum, checksumMethod: _method, ...rest } = payload;
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(checksumKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(JSON.stringify(sortKeysDeep(rest)))));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Equal strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  let diff = left.length ^ right.length;
  for (let i = 0; i < Math.max(left.length, right.length); i++) diff |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return diff === 0;
}

/** ClickPesa's orderReference for a checkout: its id without dashes (alphanumeric only, the same on every retry). */
export function orderReferenceOf(checkoutId: string): string {
  return checkoutId.replaceAll('-', '');
}

/** An amount as ClickPesa takes it: a string, without a fraction when there is none. */
export function clickPesaAmount(total: string | number): string {
  const text = typeof total === 'number' ? total.toFixed(2) : total;
  return text.replace(/\.0+$/, '');
}

const TOKEN_LIFETIME_MS = 60 * 60 * 1000;
/** Renewed this long before ClickPesa would refuse it. */
const TOKEN_MARGIN_MS = 5 * 60 * 1000;

export function clickPesaClient(settings: ClickPesaSettings) {
  const now = settings.now ?? Date.now;
  const doFetch = settings.fetch ?? fetch;
  const base = settings.apiBase.replace(/\/+$/, '');
  let cached: { token: string; until: number } | null = null;
  let pending: Promise<string> | null = null;

  async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: unknown } = {}) {
    const response = await doFetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(settings.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: response.status, json };
  }

  function messageOf(json: unknown): string {
    const message = (json as { message?: unknown } | null)?.message;
    return Array.isArray(message) ? message.join('; ') : String(message ?? 'no message');
  }

  async function fetchToken(): Promise<string> {
    const { status, json } = await call('POST', '/generate-token', { headers: { 'client-id': settings.clientId, 'api-key': settings.apiKey } });
    const token = (json as { token?: unknown } | null)?.token;
    if (status !== 200 || typeof token !== 'string' || !token.startsWith('Bearer ')) throw new ClickPesaError(status, messageOf(json), json);
    cached = { token, until: now() + TOKEN_LIFETIME_MS - TOKEN_MARGIN_MS };
    return token;
  }

  /** The cached token, or a new one (one request however many callers wait). */
  function token(): Promise<string> {
    if (cached && cached.until > now()) return Promise.resolve(cached.token);
    pending ??= fetchToken().finally(() => {
      pending = null;
    });
    return pending;
  }

  /** An authorised call; a 401 drops the token (toggling checksums invalidates it) and tries once more. */
  async function authorised(method: string, path: string, body?: unknown) {
    let answer = await call(method, path, { headers: { authorization: await token() }, body });
    if (answer.status === 401) {
      cached = null;
      answer = await call(method, path, { headers: { authorization: await token() }, body });
    }
    return answer;
  }

  return {
    /** Every payment ClickPesa holds under `orderReference` (none when it knows the reference not). */
    async paymentsOf(orderReference: string): Promise<ClickPesaPayment[]> {
      const { status, json } = await authorised('GET', `/payments/${encodeURIComponent(orderReference)}`);
      if (status === 404) return [];
      if (status !== 200 || !Array.isArray(json)) throw new ClickPesaError(status, messageOf(json), json);
      return json as ClickPesaPayment[];
    },

    /**
     * Sends the USSD push. The orderReference is the idempotency key: a reference already used
     * (409, a retry after a lost answer) is not sent again but looked up.
     */
    async initiateUssdPush(input: { amount: string; currency: string; orderReference: string; phoneNumber: string }): Promise<ClickPesaPayment> {
      const payload = { ...input, checksum: await clickPesaChecksum(settings.checksumKey, input) };
      const { status, json } = await authorised('POST', '/payments/initiate-ussd-push-request', payload);
      if (status === 200 || status === 201) return json as ClickPesaPayment;
      if (status === 409) {
        const [existing] = await this.paymentsOf(input.orderReference);
        if (existing) return existing;
      }
      throw new ClickPesaError(status, messageOf(json), json);
    },
  };
}

export type ClickPesaClient = ReturnType<typeof clickPesaClient>;
