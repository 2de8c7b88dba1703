// Every catalogue table × every actor × select/insert/update/delete, through PostgREST-faithful
// requests. Writes run with `Prefer: tx=rollback`, so each case sees the same data.
import { beforeAll } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { ACTORS, describeMatrix, type MatrixCase, outcomes, type World } from '../support/matrix.ts';
import { createCategory, createProduct, rpc } from './catalogue-fixtures.ts';

let world: World;
let category: string;
let leafCategory: string;
let draft: string;
let approved: string;
let draftImage: string;
let approvedImage: string;

beforeAll(async () => {
  const [business, otherBusiness, customer, otherCustomer] = await Promise.all([
    createBusiness('catalogue-matrix'), createBusiness('catalogue-rival'), createCustomer(), createCustomer(),
  ]);
  world = { business, otherBusiness, customer, otherCustomer };
  category = await createCategory(business, 'Vegetables');
  leafCategory = await createCategory(business, 'Unused', category);
  draft = await createProduct(business, 'draft', { categoryId: category });
  approved = await createProduct(business, 'approved', { categoryId: category });
  [draftImage, approvedImage] = await Promise.all([draft, approved].map(async (product) => {
    const [row] = await superuser()`
      insert into public.product_images (product_id, business_id, storage_path)
      values (${product}, ${business.id}, ${`${business.id}/${product}/front.jpg`}) returning id`;
    return row.id as string;
  }));
  // Adding the image sent the approved product back for review; approve it again.
  const reapproved = await rpc(business.approver, 'approve_product', { product_id: approved });
  if (reapproved.error) throw new Error(reapproved.error.message);
});

const writers = ['editor', 'approver', 'admin', 'serviceRole'] as const;
const members = ['viewer', 'editor', 'approver', 'admin', 'serviceRole'] as const;
const everyone = outcomes([...ACTORS], { users: 'denied', anon: 'denied' });
const refusedToAll = outcomes([], { users: 'denied', anon: 'denied' });

const cases: MatrixCase[] = [
  // categories: public like the storefront, written by products.write holders.
  {
    table: 'categories', operation: 'select',
    run: (tx) => tx`select id, name from public.categories where id = ${category}`,
    expected: everyone,
  },
  {
    table: 'categories', operation: 'insert',
    run: (tx) => tx`insert into public.categories (business_id, name, slug)
                    values (${world.business.id}, 'Fruits', 'fruits-matrix') returning id`,
    expected: outcomes([...writers], { users: 'denied', anon: 'denied' }),
  },
  {
    table: 'categories', operation: 'update',
    run: (tx) => tx`update public.categories set name = 'Greens' where id = ${category} returning id`,
    expected: outcomes([...writers], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'categories', operation: 'delete',
    run: (tx) => tx`delete from public.categories where id = ${leafCategory} returning id`,
    expected: outcomes([...writers], { users: 'filtered', anon: 'denied' }),
  },
  // products: approved ones are public; the rest belong to the business's readers.
  {
    table: 'products (approved)', operation: 'select',
    run: (tx) => tx`select id, name, price from public.products where id = ${approved}`,
    expected: everyone,
  },
  {
    table: 'products (draft)', operation: 'select',
    run: (tx) => tx`select id, name, price from public.products where id = ${draft}`,
    expected: outcomes([...members], { users: 'filtered', anon: 'filtered' }),
  },
  {
    table: 'products', operation: 'insert',
    run: (tx) => tx`insert into public.products (business_id, name, price)
                    values (${world.business.id}, 'Matrix maize', 10) returning id`,
    expected: outcomes([...writers], { users: 'denied', anon: 'denied' }),
  },
  {
    table: 'products', operation: 'update',
    run: (tx) => tx`update public.products set price = 42 where id = ${draft} returning id`,
    expected: outcomes([...writers], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'products (draft)', operation: 'delete',
    run: (tx) => tx`delete from public.products where id = ${draft} returning id`,
    expected: outcomes([...writers], { users: 'filtered', anon: 'denied' }),
  },
  // product_images: follow their product's visibility; written by products.write holders.
  {
    table: 'product_images (approved product)', operation: 'select',
    run: (tx) => tx`select id from public.product_images where id = ${approvedImage}`,
    expected: everyone,
  },
  {
    table: 'product_images (draft product)', operation: 'select',
    run: (tx) => tx`select id from public.product_images where id = ${draftImage}`,
    expected: outcomes([...members], { users: 'filtered', anon: 'filtered' }),
  },
  {
    table: 'product_images', operation: 'insert',
    run: (tx) => tx`insert into public.product_images (product_id, business_id, storage_path)
                    values (${draft}, ${world.business.id}, ${`${world.business.id}/${draft}/side.jpg`}) returning id`,
    expected: outcomes([...writers], { users: 'denied', anon: 'denied' }),
  },
  {
    table: 'product_images', operation: 'update',
    run: (tx) => tx`update public.product_images set alt_text = 'Side view' where id = ${draftImage} returning id`,
    expected: outcomes([...writers], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'product_images', operation: 'delete',
    run: (tx) => tx`delete from public.product_images where id = ${draftImage} returning id`,
    expected: outcomes([...writers], { users: 'filtered', anon: 'denied' }),
  },
  // product_status_history: append-only, readable by the business's readers, written by triggers only.
  {
    table: 'product_status_history', operation: 'select',
    run: (tx) => tx`select id, to_status from public.product_status_history where product_id = ${approved}`,
    expected: outcomes([...members], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'product_status_history', operation: 'insert',
    run: (tx) => tx`insert into public.product_status_history (product_id, business_id, to_status)
                    values (${draft}, ${world.business.id}, 'approved') returning id`,
    expected: refusedToAll,
  },
  {
    table: 'product_status_history', operation: 'update',
    run: (tx) => tx`update public.product_status_history set note = 'rewritten' where product_id = ${approved} returning id`,
    expected: refusedToAll,
  },
  {
    table: 'product_status_history', operation: 'delete',
    run: (tx) => tx`delete from public.product_status_history where product_id = ${approved} returning id`,
    expected: refusedToAll,
  },
];

describeMatrix(cases, () => world);
