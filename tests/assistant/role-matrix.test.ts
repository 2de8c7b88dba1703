// The assistant's tables (the private rate-limit counters included) × every actor × select/insert/update/delete, through PostgREST-faithful
// requests. Writes run with `Prefer: tx=rollback`, so each case sees the same data.
import { beforeAll } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { ACTORS, describeMatrix, type MatrixCase, outcomes, type World } from '../support/matrix.ts';

let world: World;
let sessionId: string;
let marketplaceArticleId: string;
let businessArticleId: string;

beforeAll(async () => {
  const [business, otherBusiness, customer, otherCustomer] = await Promise.all([
    createBusiness('assistant-matrix'), createBusiness('assistant-rival'), createCustomer('chatter'), createCustomer('stranger'),
  ]);
  world = { business, otherBusiness, customer, otherCustomer };
  const sql = superuser();
  [{ id: sessionId }] = await sql`
    insert into public.chatbot_sessions (user_id, business_id, visitor_name) values (${customer.id}, ${business.id}, 'Wanjiru')
    returning id`;
  await sql`insert into public.chatbot_messages (session_id, role, content)
            values (${sessionId}, 'user', 'Do you have maize?'), (${sessionId}, 'assistant', 'Yes.')`;
  [{ id: marketplaceArticleId }] = await sql`
    insert into public.knowledge_articles (title, body) values ('Matrix article', 'For everyone.') returning id`;
  [{ id: businessArticleId }] = await sql`
    insert into public.knowledge_articles (business_id, title, body) values (${business.id}, 'Store article', 'Ours.') returning id`;
  await sql`select private.take_chatbot_quota(${customer.id}, now(), 20, 200)`;
});

const onlyServiceRole = outcomes(['serviceRole'], { users: 'denied', anon: 'denied' });
const chatReaders = ['customer', 'viewer', 'editor', 'approver', 'admin', 'serviceRole'] as const;

const cases: MatrixCase[] = [
  // chatbot_sessions: the owner's, and readable by the business's chat.read members.
  {
    table: 'chatbot_sessions', operation: 'select',
    run: (tx) => tx`select id, visitor_name, visitor_email from public.chatbot_sessions where id = ${sessionId}`,
    expected: outcomes([...chatReaders], { users: 'filtered', anon: 'denied' }),
  },
  {
    // The service role has no user of its own to open a session for.
    table: 'chatbot_sessions', operation: 'insert',
    run: (tx) => tx`insert into public.chatbot_sessions (business_id, visitor_name)
                    select ${world.business.id}::uuid, 'Someone' where auth.uid() is not null returning id`,
    expected: { ...outcomes(ACTORS.filter((a) => a !== 'anon' && a !== 'serviceRole'), { users: 'denied', anon: 'denied' }), serviceRole: 'filtered' },
  },
  {
    table: 'chatbot_sessions', operation: 'insert',
    run: (tx) => tx`insert into public.chatbot_sessions (user_id, business_id) values (${world.customer.id}, ${world.business.id}) returning id`,
    expected: onlyServiceRole,
  },
  {
    table: 'chatbot_sessions', operation: 'update',
    run: (tx) => tx`update public.chatbot_sessions set visitor_phone = '+254700000001' where id = ${sessionId} returning id`,
    expected: outcomes(['customer', 'serviceRole'], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'chatbot_sessions', operation: 'update',
    run: (tx) => tx`update public.chatbot_sessions set user_id = ${world.otherCustomer.id} where id = ${sessionId} returning id`,
    expected: onlyServiceRole,
  },
  {
    table: 'chatbot_sessions', operation: 'delete',
    run: (tx) => tx`delete from public.chatbot_sessions where id = ${sessionId} returning id`,
    expected: onlyServiceRole,
  },
  // chatbot_messages: readable where the session is; written only by the function.
  {
    table: 'chatbot_messages', operation: 'select',
    run: (tx) => tx`select id, content from public.chatbot_messages where session_id = ${sessionId}`,
    expected: outcomes([...chatReaders], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'chatbot_messages', operation: 'insert',
    run: (tx) => tx`insert into public.chatbot_messages (session_id, role, content)
                    values (${sessionId}, 'assistant', 'Forged answer') returning id`,
    expected: onlyServiceRole,
  },
  {
    table: 'chatbot_messages', operation: 'update',
    run: (tx) => tx`update public.chatbot_messages set content = 'Rewritten' where session_id = ${sessionId} returning id`,
    expected: onlyServiceRole,
  },
  {
    table: 'chatbot_messages', operation: 'delete',
    run: (tx) => tx`delete from public.chatbot_messages where session_id = ${sessionId} returning id`,
    expected: onlyServiceRole,
  },
  // knowledge_articles: public; a business's own articles written by its managers.
  {
    table: 'knowledge_articles', operation: 'select',
    run: (tx) => tx`select id, title from public.knowledge_articles where id = ${marketplaceArticleId}`,
    expected: outcomes([...ACTORS], { users: 'denied', anon: 'denied' }),
  },
  {
    table: 'knowledge_articles', operation: 'insert',
    run: (tx) => tx`insert into public.knowledge_articles (business_id, title, body)
                    values (${world.business.id}, 'Drying beans', 'Dry them well.') returning id`,
    expected: outcomes(['admin', 'serviceRole'], { users: 'denied', anon: 'denied' }),
  },
  {
    table: 'knowledge_articles', operation: 'insert',
    run: (tx) => tx`insert into public.knowledge_articles (title, body) values ('Marketplace-wide', 'By anyone?') returning id`,
    expected: onlyServiceRole,
  },
  {
    table: 'knowledge_articles', operation: 'update',
    run: (tx) => tx`update public.knowledge_articles set body = 'Edited' where id = ${businessArticleId} returning id`,
    expected: outcomes(['admin', 'serviceRole'], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'knowledge_articles', operation: 'update',
    run: (tx) => tx`update public.knowledge_articles set body = 'Edited' where id = ${marketplaceArticleId} returning id`,
    expected: outcomes(['serviceRole'], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'knowledge_articles', operation: 'delete',
    run: (tx) => tx`delete from public.knowledge_articles where id = ${businessArticleId} returning id`,
    expected: outcomes(['admin', 'serviceRole'], { users: 'filtered', anon: 'denied' }),
  },
  // private.chatbot_usage: the rate-limit counters, touched only by the function's own connection.
  ...(['select', 'insert', 'update', 'delete'] as const).map((operation): MatrixCase => ({
    table: 'private.chatbot_usage', operation,
    run: (tx) => ({
      select: () => tx`select used from private.chatbot_usage where user_id = ${world.customer.id}`,
      insert: () => tx`insert into private.chatbot_usage (user_id, window_kind, window_start, used)
                       values (${world.customer.id}, 'day', '2026-01-01', 0) returning used`,
      update: () => tx`update private.chatbot_usage set used = 0 where user_id = ${world.customer.id} returning used`,
      delete: () => tx`delete from private.chatbot_usage where user_id = ${world.customer.id} returning used`,
    })[operation](),
    expected: outcomes([], { users: 'denied', anon: 'denied' }),
  })),
];

describeMatrix(cases, () => world);
