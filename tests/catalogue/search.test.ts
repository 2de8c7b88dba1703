// search_products: relevance, language-neutral words and prefixes, filters, sorting, bad
// arguments, and keyset pagination that neither skips nor repeats rows while rows are added.
import { beforeAll, describe, expect, it } from 'vitest';
import { createBusiness, type BusinessFixture } from '../support/fixtures.ts';
import { asAnon, type ApiResult } from '../support/postgrest.ts';
import type { Row } from 'postgres';
import { createCategory, createProduct, rpc } from './catalogue-fixtures.ts';

let shop: BusinessFixture;
let rival: BusinessFixture;
// A word no other suite uses, so that marketplace-wide searches see only this file's rows.
const word = `zsearch${Date.now().toString(36)}`;

function search(args: Record<string, unknown>): Promise<ApiResult<Row[]>> {
  const names = Object.keys(args);
  const placeholders = names.map((arg, i) => `${arg} := $${i + 1}`).join(', ');
  return asAnon((tx) => tx.unsafe(`select * from public.search_products(${placeholders})`, Object.values(args) as never[]), { method: 'GET' });
}

async function ids(args: Record<string, unknown>): Promise<string[]> {
  const { data, error } = await search(args);
  if (error) throw new Error(error.message);
  return data.map((row) => row.id as string);
}

beforeAll(async () => {
  [shop, rival] = await Promise.all([createBusiness('search'), createBusiness('search-rival')]);
});

describe('relevance', () => {
  it('ranks a name match above a category match above a description match, newest first within each', async () => {
    const category = await createCategory(shop, `${word}rel produce`);
    const inDescription = await createProduct(shop, 'approved', { name: 'Plain beans', description: `Goes well with ${word}rel.` });
    const inCategory = await createProduct(shop, 'approved', { name: 'Plain rice', categoryId: category });
    const olderInName = await createProduct(shop, 'approved', { name: `${word}rel maize` });
    const newerInName = await createProduct(shop, 'approved', { name: `Fresh ${word}rel` });
    const { data } = await search({ query: `${word}rel` });
    expect(data!.map((row) => row.id)).toEqual([newerInName, olderInName, inCategory, inDescription]);
    expect(data!.map((row) => Number(row.rank.toFixed(2)))).toEqual([1, 1, 0.4, 0.2]);
  });

  it('finds Swahili and English words alike, every word must match, in any case', async () => {
    const both = await createProduct(shop, 'approved', { name: `Mahindi ${word}sw (maize)` });
    await createProduct(shop, 'approved', { name: `Maharage ${word}sw (beans)` });
    expect(await ids({ query: `MAHINDI ${word}sw` })).toEqual([both]);
    expect(await ids({ query: `maize ${word}sw` })).toEqual([both]);
  });

  it('matches the last word as a prefix, as people type, and the others whole', async () => {
    const product = await createProduct(shop, 'approved', { name: `Parachichi ${word}prefix` });
    expect(await ids({ query: `parachichi ${word}pre` })).toEqual([product]);
    expect(await ids({ query: `${word}prefix parach` })).toEqual([product]);
    expect(await ids({ query: `parach ${word}prefix` })).toEqual([]);
    expect(await ids({ query: `${word}prefixx` })).toEqual([]);
  });

  it('treats quotes, operators and punctuation as plain text', async () => {
    const product = await createProduct(shop, 'approved', { name: `Sukuma-wiki ${word}punct` });
    expect(await ids({ query: `sukuma-wiki & ${word}punct's | !(` })).toEqual([product]);
  });
});

describe('filters', () => {
  let parent: string;
  let child: string;
  let sibling: string;
  const made: Record<string, string> = {};

  beforeAll(async () => {
    parent = await createCategory(shop, 'Produce');
    child = await createCategory(shop, 'Vegetables', parent);
    sibling = await createCategory(shop, 'Seeds');
    made.inParent = await createProduct(shop, 'approved', { name: `${word}f in parent`, categoryId: parent, price: 50, stock: 5 });
    made.inChild = await createProduct(shop, 'approved', { name: `${word}f in child`, categoryId: child, price: 150, stock: 0 });
    made.inSibling = await createProduct(shop, 'approved', { name: `${word}f in sibling`, categoryId: sibling, price: 250, stock: 8 });
    made.rival = await createProduct(rival, 'approved', { name: `${word}f at the rival`, price: 350, stock: 1 });
  });

  const sorted = (values: string[]) => [...values].sort();

  it('by business', async () => {
    expect(sorted(await ids({ query: `${word}f`, business_id: rival.id }))).toEqual([made.rival]);
  });

  it('by category, including its sub-categories', async () => {
    expect(sorted(await ids({ query: `${word}f`, category_id: parent }))).toEqual(sorted([made.inParent, made.inChild]));
    expect(await ids({ query: `${word}f`, category_id: child })).toEqual([made.inChild]);
  });

  it('by price range, bounds included', async () => {
    expect(sorted(await ids({ query: `${word}f`, min_price: 150, max_price: 250 }))).toEqual(sorted([made.inChild, made.inSibling]));
  });

  it('by stock', async () => {
    expect(await ids({ query: `${word}f`, in_stock: false })).toEqual([made.inChild]);
    expect(sorted(await ids({ query: `${word}f`, in_stock: true }))).toEqual(sorted([made.inParent, made.inSibling, made.rival]));
  });

  it('without a query, filters alone browse newest first', async () => {
    const { data } = await search({ category_id: parent, sort: 'relevance' });
    expect(data!.map((row) => row.id)).toEqual([made.inChild, made.inParent]);
    expect(data!.every((row) => row.rank === null)).toBe(true);
  });
});

