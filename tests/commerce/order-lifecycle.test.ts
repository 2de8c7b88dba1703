// The order lifecycle: exactly the issue's transitions, for orders.manage holders; customers
// cancel while pending_payment or paid; cancelling restores stock; every change writes history
// with its actor; concurrent changes serialise; unpaid orders expire.
import { describe, expect, it } from 'vitest';
import { newConnection, superuser } from '../support/db.ts';
import { whileLocked } from '../support/locks.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { asAnon, asUser } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';
import { addToCart, createProduct, orderStatus, pendingOrder, placeCheckout, stockOf } from './fixtures.ts';

const STATUSES = ['pending_payment', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded'] as const;
type Status = (typeof STATUSES)[number];
const LEGAL: Record<Status, Status[]> = {
  pending_payment: ['paid', 'cancelled'],
  paid: ['processing', 'cancelled', 'refunded'],
  processing: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: ['refunded'],
  cancelled: [],
  refunded: [],
};
// Stock leaves at checkout and comes back only when an order is cancelled before it left.
const HOLDS_STOCK: Status[] = ['pending_payment', 'paid', 'processing'];

const shop = createBusiness('lifecycle');

function updateStatus(user: TestUser, orderId: string, status: string, note: string | null = null) {
  return asUser(user, (tx) => tx`select public.update_order_status(order_id := ${orderId}, status := ${status}::public.order_status, note := ${note})`);
}

function cancelAs(user: TestUser, orderId: string, reason: string | null = null) {
  return asUser(user, (tx) => tx`select public.cancel_order(order_id := ${orderId}, reason := ${reason})`);
}

/** An order already in `status` (placed for real, then moved by the fixture connection). */
async function orderIn(status: Status, buyer?: TestUser) {
  const customer = buyer ?? await createCustomer();
  const order = await pendingOrder(customer, (await shop).id, 2);
  if (status !== 'pending_payment') {
    await superuser()`update public.orders set status = ${status} where id = ${order.orderId}`;
    if (status === 'cancelled') await superuser()`update public.products set stock_quantity = stock_quantity + 2 where id = ${order.product.id}`;
  }
  return { ...order, customer };
}

const transitions = STATUSES.flatMap((from) => STATUSES.filter((to) => to !== from).map((to) => ({ from, to, legal: LEGAL[from].includes(to) })));

describe('update_order_status', () => {
  it.each(transitions.filter((t) => t.legal))('$from → $to is allowed, written to history with the actor', async ({ from, to }) => {
    const { orderId, product } = await orderIn(from);
    const stockBefore = await stockOf(product.id);
    const approver = (await shop).approver;
    const result = await updateStatus(approver, orderId, to, `moving to ${to}`);
    expect(result.error).toBeNull();
    expect(await orderStatus(orderId)).toBe(to);
    const [last] = await superuser()`
      select from_status, to_status, actor_id, note from public.order_status_history
      where order_id = ${orderId} order by created_at desc limit 1`;
    expect(last).toEqual({ from_status: from, to_status: to, actor_id: approver.id, note: `moving to ${to}` });
    const restored = to === 'cancelled' && HOLDS_STOCK.includes(from);
    expect(await stockOf(product.id)).toBe(stockBefore + (restored ? 2 : 0));
  });

  it.each(transitions.filter((t) => !t.legal))('$from → $to is refused with 409 naming the current state', async ({ from, to }) => {
    const { orderId, product } = await orderIn(from);
    const stockBefore = await stockOf(product.id);
    const result = await updateStatus((await shop).admin, orderId, to);
    expect(result.error).toMatchObject({ code: 'PT409', status: 409 });
    expect(result.error!.message).toContain(`is ${from}`);
    expect(await orderStatus(orderId)).toBe(from);
    expect(await stockOf(product.id)).toBe(stockBefore);
  });

  it('needs orders.manage: viewers and editors get 403, other businesses and customers 404', async () => {
    const business = await shop;
    const { orderId, customer } = await orderIn('paid');
    const other = await createBusiness('lifecycle-rival');
    for (const member of [business.viewer, business.editor]) {
      expect((await updateStatus(member, orderId, 'processing')).error).toMatchObject({ code: '42501', status: 403 });
    }
    expect((await updateStatus(other.admin, orderId, 'processing')).error).toMatchObject({ code: 'PT404', status: 404 });
    expect((await updateStatus(customer, orderId, 'processing')).error).toMatchObject({ code: '42501', status: 403 });
    expect(await orderStatus(orderId)).toBe('paid');
  });

  it('records a manual payment; a checkout over two businesses is paid once both have recorded theirs', async () => {
    const [first, second] = [await shop, await createBusiness('lifecycle-second')];
    const buyer = await createCustomer();
    await addToCart(buyer, (await createProduct(first.id, { price: 100 })).id, 1);
    await addToCart(buyer, (await createProduct(second.id, { price: 50 })).id, 2);
    const placed = await placeCheckout(buyer, 'manual');
    const orderOf = (businessId: string) => placed.orders.find((o) => o.business_id === businessId)!.id;
    const state = async () => (await superuser()`
      select c.status as checkout, p.status as payment from public.checkouts c join public.payments p on p.checkout_id = c.id
      where c.id = ${placed.checkout_id}`)[0];
    expect((await updateStatus(first.admin, orderOf(first.id), 'paid')).error).toBeNull();
    expect(await state()).toEqual({ checkout: 'pending_payment', payment: 'pending' });
    expect((await updateStatus(second.admin, orderOf(second.id), 'paid')).error).toBeNull();
    expect(await state()).toEqual({ checkout: 'paid', payment: 'succeeded' });
  });

  it('refuses to mark a card order paid by hand (422): Stripe confirms card payments', async () => {
    const { orderId } = await pendingOrder(await createCustomer(), (await shop).id, 1, 'stripe');
    const result = await updateStatus((await shop).admin, orderId, 'paid');
    expect(result.error).toMatchObject({ code: 'PT422', status: 422 });
    expect(await orderStatus(orderId)).toBe('pending_payment');
  });

  it('concurrent cancel and ship of one order: one wins, the other sees the new state, stock comes back once', async () => {
    const { orderId, product } = await orderIn('processing');
    const stockBefore = await stockOf(product.id);
    const admin = (await shop).admin;
    // Both are in flight together: the order is held until both wait for it.
    const results = await whileLocked(
      (tx) => tx`select 1 from public.orders where id = ${orderId} for update`,
      () => Promise.all([updateStatus(admin, orderId, 'cancelled'), updateStatus(admin, orderId, 'shipped')]),
      { query: 'update_order_status', count: 2 },
    );
    expect(results.filter((r) => r.error === null)).toHaveLength(1);
    expect(results.find((r) => r.error)!.error).toMatchObject({ code: 'PT409' });
    const final = await orderStatus(orderId);
    expect(await stockOf(product.id)).toBe(stockBefore + (final === 'cancelled' ? 2 : 0));
    const [{ n }] = await superuser()`select count(*)::int as n from public.order_status_history where order_id = ${orderId}`;
    expect(n).toBe(2);
  });
});

describe('cancel_order', () => {
  it.each(['pending_payment', 'paid'] as const)('the customer cancels a %s order and its stock comes back', async (status) => {
    const { orderId, product, customer } = await orderIn(status);
    const stockBefore = await stockOf(product.id);
    expect((await cancelAs(customer, orderId, 'Changed my mind')).error).toBeNull();
    expect(await orderStatus(orderId)).toBe('cancelled');
    expect(await stockOf(product.id)).toBe(stockBefore + 2);
    const [last] = await superuser()`
      select from_status, actor_id, note from public.order_status_history where order_id = ${orderId} and to_status = 'cancelled'`;
    expect(last).toEqual({ from_status: status, actor_id: customer.id, note: 'Changed my mind' });
  });

  it.each(['processing', 'shipped', 'delivered', 'cancelled', 'refunded'] as const)(
    'a %s order cannot be cancelled by the customer (409 naming the state)',
    async (status) => {
      const { orderId, customer } = await orderIn(status);
      const result = await cancelAs(customer, orderId);
      expect(result.error).toMatchObject({ code: 'PT409', status: 409 });
      expect(result.error!.message).toContain(status);
      expect(await orderStatus(orderId)).toBe(status);
    },
  );

  it('nobody cancels another customer\'s order through cancel_order (404), staff included', async () => {
    const { orderId } = await orderIn('pending_payment');
    for (const someone of [await createCustomer(), (await shop).admin]) {
      expect((await cancelAs(someone, orderId)).error).toMatchObject({ code: 'PT404', status: 404 });
    }
    expect(await orderStatus(orderId)).toBe('pending_payment');
  });
});

describe('reservation expiry', () => {
  it('cancels unpaid checkouts older than the reservation and restores their stock; younger and paid ones stay', async () => {
    const business = await shop;
    const stale = await orderIn('pending_payment');
    const fresh = await orderIn('pending_payment');
    const paidLongAgo = await orderIn('pending_payment');
    expect((await updateStatus(business.admin, paidLongAgo.orderId, 'paid')).error).toBeNull();
    await superuser()`update public.checkouts set created_at = now() - interval '31 minutes'
                      where id in (${stale.checkoutId}, ${paidLongAgo.checkoutId})`;
    const staleStock = await stockOf(stale.product.id);
    const [{ expired }] = await superuser()`select private.expire_unpaid_orders() as expired`;
    expect(expired).toBeGreaterThanOrEqual(1);
    expect(await orderStatus(stale.orderId)).toBe('cancelled');
    expect(await stockOf(stale.product.id)).toBe(staleStock + 2);
    expect(await orderStatus(fresh.orderId)).toBe('pending_payment');
    expect(await orderStatus(paidLongAgo.orderId)).toBe('paid');
    const [checkout] = await superuser()`
      select c.status, p.status as payment from public.checkouts c join public.payments p on p.checkout_id = c.id where c.id = ${stale.checkoutId}`;
    expect(checkout).toEqual({ status: 'cancelled', payment: 'cancelled' });
  });

  it('takes the reservation age as an argument and rejects a negative one', async () => {
    const order = await orderIn('pending_payment');
    await superuser()`update public.checkouts set created_at = now() - interval '6 minutes' where id = ${order.checkoutId}`;
    await superuser()`select private.expire_unpaid_orders(interval '10 minutes')`;
    expect(await orderStatus(order.orderId)).toBe('pending_payment');
    await superuser()`select private.expire_unpaid_orders(interval '5 minutes')`;
    expect(await orderStatus(order.orderId)).toBe('cancelled');
    await expect(superuser()`select private.expire_unpaid_orders(interval '-1 minute')`).rejects.toMatchObject({ code: '22023' });
  });

  it('skips a checkout another transaction holds (being paid right now) and leaves it for the next run', async () => {
    const order = await orderIn('pending_payment');
    await superuser()`update public.checkouts set created_at = now() - interval '1 hour' where id = ${order.checkoutId}`;
    const holder = newConnection('postgres');
    try {
      await holder.begin(async (tx) => {
        await tx`select id from public.checkouts where id = ${order.checkoutId} for update`;
        await superuser()`select private.expire_unpaid_orders()`;
        expect(await orderStatus(order.orderId)).toBe('pending_payment');
      });
    } finally {
      await holder.end();
    }
    await superuser()`select private.expire_unpaid_orders()`;
    expect(await orderStatus(order.orderId)).toBe('cancelled');
  });

  it('is scheduled every minute where pg_cron exists', async () => {
    const jobs = await superuser()`select schedule, command, username from cron.job where jobname = 'expire-unpaid-orders'`;
    expect(jobs).toEqual([{ schedule: '* * * * *', command: 'select private.expire_unpaid_orders()', username: 'postgres' }]);
    // As the scheduler runs it: as the role that scheduled it.
    const order = await orderIn('pending_payment');
    await superuser()`update public.checkouts set created_at = now() - interval '2 hours' where id = ${order.checkoutId}`;
    await superuser().begin(async (tx) => {
      await tx.unsafe(`set local role "${jobs[0].username}"`);
      await tx.unsafe(jobs[0].command);
    });
    expect(await orderStatus(order.orderId)).toBe('cancelled');
  });
});

describe('reservation expiry of card checkouts', () => {
  it('waits until 5 minutes after the Stripe session expired', async () => {
    const { orderId, checkoutId } = await pendingOrder(await createCustomer(), (await shop).id, 1, 'stripe');
    await superuser()`update public.checkouts set created_at = now() - interval '34 minutes' where id = ${checkoutId}`;
    await superuser()`select private.expire_unpaid_orders()`;
    expect(await orderStatus(orderId)).toBe('pending_payment');
    await superuser()`update public.checkouts set created_at = now() - interval '36 minutes' where id = ${checkoutId}`;
    await superuser()`select private.expire_unpaid_orders()`;
    expect(await orderStatus(orderId)).toBe('cancelled');
  });
});

describe('cancelling card orders', () => {
  it('refuses to cancel an order whose Stripe session is still open (422), for the customer and for staff', async () => {
    const customer = await createCustomer();
    const { orderId, product } = await pendingOrder(customer, (await shop).id, 2, 'stripe');
    const stock = await stockOf(product.id);
    const byCustomer = await cancelAs(customer, orderId);
    const byStaff = await updateStatus((await shop).admin, orderId, 'cancelled');
    for (const result of [byCustomer, byStaff]) expect(result.error).toMatchObject({ code: 'PT422', status: 422 });
    expect(await orderStatus(orderId)).toBe('pending_payment');
    expect(await stockOf(product.id)).toBe(stock);
  });

  it('lets the customer cancel a card order once it is paid', async () => {
    const customer = await createCustomer();
    const { orderId, checkoutId } = await pendingOrder(customer, (await shop).id, 1, 'stripe');
    await superuser()`select private.apply_stripe_event(${`evt_${checkoutId}`}, 'checkout.session.completed',
      ${superuser().json({ data: { object: {
        id: 'cs_test_paid', client_reference_id: checkoutId, metadata: { checkout_id: checkoutId },
        payment_status: 'paid', amount_total: 10000, currency: 'kes',
      } } })})`;
    expect(await orderStatus(orderId)).toBe('paid');
    expect((await cancelAs(customer, orderId)).error).toBeNull();
    expect(await orderStatus(orderId)).toBe('cancelled');
  });
});

describe('recording a payment session', () => {
  it('is refused once the checkout was undone (a concurrent retry failed), so the caller withdraws the session', async () => {
    const { checkoutId } = await pendingOrder(await createCustomer(), (await shop).id, 1, 'stripe');
    await superuser()`select private.undo_checkout(${checkoutId}, 'payment start failed')`;
    await expect(superuser()`select private.record_payment_session(${checkoutId}, 'cs_test_late', 'https://pay.test/late')`)
      .rejects.toMatchObject({ code: 'PT409' });
    const [payment] = await superuser()`select provider_ref, status from public.payments where checkout_id = ${checkoutId}`;
    expect(payment).toEqual({ provider_ref: null, status: 'failed' });
  });

  it('is idempotent for the same session and refuses another one', async () => {
    const { checkoutId } = await pendingOrder(await createCustomer(), (await shop).id, 1, 'stripe');
    for (let i = 0; i < 2; i++) await superuser()`select private.record_payment_session(${checkoutId}, 'cs_test_once', 'https://pay.test/once')`;
    await expect(superuser()`select private.record_payment_session(${checkoutId}, 'cs_test_other', 'https://pay.test/other')`)
      .rejects.toMatchObject({ code: 'PT409' });
  });
});

describe('bad input to the order RPCs', () => {
  it('answers 400 for an unknown status or an over-long note and changes nothing', async () => {
    const { orderId } = await orderIn('paid');
    const admin = (await shop).admin;
    const unknown = await asUser(admin, (tx) => tx`select public.update_order_status(order_id := ${orderId}, status := ${'teleported'}::public.order_status)`);
    expect(unknown.error).toMatchObject({ status: 400 });
    const longNote = await updateStatus(admin, orderId, 'processing', 'n'.repeat(2001));
    expect(longNote.error).toMatchObject({ code: '22023', status: 400 });
    expect(await orderStatus(orderId)).toBe('paid');
    const [{ n }] = await superuser()`select count(*)::int as n from public.order_status_history where order_id = ${orderId}`;
    expect(n).toBe(1);
  });

  it('refuses visitors without a session (401)', async () => {
    const { orderId } = await orderIn('paid');
    for (const call of [
      asAnon((tx) => tx`select public.update_order_status(order_id := ${orderId}, status := 'processing')`),
      asAnon((tx) => tx`select public.cancel_order(order_id := ${orderId})`),
    ]) {
      expect((await call).error).toMatchObject({ code: '42501', status: 401 });
    }
    expect(await orderStatus(orderId)).toBe('paid');
  });
});
