// Session operations as supabase-js makes them through PostgREST: open a session with visitor
// details, read it with its messages embedded, update the visitor details.
import { beforeAll, describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer, type BusinessFixture } from '../support/fixtures.ts';
import { asUser, type Tx } from '../support/postgrest.ts';
import { createUser, type TestUser } from '../support/users.ts';

let shop: BusinessFixture;
let rival: BusinessFixture;
let visitor: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  [shop, rival, visitor, stranger] = await Promise.all([
    createBusiness('sessions-shop'), createBusiness('sessions-rival'), createUser({ anonymous: true }), createCustomer('sessions-stranger'),
  ]);
});

/** supabase.from('chatbot_sessions').insert({...}).select().single() */
function openSession(user: TestUser, values: Record<string, unknown>) {
  return asUser(user, (tx) => tx`insert into public.chatbot_sessions ${tx(values)} returning *`, { method: 'POST', path: '/chatbot_sessions' });
}

/** supabase.from('chatbot_sessions').select('*, chatbot_messages(*)').eq('id', id), as PostgREST embeds it. */
function readWithMessages(user: TestUser, id: string) {
  return asUser(user, (tx: Tx) => tx`
    select s.*, coalesce(m.messages, '[]') as chatbot_messages
    from public.chatbot_sessions s
    left join lateral (
      select json_agg(msg order by msg.created_at) as messages from public.chatbot_messages msg where msg.session_id = s.id
    ) m on true
    where s.id = ${id}`, { method: 'GET', path: '/chatbot_sessions' });
}

describe('chatbot sessions through the API', () => {
  it('a visitor opens a session with visitor details and it is theirs', async () => {
    const opened = await openSession(visitor, {
      business_id: shop.id, visitor_name: 'Achieng', visitor_email: 'achieng@example.test', visitor_phone: '+254 711 000 111',
    });
    expect(opened.error).toBeNull();
    expect(opened.data![0]).toMatchObject({ user_id: visitor.id, business_id: shop.id, visitor_name: 'Achieng' });
  });

  it('the owner and the business\'s chat.read members read a session with its messages; others see nothing', async () => {
    const opened = await openSession(visitor, { business_id: shop.id, visitor_name: 'Baraka' });
    const id = opened.data![0].id as string;
    await superuser()`insert into public.chatbot_messages (session_id, role, content, created_at)
                      values (${id}, 'user', 'Bei ya mahindi?', now() - interval '1 minute'), (${id}, 'assistant', 'KES 60 kwa kilo.', now())`;
    const own = await readWithMessages(visitor, id);
    expect(own.data![0].chatbot_messages.map((m: { content: string }) => m.content)).toEqual(['Bei ya mahindi?', 'KES 60 kwa kilo.']);
    const lead = await readWithMessages(shop.viewer, id);
    expect(lead.data![0]).toMatchObject({ visitor_name: 'Baraka' });
    expect(lead.data![0].chatbot_messages).toHaveLength(2);
    for (const outsider of [stranger, rival.admin]) expect((await readWithMessages(outsider, id)).data).toEqual([]);
  });

  it('members of another business cannot read the marketplace assistant\'s sessions', async () => {
    const opened = await openSession(visitor, { visitor_name: 'Marketplace visitor' });
    for (const member of [shop.admin, rival.admin]) {
      expect((await readWithMessages(member, opened.data![0].id)).data).toEqual([]);
    }
  });

  it('the owner updates visitor details; nobody else can, and nobody can move a session', async () => {
    const id = (await openSession(visitor, { business_id: shop.id })).data![0].id as string;
    const patch = (user: TestUser, values: Record<string, unknown>) =>
      asUser(user, (tx) => tx`update public.chatbot_sessions set ${tx(values)} where id = ${id} returning id`, { method: 'PATCH' });
    expect((await patch(visitor, { visitor_email: 'new@example.test', visitor_phone: '0722 000 000' })).data).toHaveLength(1);
    expect((await patch(shop.admin, { visitor_email: 'hijack@example.test' })).data).toEqual([]);
    expect((await patch(stranger, { visitor_name: 'Hijack' })).data).toEqual([]);
    for (const values of [{ user_id: stranger.id }, { business_id: rival.id }]) {
      expect((await patch(visitor, values)).error).toMatchObject({ code: '42501', status: 403 });
    }
    const [row] = await superuser()`select user_id, business_id, visitor_name, visitor_email from public.chatbot_sessions where id = ${id}`;
    expect(row).toEqual({ user_id: visitor.id, business_id: shop.id, visitor_name: null, visitor_email: 'new@example.test' });
  });

  it('a session cannot be opened for someone else or with invalid visitor details', async () => {
    const forOther = await asUser(visitor, (tx) => tx`insert into public.chatbot_sessions (user_id) values (${stranger.id}) returning id`);
    expect(forOther.error).toMatchObject({ code: '42501' });
    for (const values of [{ visitor_email: 'not-an-email' }, { visitor_phone: 'call me' }, { visitor_name: ' ' }]) {
      const refused = await openSession(visitor, values);
      expect(refused.error).toMatchObject({ code: '23514', status: 400 });
    }
  });

  it('visitors cannot write messages themselves', async () => {
    const id = (await openSession(visitor, { visitor_name: 'Forger' })).data![0].id as string;
    const forged = await asUser(visitor, (tx) => tx`insert into public.chatbot_messages (session_id, role, content) values (${id}, 'assistant', 'Free maize!') returning id`);
    expect(forged.error).toMatchObject({ code: '42501', status: 403 });
  });
});
