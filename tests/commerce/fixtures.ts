// Commerce fixtures: approved products inserted directly (the catalogue workflow RPCs live on
// another branch), carts filled through add_to_cart, and checkouts placed as the checkout
// function places them.
import { randomUUID } from 'node:crypto';
import { superuser } from '../support/db.ts';
import { asUser } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';

export interface ProductFixture {
  id: string;
  businessId: string;
  name: string;
  price: string;
}

export interface NewProduct {
  name?: string;
  price?: number;
  stock?: number;
  currency?: string;
  status?: 'draft' | 'pending_approval' | 'approved' | 'rejected' | 'archived';
}

export async function createProduct(businessId: string, input: NewProduct = {}): Promise<ProductFixture> {
  const name = input.name ?? `Product ${randomUUID().slice(0, 8)}`;
  const [row] = await superuser()`
    insert into public.products (business_id, name, price, currency, stock_quantity, status)
    values (${businessId}, ${name}, ${input.price ?? 100}, ${input.currency ?? 'KES'}, ${input.stock ?? 50},
            ${input.status ?? 'approved'})
    returning id, price::text`;
  return { id: row.id, businessId, name, price: row.price };
}

export async function addToCart(user: TestUser, productId: string, quantity = 1): Promise<void> {
  const result = await asUser(user, (tx) => tx`select * from public.add_to_cart(product_id := ${productId}, quantity := ${quantity})`);
  if (result.error) throw new Error(`add_to_cart failed: ${result.error.message}`);
}

export async function stockOf(productId: string): Promise<number> {
  const [row] = await superuser()`select stock_quantity from public.products where id = ${productId}`;
  return row.stock_quantity;
}

export const address = { name: 'Amina Odhiambo', line1: 'Moi Avenue 12', city: 'Nairobi', country: 'KE' };

/** Places a checkout for `user` in SQL, the way the checkout function's first step does. */
export async function placeCheckout(user: TestUser, paymentMethod: 'manual' | 'stripe' = 'manual', key = `key-${randomUUID()}`) {
  const [row] = await superuser()`
    select private.place_checkout(${user.id}, ${key}, ${paymentMethod}, ${superuser().json(address)}, null) as result`;
  return row.result as {
    checkout_id: string;
    status: string;
    total: string;
    currency: string;
    orders: Array<{ id: string; business_id: string; total: string; status: string }>;
    payment: { id: string; provider: string; status: string };
  };
}

/** An order of `user` from `businessId`'s product, waiting for payment. */
export async function pendingOrder(user: TestUser, businessId: string, quantity = 2, paymentMethod: 'manual' | 'stripe' = 'manual') {
  const product = await createProduct(businessId, { stock: 10 });
  await addToCart(user, product.id, quantity);
  const placed = await placeCheckout(user, paymentMethod);
  return { product, checkoutId: placed.checkout_id, orderId: placed.orders[0].id };
}

export async function orderStatus(orderId: string): Promise<string> {
  const [row] = await superuser()`select status from public.orders where id = ${orderId}`;
  return row.status;
}
