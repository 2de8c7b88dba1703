// Threats at the API gateway and in tokens, tried over HTTP against the real gateway and
// PostgREST: API-key confusion (the service key as `apikey` with a user's bearer token, in the
// header or the query string), forged tokens (another secret, `alg: none`, a user token whose
// role claim says service_role), an expired token, and the still-signed token of a user whose
// account was deleted. The role always comes from a verified bearer token; the API key only
// gets a request through the gateway.
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { apiUrl } from '../support/client.ts';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { type TestUser, withClaims } from '../support/users.ts';

const rest = (pathAndQuery: string, init: RequestInit = {}) => fetch(`${apiUrl()}/rest/v1${pathAndQuery}`, init);
let keys: { anonKey: string; serviceRoleKey: string };
let customer: TestUser;

beforeAll(async () => {
  keys = await apiKeys();
  customer = await createCustomer('gateway-tokens');
});

/** Reads every profile: the service role gets them all, a customer only their own. */
const readProfiles = (headers: Record<string, string>, query = '') =>
  rest(`/profiles?select=id${query}`, { headers });

describe('API key confusion', () => {
  it('the service key as apikey with a user token acts as that user, not as service_role', async () => {
    const res = await readProfiles({ apikey: keys.serviceRoleKey, authorization: `Bearer ${customer.jwt}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ id: customer.id }]);
  });

  it('the service key in the query string with a user token acts as that user', async () => {
    const res = await readProfiles({ authorization: `Bearer ${customer.jwt}` }, `&apikey=${encodeURIComponent(keys.serviceRoleKey)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ id: customer.id }]);
  });

  it('a user token as the apikey is refused by the gateway (401), whatever the bearer', async () => {
    const res = await readProfiles({ apikey: customer.jwt, authorization: `Bearer ${keys.serviceRoleKey}` });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: 'Invalid API key' });
  });
});

describe('forged and expired tokens', () => {
  it.each([
    ['signed with another secret, claiming service_role', () =>
      new SignJWT({ role: 'service_role', iss: 'supabase-demo', exp: 1983812996 })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode('not-the-project-secret-not-the-project-secret'))],
    ['unsigned (alg: none), claiming service_role', () =>
      Promise.resolve(`${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"role":"service_role","exp":1983812996}').toString('base64url')}.`)],
    ['expired', async () => (await withClaims(customer, { exp: Math.floor(Date.now() / 1000) - 60 })).jwt],
  ])('a token %s is refused with 401 and reads nothing', async (_label, token) => {
    const res = await readProfiles({ apikey: keys.anonKey, authorization: `Bearer ${await token()}` });
    expect(res.status).toBe(401);
    const tickets = await rest('/tickets?select=id', { headers: { apikey: keys.anonKey, authorization: `Bearer ${await token()}` } });
    expect(tickets.status).toBe(401);
  });
});

describe("a deleted user's token, still signed and unexpired", () => {
  it('reads nothing of theirs, and opening a ticket or a conversation is a clear 4xx that creates nothing', async () => {
    const shop = await createBusiness('gateway-deleted');
    const doomed = await createCustomer('gateway-doomed');
    const headers = { apikey: keys.anonKey, authorization: `Bearer ${doomed.jwt}`, 'content-type': 'application/json' };
    expect((await rest('/rpc/open_ticket', { method: 'POST', headers, body: JSON.stringify({ business_id: shop.id, subject: 'Late', body: 'Where is it?' }) })).status).toBe(200);
    await superuser()`delete from auth.users where id = ${doomed.id}`;

    expect(await (await rest('/tickets?select=id', { headers })).json()).toEqual([]);
    const ticket = await rest('/rpc/open_ticket', { method: 'POST', headers, body: JSON.stringify({ business_id: shop.id, subject: 'Again', body: 'Hello?' }) });
    expect(ticket.status).toBeGreaterThanOrEqual(400);
    expect(ticket.status).toBeLessThan(500);
    const chat = await rest('/rpc/start_conversation', { method: 'POST', headers, body: JSON.stringify({ business_id: shop.id, body: 'Hello?' }) });
    expect(chat.status).toBeGreaterThanOrEqual(400);
    expect(chat.status).toBeLessThan(500);
    const [left] = await superuser()`
      select (select count(*)::int from public.tickets where customer_id = ${doomed.id}) as tickets,
             (select count(*)::int from public.conversations where customer_id = ${doomed.id}) as conversations`;
    expect(left).toEqual({ tickets: 0, conversations: 0 });
  });
});
