// Categories: slugs unique per business, parents in the same business, and what cannot be
// removed while products use it.
import { beforeAll, describe, expect, it } from 'vitest';
import { createBusiness, type BusinessFixture } from '../support/fixtures.ts';
import { asUser } from '../support/postgrest.ts';
import { createCategory, createProduct } from './catalogue-fixtures.ts';

let shop: BusinessFixture;
let rival: BusinessFixture;

beforeAll(async () => {
  [shop, rival] = await Promise.all([createBusiness('categories'), createBusiness('categories-rival')]);
});

const insertCategory = (business: BusinessFixture, slug: string, parentId: string | null = null) =>
  asUser(business.editor, (tx) => tx`
    insert into public.categories (business_id, parent_id, name, slug) values (${business.id}, ${parentId}, 'Grains', ${slug})
    returning id`);

describe('categories', () => {
  it('a slug is unique within a business (409) but free in another', async () => {
    const slug = `grains-${Date.now()}`;
    expect((await insertCategory(shop, slug)).error).toBeNull();
    expect((await insertCategory(shop, slug)).error).toMatchObject({ code: '23505', status: 409 });
    expect((await insertCategory(rival, slug)).error).toBeNull();
  });

  it('a malformed slug is refused (400)', async () => {
    expect((await insertCategory(shop, 'Not A Slug')).error?.status).toBe(400);
  });

  it('a parent must be in the same business (400)', async () => {
    const foreignParent = await createCategory(rival, 'Rival produce');
    const result = await insertCategory(shop, `child-${Date.now()}`, foreignParent);
    expect(result.error).toMatchObject({ code: '22023', status: 400 });
    expect(result.error!.message).toContain('not a category of this business');
  });

  it('a product cannot use another business\'s category (409)', async () => {
    const foreign = await createCategory(rival, 'Rival fruits');
    const result = await asUser(shop.editor, (tx) => tx`
      insert into public.products (business_id, category_id, name, price) values (${shop.id}, ${foreign}, 'Mango', 10)`);
    expect(result.error).toMatchObject({ code: '23503', status: 409 });
  });

  it('a category in use by products or sub-categories cannot be deleted (409)', async () => {
    const parent = await createCategory(shop, 'Produce');
    await createCategory(shop, 'Vegetables', parent);
    const used = await createCategory(shop, 'Fruits');
    await createProduct(shop, 'draft', { categoryId: used });
    for (const id of [parent, used]) {
      const result = await asUser(shop.editor, (tx) => tx`delete from public.categories where id = ${id} returning id`);
      expect(result.error).toMatchObject({ code: '23503', status: 409 });
    }
  });
});
