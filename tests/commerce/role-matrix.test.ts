// Every commerce table × every actor × select/insert/update/delete, through PostgREST-faithful
// requests (writes roll back, so each case sees the same data). Clients write only their own
// cart lines; everything else is read-only to them and written by the functions and RPCs.
import { randomUUID } from 'node:crypto';
import { beforeAll } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { type Actor, describeMatrix, type MatrixCase, outcomes, type World } from '../support/matrix.ts';
import { createUser } from '../support/users.ts';
import { addToCart, createProduct, placeCheckout } from './fixtures.ts';

let world: World;
let cartId: string;
let cartItemId: string;
let productId: string;
let secondProductId: string;
let checkoutId: string;
let emptyCheckoutId: string;
let orderId: string;
let paymentId: string;
let eventId: string;
let cartlessUserId: string;
let refundId: string;

beforeAll(async () => {
  const [business, otherBusiness, customer, otherCustomer] = await Promise.all([
    createBusiness('commerce-matrix'), createBusiness('commerce-rival'), createCustomer(), createCustomer(),
  ]);
  world = { business, otherBusiness, customer, otherCustomer };
  const product = await createProduct(business.id);
  productId = product.id;
  secondProductId = (await createProduct(business.id)).id;
  await addToCart(customer, product.id, 2);
  const placed = await placeCheckout(customer);
  checkoutId = placed.checkout_id;
  orderId = placed.orders[0].id;
  paymentId = placed.payment.id;
  await addToCart(customer, product.id, 1);
  [{ id: cartId }] = await superuser()`select id from public.carts where user_id = ${customer.id}`;
  [{ id: cartItemId }] = await superuser()`select id from public.cart_items where cart_id = ${cartId}`;
  [{ id: emptyCheckoutId }] = await superuser()`
    insert into public.checkouts (user_id, idempotency_key, request_hash, cart_hash, payment_method, total, currency, shipping_address)
    values (${customer.id}, ${`bare-${randomUUID()}`}, 'x', 'x', 'manual', 0, 'KES', '{}') returning id`;
  // A rejected event naming the customer's checkout: its business's order managers read it.
  [{ id: eventId }] = await superuser()`
    insert into public.payment_events (provider, event_id, event_type, payload, status, outcome, checkout_id)
    values ('stripe', ${`evt_${randomUUID()}`}, 'checkout.session.completed', '{}', 'rejected', 'rejected: test', ${checkoutId})
    returning id`;
  cartlessUserId = (await createUser()).id;
  // A refund of another order and payment of the customer's checkout, for staff to pay out
  // (its own rows, so that the deletes above are not held back by it).
  const [{ id: refundedOrder }] = await superuser()`
    insert into public.orders (checkout_id, business_id, customer_id, subtotal, total, currency, shipping_address, status)
    values (${checkoutId}, ${business.id}, ${customer.id}, 5, 5, 'KES', '{}', 'paid') returning id`;
  const [{ id: refundedPayment }] = await superuser()`
    insert into public.payments (checkout_id, provider, amount, currency, status) values (${checkoutId}, 'manual', 5, 'KES', 'succeeded') returning id`;
  [{ id: refundId }] = await superuser()`
    insert into public.refunds (checkout_id, order_id, business_id, payment_id, provider, kind, amount, currency, status)
    values (${checkoutId}, ${refundedOrder}, ${business.id}, ${refundedPayment}, 'manual', 'order', 1, 'KES', 'to_pay_out') returning id`;
});

const refusedToAll = outcomes(['serviceRole'], { users: 'denied', anon: 'denied' });
// The order history is append-only for every API role, the service key included.
const appendOnly = outcomes([], { users: 'denied', anon: 'denied' });
const ownerOnly = outcomes(['customer', 'serviceRole'], { users: 'filtered', anon: 'denied' });
const orderManagers = outcomes(['approver', 'admin', 'serviceRole'], { users: 'filtered', anon: 'denied' });
const customerAndBusiness = outcomes(['customer', 'viewer', 'editor', 'approver', 'admin', 'serviceRole'], { users: 'filtered', anon: 'denied' });

const readOnly = (
  table: string,
  select: MatrixCase['run'],
  insert: MatrixCase['run'],
  idColumn: () => string,
  readers: Record<Actor, ReturnType<typeof outcomes>[Actor]>,
  writers: Record<Actor, ReturnType<typeof outcomes>[Actor]> = refusedToAll,
): MatrixCase[] => [
  { table, operation: 'select', run: select, expected: readers },
  { table, operation: 'insert', run: insert, expected: writers },
  {
    table, operation: 'update',
    run: (tx) => tx.unsafe(`update public.${table} set updated_at = now() where id = $1 returning id`, [idColumn()]),
    expected: writers,
  },
  {
    table, operation: 'delete',
    run: (tx) => tx.unsafe(`delete from public.${table} where id = $1 returning id`, [idColumn()]),
    expected: writers,
  },
];

