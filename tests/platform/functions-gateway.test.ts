// The functions gateway applies Supabase's verify_jwt gate and passes CORS preflights through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { apiKeys, signJwt } from '../../scripts/lib/local-platform.ts';
import { startFunctions, type RunningFunctions } from '../support/functions.ts';
import { createUser } from '../support/users.ts';

let functions: RunningFunctions;

beforeAll(async () => {
  functions = await startFunctions();
});
afterAll(() => functions.stop());

// `probe` is a function with verify_jwt left at its default (true), served from tests/fixtures.
describe('verify_jwt', () => {
  it('accepts a valid user token', async () => {
    const user = await createUser();
    const res = await functions.call('probe', { jwt: user.jwt });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'success' });
  });

  it('accepts the anon key', async () => {
    const res = await functions.call('probe', { jwt: (await apiKeys()).anonKey });
    expect(res.status).toBe(200);
    await res.body?.cancel();
  });

  it.each([
    ['missing', undefined, 'Missing authorization header'],
    ['garbage', 'not-a-jwt', 'Invalid JWT'],
  ])('refuses a %s token with 401', async (_label, jwt, msg) => {
    const res = await functions.call('probe', { jwt });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ msg });
  });

  it('refuses a token signed with another secret', async () => {
    const forged = await new SignJWT({ role: 'service_role', sub: 'x' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-that-is-at-least-32-characters'));
    const res = await functions.call('probe', { jwt: forged });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ msg: 'Invalid JWT' });
  });

  it('refuses an expired token', async () => {
    const expired = await signJwt({ role: 'authenticated', sub: 'x', exp: Math.floor(Date.now() / 1000) - 60 });
    const res = await functions.call('probe', { jwt: expired });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ msg: 'Invalid JWT' });
  });

  it('lets an OPTIONS preflight through without a token', async () => {
    const res = await functions.call('probe', { method: 'OPTIONS', headers: { origin: 'http://example.test' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers 404 for an unknown function', async () => {
    const res = await functions.call('no-such-function');
    expect(res.status).toBe(404);
    await res.body?.cancel();
  });
});
