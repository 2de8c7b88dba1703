// Customers never see unapproved products: not through the tables, not through embedding
// (products with product_images, as PostgREST builds it), not through search.
import { beforeAll, describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer, type BusinessFixture } from '../support/fixtures.ts';
import { asAnon, asUser, type Tx } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';
import type { Row } from 'postgres';
import { createProduct, rpc, type Status } from './catalogue-fixtures.ts';

let shop: BusinessFixture;
let rival: BusinessFixture;
let customer: TestUser;
const word = `zvisible${Date.now()}`;
const ids = {} as Record<Status, string>;

beforeAll(async () => {
  [shop, rival, customer] = await Promise.all([createBusiness('visibility'), createBusiness('visibility-rival'), createCustomer()]);
  for (const status of ['draft', 'pending_approval', 'approved', 'rejected', 'archived'] as const) {
    ids[status] = await createProduct(shop, 'draft', { name: `${word} ${status}` });
    await superuser()`insert into public.product_images (product_id, business_id, storage_path)
                      values (${ids[status]}, ${shop.id}, ${`${shop.id}/${ids[status]}/a.jpg`})`;
    // Reach the status after the image, so that adding it did not send anything back.
    if (status !== 'draft') {
      await rpc(shop.editor, 'submit_product', { product_id: ids[status] });
      if (status === 'rejected') await rpc(shop.approver, 'reject_product', { product_id: ids[status], reason: 'No.' });
      if (status === 'approved' || status === 'archived') await rpc(shop.approver, 'approve_product', { product_id: ids[status] });
      if (status === 'archived') await rpc(shop.editor, 'archive_product', { product_id: ids[status] });
    }
  }
  const [row] = await superuser()`
    select count(*)::int as n from public.products where id = any(${Object.values(ids)}) and name = ${word} || ' ' || status`;
  expect(row.n).toBe(5);
});

// What PostgREST runs for `from('products').select('id, product_images(id, storage_path)')`.
const embedded = (tx: Tx) => tx`
  select p.id, coalesce((select json_agg(json_build_object('id', i.id, 'storage_path', i.storage_path))
                         from public.product_images i where i.product_id = p.id), '[]') as product_images
  from public.products p where p.name like ${`${word}%`}`;

const searched = (tx: Tx) => tx`select id, status from public.search_products(query := ${word}, page_size := 100)`;

type Viewer = 'anon' | 'customer' | 'rival admin' | 'viewer';

function as(viewer: Viewer, run: (tx: Tx) => Promise<Row[]>) {
  const options = { method: 'GET' as const };
  if (viewer === 'anon') return asAnon(run, options);
  const user = viewer === 'customer' ? customer : viewer === 'rival admin' ? rival.admin : shop.viewer;
  return asUser(user, run, options);
}

describe.each<Viewer>(['anon', 'customer', 'rival admin'])('%s', (viewer) => {
  it('sees only the approved product in the products table', async () => {
    const { data } = await as(viewer, (tx) => tx`select id from public.products where name like ${`${word}%`}`);
    expect(data).toEqual([{ id: ids.approved }]);
  });

  it('sees only the approved product, with its image, when embedding product_images', async () => {
    const { data } = await as(viewer, embedded);
    expect(data).toEqual([{ id: ids.approved, product_images: [expect.objectContaining({ storage_path: `${shop.id}/${ids.approved}/a.jpg` })] }]);
  });

  it('sees only images of approved products in product_images', async () => {
    const { data } = await as(viewer, (tx) => tx`select product_id from public.product_images where product_id = any(${Object.values(ids)})`);
    expect(data).toEqual([{ product_id: ids.approved }]);
  });

  it('finds only the approved product by search, even filtering by the business', async () => {
    expect((await as(viewer, searched)).data).toEqual([{ id: ids.approved, status: 'approved' }]);
    const filtered = await as(viewer, (tx) => tx`select id from public.search_products(query := ${word}, business_id := ${shop.id})`);
    expect(filtered.data).toEqual([{ id: ids.approved }]);
  });
});

describe('a member with products.read', () => {
  it('sees every status of their business in the table and with images', async () => {
    const { data } = await as('viewer', embedded);
    expect(data!.map((row) => (row as { id: string }).id).sort()).toEqual(Object.values(ids).sort());
  });

  it('searches the storefront (approved only) unless filtering by their own business', async () => {
    expect((await as('viewer', searched)).data).toEqual([{ id: ids.approved, status: 'approved' }]);
    const own = await as('viewer', (tx) => tx`select status from public.search_products(query := ${word}, business_id := ${shop.id})`);
    expect(own.data!.map((row) => (row as { status: string }).status).sort()).toEqual(
      ['approved', 'archived', 'draft', 'pending_approval', 'rejected'],
    );
  });
});