const cases: MatrixCase[] = [
  // carts: one per user, read by its owner, written by add_to_cart only.
  { table: 'carts', operation: 'select', run: (tx) => tx`select id from public.carts where id = ${cartId}`, expected: ownerOnly },
  {
    table: 'carts', operation: 'insert',
    run: (tx) => tx`insert into public.carts (user_id) values (${cartlessUserId}) returning id`,
    expected: refusedToAll,
  },
  {
    table: 'carts', operation: 'update',
    run: (tx) => tx`update public.carts set updated_at = now() where id = ${cartId} returning id`,
    expected: refusedToAll,
  },
  { table: 'carts', operation: 'delete', run: (tx) => tx`delete from public.carts where id = ${cartId} returning id`, expected: refusedToAll },
  // cart_items: the owner reads, changes quantities and removes lines; add_to_cart adds them.
  {
    table: 'cart_items', operation: 'select',
    run: (tx) => tx`select id, quantity from public.cart_items where id = ${cartItemId}`,
    expected: ownerOnly,
  },
  {
    table: 'cart_items', operation: 'insert',
    run: (tx) => tx`insert into public.cart_items (cart_id, product_id, quantity)
                    values (${cartId}, ${secondProductId}, 1) returning id`,
    expected: refusedToAll,
  },
  {
    table: 'cart_items', operation: 'update',
    run: (tx) => tx`update public.cart_items set quantity = 7 where id = ${cartItemId} returning id`,
    expected: ownerOnly,
  },
  {
    table: 'cart_items', operation: 'delete',
    run: (tx) => tx`delete from public.cart_items where id = ${cartItemId} returning id`,
    expected: ownerOnly,
  },
  ...readOnly(
    'checkouts',
    (tx) => tx`select id from public.checkouts where id = ${checkoutId}`,
    (tx) => tx`insert into public.checkouts (user_id, idempotency_key, request_hash, cart_hash, payment_method, total, currency, shipping_address)
               values (${world.customer.id}, ${`direct-${randomUUID()}`}, 'x', 'x', 'manual', 1, 'KES', '{}') returning id`,
    () => emptyCheckoutId,
    ownerOnly,
  ),
  ...readOnly(
    'orders',
    (tx) => tx`select id from public.orders where id = ${orderId}`,
    (tx) => tx`insert into public.orders (checkout_id, business_id, customer_id, subtotal, total, currency, shipping_address)
               values (${checkoutId}, ${world.business.id}, ${world.customer.id}, 1, 1, 'KES', '{}') returning id`,
    () => orderId,
    customerAndBusiness,
  ),
  ...readOnly(
    'order_items',
    (tx) => tx`select id from public.order_items where order_id = ${orderId}`,
    (tx) => tx`insert into public.order_items (order_id, business_id, product_id, product_name, unit, unit_price, quantity, line_total)
               values (${orderId}, ${world.business.id}, ${productId}, 'Free lunch', 'piece', 0, 1, 0) returning id`,
    () => itemIdOf(),
    customerAndBusiness,
  ),
  ...readOnly(
    'order_status_history',
    (tx) => tx`select id from public.order_status_history where order_id = ${orderId}`,
    (tx) => tx`insert into public.order_status_history (order_id, business_id, from_status, to_status)
               values (${orderId}, ${world.business.id}, 'pending_payment', 'paid') returning id`,
    () => historyIdOf(),
    customerAndBusiness,
    appendOnly,
  ),
  ...readOnly(
    'payments',
    (tx) => tx`select id from public.payments where id = ${paymentId}`,
    (tx) => tx`insert into public.payments (checkout_id, provider, amount, currency)
               values (${checkoutId}, 'manual', 0, 'KES') returning id`,
    () => paymentId,
    customerAndBusiness,
  ),
  ...readOnly(
    'payment_events',
    (tx) => tx`select id from public.payment_events where id = ${eventId}`,
    (tx) => tx`insert into public.payment_events (provider, event_id, event_type, payload)
               values ('stripe', ${`evt_${randomUUID()}`}, 'forged', '{}') returning id`,
    () => eventId,
    orderManagers,
  ),
  // Refunds are written only by refund_order, mark_refund_paid_out and the payment functions.
  ...readOnly(
    'refunds',
    (tx) => tx`select id from public.refunds where id = ${refundId}`,
    (tx) => tx`insert into public.refunds (checkout_id, order_id, business_id, payment_id, provider, kind, amount, currency, status)
               values (${checkoutId}, ${orderId}, ${world.business.id}, ${paymentId}, 'manual', 'order', 1000, 'KES', 'to_pay_out') returning id`,
    () => refundId,
    customerAndBusiness,
    // Not even the service key writes refunds directly: refund_order and the payment functions do.
    appendOnly,
  ),
];

let itemId = '';
let historyId = '';
const itemIdOf = () => itemId;
const historyIdOf = () => historyId;
beforeAll(async () => {
  [{ id: itemId }] = await superuser()`select id from public.order_items where order_id = ${orderId}`;
  [{ id: historyId }] = await superuser()`select id from public.order_status_history where order_id = ${orderId}`;
});

describeMatrix(cases, () => world);
