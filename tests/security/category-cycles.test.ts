// Threat: category cycles. An editor sets a category's parent_id to one of its own
// descendants (a loop every walk of the tree would follow forever), or to a category of
// another business. Both are refused with a clear error and change nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { gate, waitUntilBlockedBy } from '../support/locks.ts';
import { createBusiness, type BusinessFixture } from '../support/fixtures.ts';
import { asUser } from '../support/postgrest.ts';
import { createCategory } from '../catalogue/catalogue-fixtures.ts';

let shop: BusinessFixture;
let rival: BusinessFixture;

beforeAll(async () => {
  [shop, rival] = await Promise.all([createBusiness('cycles'), createBusiness('cycles-rival')]);
});

const move = (category: string, parent: string | null, who = shop.editor) =>
  asUser(who, (tx) => tx`update public.categories set parent_id = ${parent} where id = ${category} returning id`);

async function parentOf(category: string): Promise<string | null> {
  const [row] = await superuser()`select parent_id from public.categories where id = ${category}`;
  return row.parent_id;
}

/** grains > maize > white maize */
async function chain() {
  const grains = await createCategory(shop, 'Grains');
  const maize = await createCategory(shop, 'Maize', grains);
  const white = await createCategory(shop, 'White maize', maize);
  return { grains, maize, white };
}

describe('category cycles', () => {
  it.each([
    ['its grandchild', (c: Awaited<ReturnType<typeof chain>>) => [c.grains, c.white]],
    ['its child', (c: Awaited<ReturnType<typeof chain>>) => [c.grains, c.maize]],
    ['a child of its own child', (c: Awaited<ReturnType<typeof chain>>) => [c.maize, c.white]],
  ])('moving a category under %s is refused (422) and stores no loop', async (_label, pick) => {
    const categories = await chain();
    const [category, parent] = pick(categories);
    const result = await move(category, parent);
    expect(result.error).toMatchObject({ code: 'PT422', status: 422 });
    expect(result.error!.message).toContain('inside it');
    expect(await parentOf(categories.grains)).toBeNull();
    expect(await parentOf(categories.maize)).toBe(categories.grains);
    expect(await parentOf(categories.white)).toBe(categories.maize);
  });

  it('a category cannot be its own parent (422)', async () => {
    const { maize, grains } = await chain();
    expect((await move(maize, maize)).error).toMatchObject({ code: 'PT422', status: 422 });
    expect(await parentOf(maize)).toBe(grains);
  });

  it('moving under a category of another business is refused (400), whoever tries', async () => {
    const { maize, grains } = await chain();
    const foreign = await createCategory(rival, 'Rival grains');
    for (const who of [shop.editor, shop.admin]) {
      const result = await move(maize, foreign, who);
      expect(result.error).toMatchObject({ code: '22023', status: 400 });
      expect(result.error!.message).toContain('not a category of this business');
    }
    expect(await parentOf(maize)).toBe(grains);
  });

  it('legal moves still work: to another branch and back to the top', async () => {
    const { grains, white } = await chain();
    const fruits = await createCategory(shop, 'Fruits');
    expect((await move(white, fruits)).error).toBeNull();
    expect((await move(grains, null)).error).toBeNull();
    expect(await parentOf(white)).toBe(fruits);
  });

  it('two concurrent moves that together would close a loop: the second waits for the first and is refused', async () => {
    const a = await createCategory(shop, 'Loop A');
    const b = await createCategory(shop, 'Loop B');
    const moveGate = gate();
    const first = asUser(shop.editor, async (tx) => {
      await tx`update public.categories set parent_id = ${b} where id = ${a}`;
      const [{ pid }] = await tx`select pg_backend_pid() as pid`;
      await moveGate.hold(pid);
    });
    try {
      const holder = await moveGate.holding;
      // Alone, b under a is a legal move; after a under b it closes a loop.
      const second = move(b, a, shop.admin);
      await waitUntilBlockedBy(holder);
      moveGate.release();
      expect((await first).error).toBeNull();
      expect((await second).error).toMatchObject({ code: 'PT422', status: 422 });
      expect([await parentOf(a), await parentOf(b)]).toEqual([b, null]);
    } finally {
      moveGate.release();
    }
  });
});
