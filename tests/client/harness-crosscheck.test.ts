// The request harness (tests/support/postgrest.ts) that the role matrices run on, held to the
// real PostgREST: for a representative set of requests per capability — reads, writes that RLS
// refuses or filters, WITH CHECK failures, RPC errors mapped to 4xx — the harness's SQL and
// the same request through supabase-js must give the same error status and code, or the same
// rows. A difference means the harness is wrong.
import type { SupabaseClient } from '@supabase/supabase-js';
import type postgres from 'postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyClient, userClient } from '../support/client.ts';
import { createBusiness, createCustomer, type BusinessFixture } from '../support/fixtures.ts';
import { superuser } from '../support/db.ts';
import { asAnon, asServiceRole, asUser, type ApiResult, type Method, type Tx } from '../support/postgrest.ts';
import { createUser, type TestUser } from '../support/users.ts';
import { createProduct } from '../catalogue/catalogue-fixtures.ts';
import { pendingOrder } from '../commerce/fixtures.ts';

type Actor = 'anon' | 'customer' | 'otherCustomer' | 'viewer' | 'editor' | 'approver' | 'admin' | 'otherAdmin' | 'serviceRole';

interface World {
  business: BusinessFixture;
  otherBusiness: BusinessFixture;
  customer: TestUser;
  otherCustomer: TestUser;
  approved: string;
  draft: string;
  orderId: string;
  articleId: string;
  sessionId: string;
}

interface Check {
  name: string;
  as: Actor;
  /** The HTTP method supabase-js uses for the request (GET/HEAD run read-only). */
  method: Method;
  /** What the real PostgREST answers, so that agreeing on the wrong thing fails too. */
  expected: { status: number; rows?: number };
  harness: (tx: Tx, w: World) => Promise<postgres.Row[]>;
  rest: (db: SupabaseClient, w: World) => PromiseLike<{ data: unknown; error: { code?: string } | null; status: number }>;
}

