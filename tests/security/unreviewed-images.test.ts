// Threat: unreviewed product images go public. On an approved product an editor replaces an
// image (a Storage upsert of an existing object) or uploads a new object into the product's
// folder, hoping anon sees the new bytes while the product stays approved. Outsiders read only
// the objects an approved product's image rows name, and those bytes are immutable: no upsert,
// no move, and no new upload to a path a row names or once named. New bytes need a new row,
// which sends the product back for review.
import { beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer, type BusinessFixture } from '../support/fixtures.ts';
import { asAnon, asUser, type Caller } from '../support/postgrest.ts';
import { storageAs } from '../support/storage.ts';
import type { TestUser } from '../support/users.ts';
import { createProduct, productState, rpc } from '../catalogue/catalogue-fixtures.ts';

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

const addImageRow = (product: string, path: string, who = shop.editor) =>
  asUser(who, (tx) => tx`
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

async function objectSize(path: string): Promise<number | null> {
  const [row] = await superuser()`select (metadata ->> 'size')::int as size from storage.objects where bucket_id = ${BUCKET} and name = ${path}`;
  return row?.size ?? null;
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
  it('replacing an image of an approved product (upsert) is refused (403): the approved bytes stay', async () => {
    const { product, path } = await approvedWithImage();
    for (const who of [shop.editor, shop.approver, shop.admin]) {
      const replaced = await storageAs(who).upload(BUCKET, path, { ...jpeg, size: 300_000, upsert: true });
      expect(replaced.error?.statusCode).toBe(403);
    }
    expect(await objectSize(path)).toBe(jpeg.size);
    expect((await productState(product)).status).toBe('approved');
    expect((await storageAs(anon).download(BUCKET, path)).data?.metadata).toMatchObject({ size: jpeg.size });
  });

  it('a new object uploaded into an approved product\'s folder is never readable by outsiders', async () => {
    const { product } = await approvedWithImage();
    const sneaked = `${shop.id}/${product}/extra.jpg`;
    expect((await storageAs(shop.editor).upload(BUCKET, sneaked, jpeg)).error).toBeNull();
    await expectHiddenFromOutsiders(sneaked);
    const anonProducts = await asAnon((tx) => tx`select id from public.products where id = ${product}`, { method: 'GET' });
    expect(anonProducts.data).toEqual([{ id: product }]);
  });

  it('deleting an approved image and uploading new bytes under its name is refused (403)', async () => {
    const { path } = await approvedWithImage();
    expect((await storageAs(shop.editor).remove(BUCKET, [path])).data).toEqual([path]);
    expect((await storageAs(shop.editor).upload(BUCKET, path, { ...jpeg, size: 300_000 })).error?.statusCode).toBe(403);
    expect(await objectSize(path)).toBeNull();
  });

  it('a path once named by an image row is never written again, even after the row is gone', async () => {
    const { product, path } = await approvedWithImage();
    const removed = await asUser(shop.editor, (tx) => tx`delete from public.product_images where storage_path = ${path} returning id`);
    expect(removed.data).toHaveLength(1);
    expect((await storageAs(shop.editor).remove(BUCKET, [path])).data).toEqual([path]);
    // A signed URL handed out while the product was approved names this path: new bytes here
    // would reach whoever holds it without a review.
    expect((await storageAs(shop.editor).upload(BUCKET, path, jpeg)).error?.statusCode).toBe(403);
    expect((await productState(product)).status).toBe('pending_approval');
  });

  it('moving another object onto an approved image\'s path (after removing it) is refused', async () => {
    const { product, path } = await approvedWithImage();
    const other = `${shop.id}/${product}/other.jpg`;
    expect((await storageAs(shop.editor).upload(BUCKET, other, { ...jpeg, size: 300_000 })).error).toBeNull();
    expect((await storageAs(shop.editor).remove(BUCKET, [path])).data).toEqual([path]);
    expect((await storageAs(shop.editor).move(BUCKET, other, path)).error).not.toBeNull();
    expect([await objectSize(path), await objectSize(other)]).toEqual([null, 300_000]);
  });

  it('new bytes reach outsiders only with a new image row, which sends the product back for review first', async () => {
    const { product } = await approvedWithImage();
    const fresh = `${shop.id}/${product}/front-v2.jpg`;
    expect((await storageAs(shop.approver).upload(BUCKET, fresh, jpeg)).error).toBeNull();
    expect((await addImageRow(product, fresh, shop.approver)).error).toBeNull();
    expect(await productState(product)).toMatchObject({ status: 'pending_approval', submitted_by: shop.approver.id });
    await expectHiddenFromOutsiders(fresh);
    // The approver who added it cannot approve it; another approver can, and then it is public.
    expect((await rpc(shop.approver, 'approve_product', { product_id: product })).error).toMatchObject({ code: '42501' });
    expect((await rpc(shop.admin, 'approve_product', { product_id: product })).error).toBeNull();
    expect((await storageAs(anon).download(BUCKET, fresh)).error).toBeNull();
  });

  it('a stray object in an approved product\'s folder, named by no image row, is never public', async () => {
    // Uploaded while the product was a draft; the approver reviews the image rows, which do
    // not name it.
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
});
