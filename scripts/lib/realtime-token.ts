// Token checks of the local Realtime server, with Realtime's outcomes and messages:
// RealtimeWeb.JwtVerification (lib/realtime_web/channels/auth/jwt_verification.ex) decodes and
// verifies the token (HS256/384/512 with the project's secret; `exp` must be a number in the
// future, `iat` a number when present), RealtimeWeb.ChannelsAuthorization.authorize_conn
// (channels_authorization.ex) requires `role` and `exp`, and RealtimeWeb.RealtimeChannel
// (realtime_channel.ex, confirm_token/1 and the join/access_token error clauses) turns each
// failure into the reason a client sees.
import { compactVerify } from 'jose';

export type Claims = Record<string, unknown> & { role: string; exp: number };

export type TokenFailure =
  | { error: 'token_malformed' }
  | { error: 'signature_error' }
  | { error: 'error_generating_signer' }
  | { error: 'expired_token'; message: string }
  | { error: 'missing_claims' }
  | { error: 'invalid_claims'; claim: string };

export type TokenCheck = { ok: true; claims: Claims } | ({ ok: false } & TokenFailure);

const HS_ALGORITHMS = ['HS256', 'HS384', 'HS512'];

function decodeSegment(segment: string): unknown {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new Error('not base64url');
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates decoded claims at `now` (seconds) as JwtAuthToken's validators and authorize_conn
 * do; pure, so the exact boundaries are unit tested.
 */
export function validateClaims(claims: Record<string, unknown>, now: number): TokenCheck {
  if ('exp' in claims) {
    const exp = claims.exp;
    if (!(typeof exp === 'number' && exp > now)) {
      // Joken reports the current time and the claim; only integer claims get the message.
      if (typeof exp === 'number' && Number.isInteger(exp)) {
        return { ok: false, error: 'expired_token', message: `Token has expired ${now - exp} seconds ago` };
      }
      return { ok: false, error: 'invalid_claims', claim: 'exp' };
    }
  }
  if ('iat' in claims && typeof claims.iat !== 'number') return { ok: false, error: 'invalid_claims', claim: 'iat' };
  if (!('role' in claims) || !('exp' in claims)) return { ok: false, error: 'missing_claims' };
  // JwtVerification rounds decimal exp and iat.
  const rounded: Record<string, unknown> = { ...claims, exp: Math.round(claims.exp as number) };
  if (typeof claims.iat === 'number') rounded.iat = Math.round(claims.iat);
  return { ok: true, claims: rounded as Claims };
}

/** authorize_conn/3: verifies `token` with the project's secret and validates its claims. */
export async function verifyToken(token: string, secret: Uint8Array, now = Math.floor(Date.now() / 1000)): Promise<TokenCheck> {
  // ChannelsAuthorization.clean_token/1
  let cleaned: string;
  try {
    cleaned = decodeURIComponent(token).replace(/\s/g, '');
  } catch {
    cleaned = token.replace(/\s/g, '');
  }
  const parts = cleaned.split('.');
  let header: unknown;
  let claims: unknown;
  try {
    if (parts.length !== 3) throw new Error('not three segments');
    header = decodeSegment(parts[0]);
    claims = decodeSegment(parts[1]);
  } catch {
    return { ok: false, error: 'token_malformed' };
  }
  if (!isPlainObject(claims) || !isPlainObject(header)) return { ok: false, error: 'token_malformed' };
  // Without JWKS (the local project has only the legacy secret) only HS algorithms have a signer.
  if (typeof header.alg !== 'string' || !HS_ALGORITHMS.includes(header.alg)) return { ok: false, error: 'error_generating_signer' };
  try {
    await compactVerify(cleaned, secret, { algorithms: [header.alg] });
  } catch {
    return { ok: false, error: 'signature_error' };
  }
  return validateClaims(claims, now);
}

/** The join's error reason (RealtimeChannel.join/3 `else` clauses, "Code: message"). */
export function joinErrorReason(failure: TokenFailure): string {
  switch (failure.error) {
    case 'expired_token':
      return `InvalidJWTToken: ${failure.message}`;
    case 'missing_claims':
      return 'InvalidJWTToken: Fields `role` and `exp` are required in JWT';
    case 'token_malformed':
      return 'MalformedJWT: The token provided is not a valid JWT';
    case 'signature_error':
      return 'JwtSignatureError: Failed to validate JWT signature';
    case 'error_generating_signer':
      return 'JwtSignerError: Failed to generate JWT signer, check your JWT secret or JWKS configuration';
    case 'invalid_claims':
      return `UnknownErrorOnChannel: invalid claim ${failure.claim}`;
  }
}

/**
 * The system message that closes a joined channel when a new access token fails
 * (handle_in("access_token"): the bare message, or the inspected reason for other errors).
 * The :confirm_token timer only meets expiry, which reads the same.
 */
export function shutdownMessage(failure: TokenFailure): string {
  switch (failure.error) {
    case 'expired_token':
      return failure.message;
    case 'missing_claims':
      return 'Fields `role` and `exp` are required in JWT';
    case 'token_malformed':
      return 'The token provided is not a valid JWT';
    case 'signature_error':
      return ':signature_error';
    case 'error_generating_signer':
      return ':error_generating_signer';
    case 'invalid_claims':
      return `invalid claim ${failure.claim}`;
  }
}

/** The HTTP answer to a WebSocket upgrade whose apikey fails (UserSocket.handle_error/2). */
export function connectError(failure: TokenFailure | { error: 'missing_api_key' }): { status: number; error: string } {
  switch (failure.error) {
    case 'missing_api_key':
      return { status: 401, error: 'API key is missing' };
    case 'expired_token':
      return { status: 401, error: 'Token has expired' };
    case 'missing_claims':
      return { status: 401, error: 'Fields `role` and `exp` are required in JWT' };
    case 'token_malformed':
      return { status: 401, error: 'The token provided is not a valid JWT' };
    case 'signature_error':
      return { status: 401, error: 'Failed to validate JWT signature' };
    case 'error_generating_signer':
      return { status: 401, error: 'Failed to generate JWT signer, check your JWT secret or JWKS configuration' };
    case 'invalid_claims':
      return { status: 500, error: 'Error connecting to Realtime' };
  }
}