const checks: Record<string, Check[]> = {
  tenancy: [
    {
      name: 'anon reads a business',
      as: 'anon',
      method: 'GET',
      expected: { status: 200, rows: 1 },
      harness: (tx, w) => tx`select id, slug from public.businesses where id = ${w.business.id}`,
      rest: (db, w) => db.from('businesses').select('id, slug').eq('id', w.business.id),
    },
    {
      name: 'a customer reads no members of a business',
      as: 'customer',
      method: 'GET',
      expected: { status: 200, rows: 0 },
      harness: (tx, w) => tx`select user_id, role from public.business_members where business_id = ${w.business.id}`,
      rest: (db, w) => db.from('business_members').select('user_id, role').eq('business_id', w.business.id),
    },
    {
      name: 'a viewer renaming the business changes no row',
      as: 'viewer',
      method: 'PATCH',
      expected: { status: 200, rows: 0 },
      harness: (tx, w) => tx`update public.businesses set name = 'Renamed' where id = ${w.business.id} returning id`,
      rest: (db, w) => db.from('businesses').update({ name: 'Renamed' }).eq('id', w.business.id).select('id'),
    },
    {
      name: 'an editor inviting a member is refused (members.manage)',
      as: 'editor',
      method: 'POST',
      expected: { status: 403 },
      harness: (tx, w) => tx`select * from public.invite_member(business_id := ${w.business.id}, email := 'x@example.test', role := 'viewer')`,
      rest: (db, w) => db.rpc('invite_member', { business_id: w.business.id, email: 'x@example.test', role: 'viewer' }),
    },
    {
      name: 'anon creating a business is refused',
      as: 'anon',
      method: 'POST',
      expected: { status: 401 },
      harness: (tx) => tx`select public.create_business(name := 'Nobody', slug := 'nobody-crosscheck')`,
      rest: (db) => db.rpc('create_business', { name: 'Nobody', slug: 'nobody-crosscheck' }),
    },
    {
      name: 'a bad e-mail address in an invitation is a 400',
      as: 'admin',
      method: 'POST',
      expected: { status: 400 },
      harness: (tx, w) => tx`select * from public.invite_member(business_id := ${w.business.id}, email := 'not-an-address', role := 'viewer')`,
      rest: (db, w) => db.rpc('invite_member', { business_id: w.business.id, email: 'not-an-address', role: 'viewer' }),
    },
  ],
  catalogue: [
    {
      name: 'anon reads approved products only',
      as: 'anon',
      method: 'GET',
      expected: { status: 200, rows: 2 },
      harness: (tx, w) => tx`select id, status from public.products where business_id = ${w.business.id} order by id`,
      rest: (db, w) => db.from('products').select('id, status').eq('business_id', w.business.id).order('id'),
    },
    {
      name: 'an editor reads drafts too',
      as: 'editor',
      method: 'GET',
      expected: { status: 200, rows: 3 },
      harness: (tx, w) => tx`select id, status from public.products where business_id = ${w.business.id} order by id`,
      rest: (db, w) => db.from('products').select('id, status').eq('business_id', w.business.id).order('id'),
    },
    {
      name: "another business's admin sees no draft",
      as: 'otherAdmin',
      method: 'GET',
      expected: { status: 200, rows: 0 },
      harness: (tx, w) => tx`select id from public.products where id = ${w.draft}`,
      rest: (db, w) => db.from('products').select('id').eq('id', w.draft),
    },
    {
      name: "an editor inserting into another business fails WITH CHECK",
      as: 'editor',
      method: 'POST',
      expected: { status: 403 },
      harness: (tx, w) => tx`insert into public.products (business_id, name, price, unit) values (${w.otherBusiness.id}, 'Sneaky', 1, 'kg') returning id`,
      rest: (db, w) => db.from('products').insert({ business_id: w.otherBusiness.id, name: 'Sneaky', price: 1, unit: 'kg' }).select('id'),
    },
    {
      name: 'a viewer inserting a product fails WITH CHECK',
      as: 'viewer',
      method: 'POST',
      expected: { status: 403 },
      harness: (tx, w) => tx`insert into public.products (business_id, name, price, unit) values (${w.business.id}, 'Nope', 1, 'kg') returning id`,
      rest: (db, w) => db.from('products').insert({ business_id: w.business.id, name: 'Nope', price: 1, unit: 'kg' }).select('id'),
    },
    {
      name: 'anon inserting a product is refused by privilege',
      as: 'anon',
      method: 'POST',
      expected: { status: 401 },
      harness: (tx, w) => tx`insert into public.products (business_id, name, price, unit) values (${w.business.id}, 'Nope', 1, 'kg') returning id`,
      rest: (db, w) => db.from('products').insert({ business_id: w.business.id, name: 'Nope', price: 1, unit: 'kg' }).select('id'),
    },
    {
      name: "a customer deleting a product deletes nothing",
      as: 'customer',
      method: 'DELETE',
      expected: { status: 200, rows: 0 },
      harness: (tx, w) => tx`delete from public.products where id = ${w.draft} returning id`,
      rest: (db, w) => db.from('products').delete().eq('id', w.draft).select('id'),
    },
    {
      name: 'rejecting an approved product is a 409',
      as: 'approver',
      method: 'POST',
      expected: { status: 409 },
      harness: (tx, w) => tx`select public.reject_product(product_id := ${w.approved}, reason := 'late')`,
      rest: (db, w) => db.rpc('reject_product', { product_id: w.approved, reason: 'late' }),
    },
    {
      name: 'a viewer submitting a draft is refused',
      as: 'viewer',
      method: 'POST',
      expected: { status: 403 },
      harness: (tx, w) => tx`select public.submit_product(product_id := ${w.draft})`,
      rest: (db, w) => db.rpc('submit_product', { product_id: w.draft }),
    },
    {
      name: 'search as anon by GET',
      as: 'anon',
      method: 'GET',
      expected: { status: 200, rows: 2 },
      harness: (tx, w) => tx`select id, status from public.search_products(business_id := ${w.business.id})`,
      rest: (db, w) => db.rpc('search_products', { business_id: w.business.id }, { get: true }).select('id, status'),
    },
  ],
  commerce: [
    {
      name: 'a bad quantity is a 400',
      as: 'customer',
      method: 'POST',
      expected: { status: 400 },
      harness: (tx, w) => tx`select * from public.add_to_cart(product_id := ${w.approved}, quantity := 0)`,
      rest: (db, w) => db.rpc('add_to_cart', { product_id: w.approved, quantity: 0 }),
    },
    {
      name: "another business's draft answers as a missing product (404)",
      as: 'customer',
      method: 'POST',
      expected: { status: 404 },
      harness: (tx, w) => tx`select * from public.add_to_cart(product_id := ${w.draft}, quantity := 1)`,
      rest: (db, w) => db.rpc('add_to_cart', { product_id: w.draft, quantity: 1 }),
    },
    {
      name: "another customer's cart lines are invisible",
      as: 'otherCustomer',
      method: 'GET',
      expected: { status: 200, rows: 0 },
      harness: (tx) => tx`select id, quantity from public.cart_items`,
      rest: (db) => db.from('cart_items').select('id, quantity'),
    },
    {
      name: 'a customer reads their orders',
      as: 'customer',
      method: 'GET',
      expected: { status: 200, rows: 1 },
      harness: (tx) => tx`select id, status from public.orders order by id`,
      rest: (db) => db.from('orders').select('id, status').order('id'),
    },
    {
      name: "cancelling someone else's order is a 404",
      as: 'otherCustomer',
      method: 'POST',
      expected: { status: 404 },
      harness: (tx, w) => tx`select public.cancel_order(order_id := ${w.orderId}, reason := 'not mine')`,
      rest: (db, w) => db.rpc('cancel_order', { order_id: w.orderId, reason: 'not mine' }),
    },
    {
      name: 'a viewer changing an order status is refused',
      as: 'viewer',
      method: 'POST',
      expected: { status: 403 },
      harness: (tx, w) => tx`select public.update_order_status(order_id := ${w.orderId}, status := 'paid')`,
      rest: (db, w) => db.rpc('update_order_status', { order_id: w.orderId, status: 'paid' }),
    },
    {
      name: 'an illegal transition is a 409',
      as: 'approver',
      method: 'POST',
      expected: { status: 409 },
      harness: (tx, w) => tx`select public.update_order_status(order_id := ${w.orderId}, status := 'delivered')`,
      rest: (db, w) => db.rpc('update_order_status', { order_id: w.orderId, status: 'delivered' }),
    },
    {
      name: 'writing an order directly is refused by privilege',
      as: 'customer',
      method: 'PATCH',
      expected: { status: 403 },
      harness: (tx, w) => tx`update public.orders set status = 'paid' where id = ${w.orderId} returning id`,
      rest: (db, w) => db.from('orders').update({ status: 'paid' }).eq('id', w.orderId).select('id'),
    },
  ],
  assistant: [
    {
      name: 'staff with chat.read read their business sessions',
      as: 'viewer',
      method: 'GET',
      expected: { status: 200, rows: 1 },
      harness: (tx, w) => tx`select id, visitor_name from public.chatbot_sessions where business_id = ${w.business.id}`,
      rest: (db, w) => db.from('chatbot_sessions').select('id, visitor_name').eq('business_id', w.business.id),
    },
    {
      name: "another business's admin reads none",
      as: 'otherAdmin',
      method: 'GET',
      expected: { status: 200, rows: 0 },
      harness: (tx, w) => tx`select id from public.chatbot_sessions where id = ${w.sessionId}`,
      rest: (db, w) => db.from('chatbot_sessions').select('id').eq('id', w.sessionId),
    },
    {
      name: "an admin adding an article to another business fails WITH CHECK",
      as: 'admin',
      method: 'POST',
      expected: { status: 403 },
      harness: (tx, w) => tx`insert into public.knowledge_articles (business_id, title, body) values (${w.otherBusiness.id}, 'Mbolea', 'Text') returning id`,
      rest: (db, w) => db.from('knowledge_articles').insert({ business_id: w.otherBusiness.id, title: 'Mbolea', body: 'Text' }).select('id'),
    },
    {
      name: "an editor editing the business's article changes no row",
      as: 'editor',
      method: 'PATCH',
      expected: { status: 200, rows: 0 },
      harness: (tx, w) => tx`update public.knowledge_articles set title = 'Edited' where id = ${w.articleId} returning id`,
      rest: (db, w) => db.from('knowledge_articles').update({ title: 'Edited' }).eq('id', w.articleId).select('id'),
    },
    {
      name: 'anon reads the knowledge article',
      as: 'anon',
      method: 'GET',
      expected: { status: 200, rows: 1 },
      harness: (tx, w) => tx`select id, title, tags from public.knowledge_articles where id = ${w.articleId}`,
      rest: (db, w) => db.from('knowledge_articles').select('id, title, tags').eq('id', w.articleId),
    },
  ],
};

