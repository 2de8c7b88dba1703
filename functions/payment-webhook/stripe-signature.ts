// Stripe's webhook signature: header `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.rawBody">`
// (several v1 entries while a secret rolls). Checked on the raw body, within a tolerance,
// comparing in constant time.

export const DEFAULT_TOLERANCE_SECONDS = 300;

export function parseSignatureHeader(header: string | null): { timestamp: number; signatures: string[] } | null {
  if (!header) return null;
  let timestamp = Number.NaN;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (name === 't' && /^\d+$/.test(value)) timestamp = Number(value);
    if (name === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  return Number.isFinite(timestamp) && signatures.length > 0 ? { timestamp, signatures } : null;
}

async function hmacHex(secret: string, payload: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(payload)));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

export type SignatureCheck = 'valid' | 'malformed' | 'stale' | 'mismatch';

export async function checkStripeSignature(
  rawBody: string,
  header: string | null,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<SignatureCheck> {
  const parsed = parseSignatureHeader(header);
  if (!parsed) return 'malformed';
  if (Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) return 'stale';
  const expected = await hmacHex(secret, `${parsed.timestamp}.${rawBody}`);
  // Compare against every candidate so timing does not reveal which one matched.
  let matched = false;
  for (const signature of parsed.signatures) matched = constantTimeEqual(expected, signature) || matched;
  return matched ? 'valid' : 'mismatch';
}

/** A header as Stripe sends it, for tests and local tools. */
export async function signStripePayload(rawBody: string, secret: string, timestamp: number): Promise<string> {
  return `t=${timestamp},v1=${await hmacHex(secret, `${timestamp}.${rawBody}`)}`;
}
