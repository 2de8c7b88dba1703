// Cart rules: add_to_cart adds approved products only and within limits, lines change and go
// through PostgREST on the owner's cart only, clear_cart empties the caller's cart alone.
import { describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { asAnon, asUser } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';
import { addToCart, createProduct } from './fixtures.ts';

const shop = createBusiness('cart-shop');

function addAs(user: TestUser, productId: string, quantity?: number | null) {
  return asUser(user, (tx) =>
    quantity === undefined
      ? tx`select product_id, quantity from public.add_to_cart(product_id := ${productId})`
      : tx`select product_id, quantity from public.add_to_cart(product_id := ${productId}, quantity := ${quantity})`);
}

async function linesOf(user: TestUser) {
  return await superuser()`
    select ci.product_id, ci.quantity from public.cart_items ci join public.carts c on c.id = ci.cart_id
    where c.user_id = ${user.id} order by ci.product_id`;
}

describe('add_to_cart', () => {
  it('creates the cart on first use and adds to an existing line', async () => {
    const buyer = await createCustomer();
    const product = await createProduct((await shop).id);
    expect((await addAs(buyer, product.id)).data).toEqual([{ product_id: product.id, quantity: 1 }]);
    expect((await addAs(buyer, product.id, 4)).data).toEqual([{ product_id: product.id, quantity: 5 }]);
    expect(await linesOf(buyer)).toEqual([{ product_id: product.id, quantity: 5 }]);
  });

  it.each(['draft', 'pending_approval', 'rejected', 'archived'] as const)(
    'a %s product of another business answers exactly as a missing one (its name and status do not leak)',
    async (status) => {
      const buyer = await createCustomer();
      const product = await createProduct((await shop).id, { status, name: `Hidden ${status} maize` });
      const missing = crypto.randomUUID();
      const [hidden, absent] = [await addAs(buyer, product.id), await addAs(buyer, missing)];
      expect(hidden.error).toMatchObject({ code: 'PT404', status: 404 });
      expect(hidden.error!.message).toBe(absent.error!.message.replace(missing, product.id));
      expect({ ...hidden.error, message: '' }).toEqual({ ...absent.error, message: '' });
      expect(await linesOf(buyer)).toEqual([]);
    },
  );

  it('a member who can see an unapproved product of their business is told it is not available (422)', async () => {
    const business = await shop;
    const product = await createProduct(business.id, { status: 'draft', name: 'Our own draft maize' });
    const result = await addAs(business.viewer, product.id);
    expect(result.error).toMatchObject({ code: 'PT422', status: 422 });
    expect(result.error!.message).toContain('Our own draft maize');
    expect(await linesOf(business.viewer)).toEqual([]);
  });

  it('answers 404 for a product that does not exist', async () => {
    const result = await addAs(await createCustomer(), crypto.randomUUID());
    expect(result.error).toMatchObject({ code: 'PT404', status: 404 });
  });

  it.each([0, -1, 1001, null])('answers 400 for quantity %s and changes nothing', async (quantity) => {
    const buyer = await createCustomer();
    const product = await createProduct((await shop).id);
    const result = await addAs(buyer, product.id, quantity);
    expect(result.error).toMatchObject({ code: '22023', status: 400 });
    expect(await linesOf(buyer)).toEqual([]);
  });

  it('refuses to grow a line beyond 1000 with 422 and keeps the line as it was', async () => {
    const buyer = await createCustomer();
    const product = await createProduct((await shop).id);
    await addToCart(buyer, product.id, 999);
    const result = await addAs(buyer, product.id, 2);
    expect(result.error).toMatchObject({ code: 'PT422', status: 422 });
    expect(await linesOf(buyer)).toEqual([{ product_id: product.id, quantity: 999 }]);
  });

  it('is refused to visitors without a session (401)', async () => {
    const product = await createProduct((await shop).id);
    const result = await asAnon((tx) => tx`select public.add_to_cart(product_id := ${product.id})`);
    expect(result.error).toMatchObject({ code: '42501', status: 401 });
  });
});

describe('cart lines through PostgREST', () => {
  it('the owner changes a quantity within 1..1000 and removes a line', async () => {
    const buyer = await createCustomer();
    const [a, b] = [await createProduct((await shop).id), await createProduct((await shop).id)];
    await addToCart(buyer, a.id, 2);
    await addToCart(buyer, b.id, 1);
    const updated = await asUser(buyer, (tx) => tx`update public.cart_items set quantity = 9 where product_id = ${a.id} returning quantity`);
    expect(updated.data).toEqual([{ quantity: 9 }]);
    const zero = await asUser(buyer, (tx) => tx`update public.cart_items set quantity = 0 where product_id = ${a.id} returning quantity`);
    expect(zero.error).toMatchObject({ code: '23514', status: 400 });
    const removed = await asUser(buyer, (tx) => tx`delete from public.cart_items where product_id = ${b.id} returning product_id`);
    expect(removed.data).toEqual([{ product_id: b.id }]);
    expect(await linesOf(buyer)).toEqual([{ product_id: a.id, quantity: 9 }]);
  });

  it('a line cannot be moved to another product or cart (only quantity is writable)', async () => {
    const buyer = await createCustomer();
    const [a, b] = [await createProduct((await shop).id), await createProduct((await shop).id, { status: 'draft' })];
    await addToCart(buyer, a.id, 1);
    const moved = await asUser(buyer, (tx) => tx`update public.cart_items set product_id = ${b.id} returning id`);
    expect(moved.error).toMatchObject({ code: '42501' });
    expect(await linesOf(buyer)).toEqual([{ product_id: a.id, quantity: 1 }]);
  });

  it('another customer can neither change nor remove my lines', async () => {
    const [buyer, intruder] = [await createCustomer(), await createCustomer()];
    const product = await createProduct((await shop).id);
    await addToCart(buyer, product.id, 3);
    const updated = await asUser(intruder, (tx) => tx`update public.cart_items set quantity = 1000 returning id`);
    const removed = await asUser(intruder, (tx) => tx`delete from public.cart_items returning id`);
    expect([updated.data, removed.data]).toEqual([[], []]);
    expect(await linesOf(buyer)).toEqual([{ product_id: product.id, quantity: 3 }]);
  });
});

describe('clear_cart', () => {
  it('empties the caller\'s cart and no one else\'s', async () => {
    const [buyer, neighbour] = [await createCustomer(), await createCustomer()];
    const product = await createProduct((await shop).id);
    await addToCart(buyer, product.id, 2);
    await addToCart(neighbour, product.id, 4);
    expect((await asUser(buyer, (tx) => tx`select public.clear_cart()`)).error).toBeNull();
    expect(await linesOf(buyer)).toEqual([]);
    expect(await linesOf(neighbour)).toEqual([{ product_id: product.id, quantity: 4 }]);
  });
});
