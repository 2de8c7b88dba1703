// Threat: approving one's own rewrite. While a product awaits approval, an approver edits its
// name and description and then approves it; submitted_by still names the editor, so the
// separation of duties would pass. An edit to a product awaiting approval withdraws the
// submission (back to draft, with a history row): what an approver approves is exactly what
// someone else submitted. The same closes the race where an approval lands on content changed
// after the approver looked at it.
import { beforeAll, describe, expect, it } from 'vitest';
import { createBusiness, type BusinessFixture } from '../support/fixtures.ts';
import { gate, waitUntilBlockedBy } from '../support/locks.ts';
import { asUser } from '../support/postgrest.ts';
import { createCategory, createProduct, historyOf, productState, rpc } from '../catalogue/catalogue-fixtures.ts';

let shop: BusinessFixture;

beforeAll(async () => {
  shop = await createBusiness('self-approval');
});

const edit = (who: BusinessFixture['editor'], product: string, changes: { name?: string; description?: string; price?: number }) =>
  asUser(who, (tx) => tx`update public.products set ${tx(changes)} where id = ${product} returning id`);

describe('approving one\'s own rewrite', () => {
  it('an approver who rewrites a pending product withdraws it to draft and cannot approve it', async () => {
    const product = await createProduct(shop, 'pending_approval');
    expect((await edit(shop.approver, product, { name: 'Miracle maize', description: 'Cures everything.' })).error).toBeNull();
    expect(await productState(product)).toMatchObject({ status: 'draft', submitted_by: null, name: 'Miracle maize' });
    expect((await historyOf(product)).at(-1)).toEqual({
      from_status: 'pending_approval', to_status: 'draft', actor_id: shop.approver.id,
      note: 'Name, description or category changed while awaiting approval: submission withdrawn.',
    });
    const approved = await rpc(shop.approver, 'approve_product', { product_id: product });
    expect(approved.error).toMatchObject({ code: 'PT409', status: 409 });
    expect((await productState(product)).status).toBe('draft');
  });

  it('after the withdrawal the rewriter\'s own resubmission cannot be approved by them either', async () => {
    const product = await createProduct(shop, 'pending_approval');
    await edit(shop.approver, product, { description: 'Rewritten by the approver.' });
    expect((await rpc(shop.approver, 'submit_product', { product_id: product })).error).toBeNull();
    expect((await rpc(shop.approver, 'approve_product', { product_id: product })).error).toMatchObject({ code: '42501' });
  });

  it.each([
    ['its category', async (product: string) => {
      const category = await createCategory(shop, 'Moved here');
      return asUser(shop.approver, (tx) => tx`update public.products set category_id = ${category} where id = ${product} returning id`);
    }],
    ['an image row', (product: string) => asUser(shop.approver, (tx) => tx`
      insert into public.product_images (product_id, business_id, storage_path)
      values (${product}, ${shop.id}, ${`${shop.id}/${product}/swap.jpg`}) returning id`)],
  ])('changing %s of a pending product withdraws it too', async (_label, change) => {
    const product = await createProduct(shop, 'pending_approval');
    expect((await change(product)).error).toBeNull();
    expect((await productState(product)).status).toBe('draft');
  });

  it('price and stock changes (not reviewed content) keep a pending product pending', async () => {
    const product = await createProduct(shop, 'pending_approval');
    expect((await edit(shop.approver, product, { price: 250 })).error).toBeNull();
    expect((await productState(product)).status).toBe('pending_approval');
    expect((await rpc(shop.approver, 'approve_product', { product_id: product })).error).toBeNull();
  });

  it('an approval racing an edit lands on nothing: the edit withdraws the submission first and the approval gets 409', async () => {
    const product = await createProduct(shop, 'pending_approval');
    const editGate = gate();
    // The editor's change is made but not committed when the approver, who read the old text, approves.
    const editing = asUser(shop.editor, async (tx) => {
      await tx`update public.products set description = 'Changed after the approver looked.' where id = ${product}`;
      const [{ pid }] = await tx`select pg_backend_pid() as pid`;
      await editGate.hold(pid);
    });
    try {
      const holder = await editGate.holding;
      const approval = rpc(shop.approver, 'approve_product', { product_id: product });
      await waitUntilBlockedBy(holder);
      editGate.release();
      expect((await editing).error).toBeNull();
      expect((await approval).error).toMatchObject({ code: 'PT409', status: 409 });
      expect((await productState(product)).status).toBe('draft');
    } finally {
      editGate.release();
    }
  });
});
