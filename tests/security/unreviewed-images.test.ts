// Threat: unreviewed product images go public. On an approved product an editor replaces an
// image (a Storage upsert of an existing object) or uploads a new object into the product's
// folder, hoping anon sees the new bytes while the product stays approved. Any change of the
// bytes in a product's folder is an image change: it sends an approved product back for
// review (and withdraws a pending submission), so nobody outside the business sees bytes no
// approver has approved.
import { beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { createBusiness, createCustomer, type BusinessFixture } from '../support/fixtures.ts';
import { asAnon, asUser, type Caller } from '../support/postgrest.ts';
import { storageAs } from '../support/storage.ts';
import type { TestUser } from '../support/users.ts';
import { createProduct, historyOf, productState, rpc } from '../catalogue/catalogue-fixtures.ts';

const BUCKET = 'product-images';
const jpeg = { contentType: 'image/jpeg', size: 200_000 };
let shop: BusinessFixture;
let rival: BusinessFixture;
let customer: TestUser;
let anon: Caller;

beforeAll(async () => {
  [shop, rival, customer] = await Promise.all([createBusiness('image-review'), createBusiness('image-review-rival'), createCustomer()]);
  const jwt = (await apiKeys()).anonKey;
  anon = { jwt, claims: JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) };
});

const addImageRow = (product: string, path: string) =>
  asUser(shop.editor, (tx) => tx`
    insert into public.product_images (product_id, business_id, storage_path) values (${product}, ${shop.id}, ${path}) returning id`);

/** An approved product with one image, readable by everyone. */
async function approvedWithImage() {
  const product = await createProduct(shop);
  const path = `${shop.id}/${product}/front.jpg`;
  expect((await storageAs(shop.editor).upload(BUCKET, path, jpeg)).error).toBeNull();
  expect((await addImageRow(product, path)).error).toBeNull();
  await rpc(shop.editor, 'submit_product', { product_id: product });
  await rpc(shop.approver, 'approve_product', { product_id: product });
  expect((await productState(product)).status).toBe('approved');
  expect((await storageAs(anon).download(BUCKET, path)).error).toBeNull();
  return { product, path };
}

async function expectHiddenFromOutsiders(path: string) {
  for (const outsider of [anon, customer, rival.admin]) {
    expect((await storageAs(outsider).download(BUCKET, path)).error?.statusCode).toBe(404);
    expect((await storageAs(outsider).list(BUCKET, `${shop.id}/`)).data).not.toContain(path);
  }
  for (const member of [shop.viewer, shop.editor, shop.approver, shop.admin]) {
    expect((await storageAs(member).download(BUCKET, path)).error).toBeNull();
  }
}

describe('unreviewed product images never go public', () => {
  it('replacing an image of an approved product (upsert) sends the product back for review: anon cannot read the new bytes', async () => {
    const { product, path } = await approvedWithImage();
    expect((await storageAs(shop.editor).upload(BUCKET, path, { ...jpeg, size: 300_000, upsert: true })).error).toBeNull();
    expect(await productState(product)).toMatchObject({ status: 'pending_approval', submitted_by: shop.editor.id });
    await expectHiddenFromOutsiders(path);
    const anonProducts = await asAnon((tx) => tx`select id from public.products where id = ${product}`, { method: 'GET' });
    expect(anonProducts.data).toEqual([]);
    expect((await historyOf(product)).at(-1)).toMatchObject({
      from_status: 'approved', to_status: 'pending_approval', actor_id: shop.editor.id, note: 'Image file changed after approval.',
    });
  });

  it('a new object uploaded into an approved product\'s folder sends it back for review: anon cannot read it', async () => {
    const { product, path } = await approvedWithImage();
    const sneaked = `${shop.id}/${product}/extra.jpg`;
    expect((await storageAs(shop.editor).upload(BUCKET, sneaked, jpeg)).error).toBeNull();
    expect((await productState(product)).status).toBe('pending_approval');
    await expectHiddenFromOutsiders(sneaked);
    await expectHiddenFromOutsiders(path);
  });

  it('the uploader cannot approve their own image change; another approver can, and then it is public', async () => {
    const { product, path } = await approvedWithImage();
    expect((await storageAs(shop.approver).upload(BUCKET, path, { ...jpeg, upsert: true })).error).toBeNull();
    expect((await rpc(shop.approver, 'approve_product', { product_id: product })).error).toMatchObject({ code: '42501' });
    expect((await productState(product)).status).toBe('pending_approval');
    expect((await rpc(shop.admin, 'approve_product', { product_id: product })).error).toBeNull();
    expect((await storageAs(anon).download(BUCKET, path)).error).toBeNull();
  });

  it('an image change while the product awaits approval withdraws the submission', async () => {
    const product = await createProduct(shop, 'pending_approval');
    expect((await storageAs(shop.approver).upload(BUCKET, `${shop.id}/${product}/late.jpg`, jpeg)).error).toBeNull();
    expect(await productState(product)).toMatchObject({ status: 'draft', submitted_by: null });
    expect((await rpc(shop.approver, 'approve_product', { product_id: product })).error).toMatchObject({ code: 'PT409' });
  });

  it('a stray object in an approved product\'s folder, named by no image row, is never public', async () => {
    // Uploaded while the product was a draft, so no review was triggered; the approver reviews
    // the product's image rows, which do not name it.
    const product = await createProduct(shop);
    const named = `${shop.id}/${product}/front.jpg`;
    const stray = `${shop.id}/${product}/stray.jpg`;
    for (const path of [named, stray]) expect((await storageAs(shop.editor).upload(BUCKET, path, jpeg)).error).toBeNull();
    expect((await addImageRow(product, named)).error).toBeNull();
    await rpc(shop.editor, 'submit_product', { product_id: product });
    await rpc(shop.approver, 'approve_product', { product_id: product });
    expect((await productState(product)).status).toBe('approved');
    expect((await storageAs(anon).download(BUCKET, named)).error).toBeNull();
    await expectHiddenFromOutsiders(stray);
  });

  it('uploads to a draft change nothing about its status', async () => {
    const product = await createProduct(shop);
    expect((await storageAs(shop.editor).upload(BUCKET, `${shop.id}/${product}/a.jpg`, jpeg)).error).toBeNull();
    expect((await productState(product)).status).toBe('draft');
  });
});
