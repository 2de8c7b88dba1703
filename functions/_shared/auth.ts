// Who is calling. The gateway (verify_jwt) already refused tokens the project did not sign;
// functions check the signature again against SUPABASE_JWKS because they take authorization
// decisions from the claims, and a function may be served with verify_jwt off.
import { createLocalJWKSet, importJWK, type JWK, type JWTPayload, jwtVerify } from 'jose';
import { HttpError } from './errors.ts';

export interface Claims extends JWTPayload {
  role?: string;
  email?: string;
  is_anonymous?: boolean;
}

export interface Caller {
  jwt: string;
  claims: Claims;
}

export type TokenVerifier = (jwt: string) => Promise<Claims>;

/**
 * Verifies tokens against a JSON Web Key Set, the format of Supabase's SUPABASE_JWKS: asymmetric
 * signing keys (ES256, RS256) and, for projects on the legacy secret, a symmetric `oct` key.
 */
export function jwksVerifier(jwksJson: string): TokenVerifier {
  const parsed = JSON.parse(jwksJson) as { keys?: JWK[] } | JWK[];
  const keys = Array.isArray(parsed) ? parsed : parsed.keys ?? [];
  const symmetric = keys.filter((key) => key.kty === 'oct');
  const asymmetric = createLocalJWKSet({ keys: keys.filter((key) => key.kty !== 'oct') });
  return async (jwt) => {
    const { alg } = JSON.parse(new TextDecoder().decode(base64UrlDecode(jwt.split('.')[0] ?? '')));
    if (typeof alg === 'string' && alg.startsWith('HS')) {
      for (const key of symmetric) {
        try {
          const { payload } = await jwtVerify(jwt, await importJWK({ ...key, alg }, alg), { algorithms: [alg] });
          return payload as Claims;
        } catch {
          // Try the next key: a project may be rotating secrets.
        }
      }
      throw new Error('no key verifies this token');
    }
    return (await jwtVerify(jwt, asymmetric)).payload as Claims;
  };
}

function base64UrlDecode(text: string): Uint8Array {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** The verified caller of a request, or 401 in the envelope. */
export async function callerOf(req: Request, verify: TokenVerifier): Promise<Caller> {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '');
  if (!match) throw new HttpError(401, 'UNAUTHORIZED', 'Send an access token: Authorization: Bearer <jwt>.');
  try {
    return { jwt: match[1], claims: await verify(match[1]) };
  } catch {
    throw new HttpError(401, 'UNAUTHORIZED', 'The access token is invalid or expired.');
  }
}

/** A signed-in user (anonymous sign-ins included), not the anon or service key. */
export function requireUser(caller: Caller): { id: string; isAnonymous: boolean } {
  if (caller.claims.role !== 'authenticated' || !caller.claims.sub) {
    throw new HttpError(401, 'SIGN_IN_REQUIRED', 'Sign in first: this needs a user access token.');
  }
  return { id: caller.claims.sub, isAnonymous: caller.claims.is_anonymous === true };
}

/** The service_role key: for calls from the database, schedulers and operators. */
export function requireServiceRole(caller: Caller): void {
  if (caller.claims.role !== 'service_role') {
    throw new HttpError(403, 'FORBIDDEN', 'Only the service role may call this.');
  }
}
