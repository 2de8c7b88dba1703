// Threat: reading products one may not see through the cart and checkout. add_to_cart answers
// for another business's unapproved product exactly as for a missing one (tested in
// tests/commerce/cart.test.ts); checkout, which reads the locked products without RLS, must
// not echo the unreviewed new name or the status of a product edited after it was carted.
import { describe, expect, it } from 'vitest';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { asUser } from '../support/postgrest.ts';
import { addToCart, placeCheckout } from '../commerce/fixtures.ts';
import { createProduct, productState } from '../catalogue/catalogue-fixtures.ts';

describe('products hidden from the buyer stay hidden at checkout', () => {
  it('a carted product renamed after approval is refused by id, without its unreviewed name or status', async () => {
    const [shop, buyer] = await Promise.all([createBusiness('hidden-checkout'), createCustomer()]);
    const product = await createProduct(shop, 'approved', { name: 'Mahindi 90 kg' });
    await addToCart(buyer, product, 1);
    const secret = 'Unreviewed launch: Mahindi Gold';
    expect((await asUser(shop.editor, (tx) => tx`update public.products set name = ${secret} where id = ${product}`)).error).toBeNull();
    expect((await productState(product)).status).toBe('pending_approval');
    const refusal = await placeCheckout(buyer).then(() => null, (error: { code: string; message: string }) => error);
    expect(refusal).toMatchObject({ code: 'PT422' });
    expect(refusal!.message).toContain(product);
    expect(refusal!.message).not.toContain(secret);
    expect(refusal!.message).not.toContain('pending');
  });
});