let world: World;
beforeAll(async () => {
  const [business, otherBusiness, customer, otherCustomer] = await Promise.all([
    createBusiness('crosscheck'), createBusiness('crosscheck-other'), createCustomer('crosscheck'), createCustomer('crosscheck-other'),
  ]);
  const approved = await createProduct(business, 'approved');
  const draft = await createProduct(business, 'draft');
  const { orderId } = await pendingOrder(customer, business.id);
  const [article] = await superuser()`
    insert into public.knowledge_articles (business_id, title, body, tags) values (${business.id}, 'Kupanda', 'Body', '{mahindi}') returning id`;
  const visitor = await createUser({ anonymous: true });
  const [session] = await superuser()`
    insert into public.chatbot_sessions (user_id, business_id, visitor_name) values (${visitor.id}, ${business.id}, 'Achieng') returning id`;
  world = { business, otherBusiness, customer, otherCustomer, approved, draft, orderId, articleId: article.id, sessionId: session.id };
});

function harnessAs(actor: Actor, run: (tx: Tx) => Promise<postgres.Row[]>, method: Method): Promise<ApiResult<postgres.Row[]>> {
  if (actor === 'anon') return asAnon(run, { method });
  if (actor === 'serviceRole') return asServiceRole(run, { method });
  const users: Record<string, TestUser> = {
    customer: world.customer, otherCustomer: world.otherCustomer, viewer: world.business.viewer, editor: world.business.editor,
    approver: world.business.approver, admin: world.business.admin, otherAdmin: world.otherBusiness.admin,
  };
  return asUser(users[actor], run, { method });
}

