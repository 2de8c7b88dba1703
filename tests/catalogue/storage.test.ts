// The product-images bucket through the Storage API's checks: limits from the bucket row,
// policies on storage.objects for <business_id>/<product_id>/<file>.
import { beforeAll, describe, expect, it } from 'vitest';
import { createBusiness, createCustomer, type BusinessFixture } from '../support/fixtures.ts';
import { storageAs } from '../support/storage.ts';
import { asUser } from '../support/postgrest.ts';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import type { Caller } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';
import { createProduct, productState, rpc } from './catalogue-fixtures.ts';

const BUCKET = 'product-images';
const jpeg = { contentType: 'image/jpeg', size: 200_000 };
let shop: BusinessFixture;
let rival: BusinessFixture;
let customer: TestUser;
let anon: Caller;

beforeAll(async () => {
  [shop, rival, customer] = await Promise.all([createBusiness('images'), createBusiness('images-rival'), createCustomer()]);
  const jwt = (await apiKeys()).anonKey;
  anon = { jwt, claims: JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) };
});

describe('uploading', () => {
  it.each(['editor', 'approver', 'admin'] as const)('a %s uploads to a product of their business', async (role) => {
    const product = await createProduct(shop);
    const result = await storageAs(shop[role]).upload(BUCKET, `${shop.id}/${product}/${role}.jpg`, jpeg);
    expect(result).toEqual({ data: { path: `${shop.id}/${product}/${role}.jpg` }, error: null });
  });

  it.each([
    ['a viewer', () => shop.viewer],
    ['a customer', () => customer],
    ['an admin of another business', () => rival.admin],
  ])('%s cannot upload (403)', async (_label, who) => {
    const product = await createProduct(shop);
    const result = await storageAs(who()).upload(BUCKET, `${shop.id}/${product}/x.jpg`, jpeg);
    expect(result.error?.statusCode).toBe(403);
  });

  it('anon cannot upload', async () => {
    const product = await createProduct(shop);
    expect((await storageAs(anon).upload(BUCKET, `${shop.id}/${product}/x.jpg`, jpeg)).error?.statusCode).toBe(403);
  });

  it.each([
    ['outside any product folder', (product: string) => `${shop.id}/loose.jpg`.replace('PRODUCT', product)],
    ['in a folder below the product', (product: string) => `${shop.id}/${product}/deep/x.jpg`],
    ['under a product of another business', (_product: string) => `${shop.id}/RIVAL/x.jpg`],
    ['under a product that does not exist', (_product: string) => `${shop.id}/${crypto.randomUUID()}/x.jpg`],
    ['with a business segment that is not a uuid', (product: string) => `not-a-uuid/${product}/x.jpg`],
  ])('an editor cannot upload %s', async (_label, pathOf) => {
    const product = await createProduct(shop);
    const rivalProduct = await createProduct(rival);
    const result = await storageAs(shop.editor).upload(BUCKET, pathOf(product).replace('RIVAL', rivalProduct), jpeg);
    expect(result.error?.statusCode).toBe(403);
  });

  it('files over 5 MB are refused (413)', async () => {
    const product = await createProduct(shop);
    const result = await storageAs(shop.editor).upload(BUCKET, `${shop.id}/${product}/big.jpg`, { contentType: 'image/jpeg', size: 5 * 1024 * 1024 + 1 });
    expect(result.error?.statusCode).toBe(413);
  });

  it.each(['image/png', 'image/webp', 'image/avif'])('%s is accepted', async (contentType) => {
    const product = await createProduct(shop);
    expect((await storageAs(shop.editor).upload(BUCKET, `${shop.id}/${product}/ok`, { contentType, size: 1000 })).error).toBeNull();
  });

  it.each(['image/gif', 'application/pdf', 'image/svg+xml'])('%s is refused (415)', async (contentType) => {
    const product = await createProduct(shop);
    const result = await storageAs(shop.editor).upload(BUCKET, `${shop.id}/${product}/bad`, { contentType, size: 1000 });
    expect(result.error?.statusCode).toBe(415);
  });

  it('image bytes are immutable: an upsert of an existing object is refused (403) to everyone', async () => {
    const product = await createProduct(shop);
    const path = `${shop.id}/${product}/front.jpg`;
    await storageAs(shop.editor).upload(BUCKET, path, jpeg);
    for (const who of [shop.editor, shop.admin, rival.admin]) {
      expect((await storageAs(who).upload(BUCKET, path, { ...jpeg, size: 1234, upsert: true })).error?.statusCode).toBe(403);
    }
    expect((await storageAs(shop.editor).download(BUCKET, path)).data?.metadata).toMatchObject({ size: jpeg.size });
  });
});

describe('reading', () => {
  async function productWithImage(status: 'draft' | 'approved') {
    const product = await createProduct(shop);
    const path = `${shop.id}/${product}/front.jpg`;
    expect((await storageAs(shop.editor).upload(BUCKET, path, jpeg)).error).toBeNull();
    // Outsiders read the objects that the product's image rows name, as clients add them.
    const row = await asUser(shop.editor, (tx) => tx`
      insert into public.product_images (product_id, business_id, storage_path) values (${product}, ${shop.id}, ${path}) returning id`);
    expect(row.error).toBeNull();
    if (status === 'approved') {
      await rpc(shop.editor, 'submit_product', { product_id: product });
      await rpc(shop.approver, 'approve_product', { product_id: product });
      expect((await productState(product)).status).toBe('approved');
    }
    return path;
  }

  it('an image of an approved product is readable by everyone', async () => {
    const path = await productWithImage('approved');
    for (const caller of [anon, customer, rival.admin, shop.viewer]) {
      expect((await storageAs(caller).download(BUCKET, path)).error).toBeNull();
    }
  });

  it('an image of an unapproved product is readable only inside its business', async () => {
    const path = await productWithImage('draft');
    for (const caller of [anon, customer, rival.admin]) {
      expect((await storageAs(caller).download(BUCKET, path)).error?.statusCode).toBe(404);
    }
    for (const member of [shop.viewer, shop.editor, shop.admin]) {
      expect((await storageAs(member).download(BUCKET, path)).error).toBeNull();
    }
  });

  it('listing a business folder shows outsiders the approved images only', async () => {
    const [draftPath, approvedPath] = [await productWithImage('draft'), await productWithImage('approved')];
    const listed = await storageAs(customer).list(BUCKET, `${shop.id}/`);
    expect(listed.data).toContain(approvedPath);
    expect(listed.data).not.toContain(draftPath);
  });
});

describe('deleting', () => {
  it('an editor deletes; a viewer, a customer and another business cannot', async () => {
    const product = await createProduct(shop);
    const path = `${shop.id}/${product}/front.jpg`;
    await storageAs(shop.editor).upload(BUCKET, path, jpeg);
    for (const caller of [shop.viewer, customer, rival.admin, anon]) {
      expect((await storageAs(caller).remove(BUCKET, [path])).data ?? []).toEqual([]);
    }
    expect((await storageAs(shop.editor).remove(BUCKET, [path])).data).toEqual([path]);
    expect((await storageAs(shop.editor).download(BUCKET, path)).error?.statusCode).toBe(404);
  });
});
