// Catalogue fixtures made the way clients make them: editors insert drafts and call the
// workflow RPCs, approvers review; nothing here writes workflow columns directly.
import type { Row } from 'postgres';
import { superuser } from '../support/db.ts';
import type { BusinessFixture } from '../support/fixtures.ts';
import { asUser, type ApiResult } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';

export type Status = 'draft' | 'pending_approval' | 'approved' | 'rejected' | 'archived';

/** Calls a public function with named arguments, as supabase.rpc() does. */
export function rpc(user: TestUser, name: string, args: Record<string, unknown>): Promise<ApiResult<Row[]>> {
  const names = Object.keys(args);
  const placeholders = names.map((arg, i) => `${arg} := $${i + 1}`).join(', ');
  return asUser(user, (tx) => tx.unsafe(`select * from public.${name}(${placeholders})`, Object.values(args) as never[]));
}

async function expectOk(result: Promise<ApiResult<Row[]>>, what: string): Promise<Row[]> {
  const { data, error } = await result;
  if (error) throw new Error(`${what}: ${error.code} ${error.message}`);
  return data;
}

export interface NewProduct {
  name?: string;
  description?: string | null;
  categoryId?: string | null;
  price?: number;
  stock?: number;
  unit?: string;
}

let count = 0;

export async function createCategory(business: BusinessFixture, name: string, parentId: string | null = null): Promise<string> {
  const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}-${++count}`;
  const [row] = await expectOk(
    asUser(business.editor, (tx) => tx`
      insert into public.categories (business_id, parent_id, name, slug)
      values (${business.id}, ${parentId}, ${name}, ${slug}) returning id`),
    'create category',
  );
  return row.id;
}

/** A product in the given status, reached through the workflow as its members would. */
export async function createProduct(business: BusinessFixture, status: Status = 'draft', input: NewProduct = {}): Promise<string> {
  const [row] = await expectOk(
    asUser(business.editor, (tx) => tx`
      insert into public.products (business_id, category_id, name, description, price, unit, stock_quantity)
      values (${business.id}, ${input.categoryId ?? null}, ${input.name ?? `Product ${++count}`},
              ${input.description === undefined ? 'A product for tests.' : input.description},
              ${input.price ?? 100}, ${input.unit ?? 'kg'}, ${input.stock ?? 10})
      returning id`),
    'create product',
  );
  const id = row.id as string;
  if (status === 'draft') return id;
  await expectOk(rpc(business.editor, 'submit_product', { product_id: id }), 'submit');
  if (status === 'pending_approval') return id;
  if (status === 'rejected') {
    await expectOk(rpc(business.approver, 'reject_product', { product_id: id, reason: 'Needs a photo.' }), 'reject');
    return id;
  }
  await expectOk(rpc(business.approver, 'approve_product', { product_id: id }), 'approve');
  if (status === 'approved') return id;
  await expectOk(rpc(business.editor, 'archive_product', { product_id: id }), 'archive');
  return id;
}

/** What really is in the database, read as the superuser. */
export async function productState(id: string): Promise<Row> {
  const [row] = await superuser()`
    select status, submitted_by, reviewed_by, reviewed_at, rejection_reason, name, price from public.products where id = ${id}`;
  return row;
}

export async function historyOf(id: string): Promise<Row[]> {
  return await superuser()`
    select from_status, to_status, actor_id, note from public.product_status_history
    where product_id = ${id} order by created_at, id`;
}