function clientFor(actor: Actor): Promise<SupabaseClient> {
  if (actor === 'anon') return keyClient('anon');
  if (actor === 'serviceRole') return keyClient('service_role');
  const users: Record<string, TestUser> = {
    customer: world.customer, otherCustomer: world.otherCustomer, viewer: world.business.viewer, editor: world.business.editor,
    approver: world.business.approver, admin: world.business.admin, otherAdmin: world.otherBusiness.admin,
  };
  return userClient(users[actor]);
}

/** Rows as JSON values, in a stable order: what both sides hand a client. */
function rows(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map((row) => JSON.stringify(row)).sort();
}

describe.each(Object.entries(checks))('harness and PostgREST agree: %s', (_capability, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, check) => {
    const harness = await harnessAs(check.as, (tx) => check.harness(tx, world), check.method);
    const rest = await check.rest(await clientFor(check.as), world);
    expect(rest.status).toBe(check.expected.status);
    if (check.expected.rows !== undefined) expect(rest.data).toHaveLength(check.expected.rows);
    if (harness.error) {
      expect({ status: rest.status, code: rest.error?.code }).toEqual({ status: harness.error.status, code: harness.error.code });
    } else {
      expect(rest.error).toBeNull();
      expect(rest.status).toBeLessThan(300);
      expect(rows(rest.data)).toEqual(rows(JSON.parse(JSON.stringify(harness.data))));
    }
  });
});

// The private schema is out of the Data API whatever the key: PostgREST knows only `public`
// (and `graphql_public`), so even the service role key finds none of the private tables, and
// asking for the schema by name is refused. The harness runs SQL and cannot show this.
describe('private tables are not in the Data API', () => {
  it('the service role key finds none of them', async () => {
    const tables = await superuser()<{ name: string }[]>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'private' and c.relkind in ('r', 'p') order by 1`;
    expect(tables.map((table) => table.name)).toContain('notifications');
    const service = await keyClient('service_role');
    for (const { name } of tables) {
      const { status, error } = await service.from(name).select('*').limit(1);
      expect({ name, status, code: error?.code }).toEqual({ name, status: 404, code: '42P01' });
    }
  });

  it('naming the private schema is refused', async () => {
    const { status, error } = await (await keyClient('service_role')).schema('private').from('notifications').select('*');
    expect({ status, code: error?.code }).toEqual({ status: 406, code: 'PGRST106' });
  });
});