describe('sorting', () => {
  const prices = [300, 120, 999.99, 45.5, 120];
  let made: Array<{ id: string; price: number; order: number }>;

  beforeAll(async () => {
    made = [];
    for (const [order, price] of prices.entries()) {
      made.push({ id: await createProduct(shop, 'approved', { name: `${word}sort ${order}`, price }), price, order });
    }
  });

  it('newest first', async () => {
    expect(await ids({ query: `${word}sort`, sort: 'newest' })).toEqual([...made].reverse().map((p) => p.id));
  });

  it('price low to high and high to low, ties in a stable order', async () => {
    const ascending = await search({ query: `${word}sort`, sort: 'price_asc' });
    expect(ascending.data!.map((row) => Number(row.price))).toEqual([...prices].sort((a, b) => a - b));
    const descending = await search({ query: `${word}sort`, sort: 'price_desc' });
    expect(descending.data!.map((row) => row.id)).toEqual(ascending.data!.map((row) => row.id).reverse());
  });
});

describe('bad arguments are a clear 400 (22023)', () => {
  it.each([
    ['an unknown sort', { sort: 'cheapest' }, /sort must be/],
    ['a null sort', { sort: null }, /sort must be/],
    ['page_size 0', { page_size: 0 }, /page_size must be between 1 and 100/],
    ['page_size 101', { page_size: 101 }, /page_size must be between 1 and 100/],
    ['a malformed cursor', { after: 'not-a-cursor' }, /not a cursor/],
    ['a cursor that is valid base64 of something else', { after: Buffer.from('{"a":1}').toString('base64url') }, /not a cursor/],
    ['a negative price', { min_price: -1 }, /negative/],
    ['min_price above max_price', { min_price: 10, max_price: 5 }, /above max_price/],
    ['a very long query', { query: 'x'.repeat(201) }, /at most 200/],
  ])('%s', async (_label, args, message) => {
    const { error } = await search(args);
    expect(error).toMatchObject({ code: '22023', status: 400 });
    expect(error!.message).toMatch(message);
  });

  it('a cursor from another sort order', async () => {
    await createProduct(shop, 'approved', { name: `${word}cursor` });
    const { data } = await search({ query: `${word}cursor`, sort: 'newest' });
    const { error } = await search({ query: `${word}cursor`, sort: 'price_asc', after: data![0].cursor });
    expect(error).toMatchObject({ code: '22023', status: 400 });
    expect(error!.message).toMatch(/sorted by newest, not by price_asc/);
  });
});

describe('keyset pagination', () => {
  const total = 17;
  let existing: string[];

  beforeAll(async () => {
    existing = [];
    for (let i = 0; i < total; i++) {
      // Some in the name, some only in the description: relevance pages cross tiers.
      const input = i % 3 === 0
        ? { name: `Item ${i}`, description: `About ${word}page.`, price: 10 + (i % 4) }
        : { name: `${word}page item ${i}`, price: 10 + (i % 4) };
      existing.push(await createProduct(shop, 'approved', input));
    }
  });

  it.each(['relevance', 'newest', 'price_asc', 'price_desc'])(
    'sorted by %s, pages neither skip nor repeat a row while rows are added',
    async (sort) => {
      let adding = true;
      const added: string[] = [];
      const adder = (async () => {
        for (let i = 0; adding && i < 20; i++) {
          added.push(await createProduct(shop, 'approved', { name: `${word}page late ${sort} ${i}`, price: 10 + (i % 4) }));
        }
      })();
      const seen: string[] = [];
      let after: string | null = null;
      try {
        for (let page = 0; page < 50; page++) {
          const result: ApiResult<Row[]> = await search({ query: `${word}page`, sort, page_size: 4, after });
          if (result.error) throw new Error(result.error.message);
          seen.push(...result.data.map((row) => row.id as string));
          if (result.data.length < 4) break;
          after = result.data.at(-1)!.cursor;
        }
      } finally {
        adding = false;
        await adder;
      }
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of existing) expect(seen).toContain(id);
      expect(added.length).toBeGreaterThan(0);
    },
  );

  it('a page size of 1 walks every row once', async () => {
    const all = await ids({ query: `${word}page`, sort: 'price_asc', page_size: 100 });
    const walked: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < all.length + 1; i++) {
      const { data } = await search({ query: `${word}page`, sort: 'price_asc', page_size: 1, after });
      if (data!.length === 0) break;
      walked.push(data![0].id);
      after = data![0].cursor;
    }
    expect(walked).toEqual(all);
  });
});

describe('what search returns', () => {
  it('product columns, a rank and a cursor; never unapproved rows of other businesses', async () => {
    await createProduct(shop, 'pending_approval', { name: `${word}shape hidden` });
    const approved = await createProduct(shop, 'approved', { name: `${word}shape shown`, price: 12.5, unit: 'bag' });
    const { data } = await search({ query: `${word}shape` });
    expect(data).toHaveLength(1);
    expect(data![0]).toMatchObject({ id: approved, business_id: shop.id, name: `${word}shape shown`, price: '12.50', unit: 'bag', status: 'approved' });
    expect(Object.keys(data![0])).toEqual([
      'id', 'business_id', 'category_id', 'name', 'description', 'price', 'currency', 'unit', 'stock_quantity', 'status',
      'created_at', 'updated_at', 'rank', 'cursor',
    ]);
    expect(data![0].cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('the workflow RPCs and search agree: a product leaves search when it leaves approved', async () => {
    const product = await createProduct(shop, 'approved', { name: `${word}leaves` });
    expect(await ids({ query: `${word}leaves` })).toEqual([product]);
    await rpc(shop.editor, 'archive_product', { product_id: product });
    expect(await ids({ query: `${word}leaves` })).toEqual([]);
  });
});
