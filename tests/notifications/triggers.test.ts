// Every event that announces itself by e-mail queues exactly the right message for the right
// recipient, once, and only when its transaction commits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { type BusinessFixture, createBusiness, createCustomer } from '../support/fixtures.ts';
import { asUser } from '../support/postgrest.ts';
import { createUser, type TestUser, uniqueEmail } from '../support/users.ts';
import { createOrder, createProduct, notificationsFor, type OrderStatus, setOrderStatus } from './fixtures.ts';

let business: BusinessFixture;
let customer: TestUser;
let productId: string;
const contactEmail = uniqueEmail('shop-contact');

beforeAll(async () => {
  [business, customer] = await Promise.all([createBusiness('notify'), createCustomer('notified')]);
  await superuser()`update public.businesses set contact_email = ${contactEmail} where id = ${business.id}`;
  productId = await createProduct(business.id, { name: 'Sukuma wiki', price: 40 });
});

function placeOrder(status: OrderStatus = 'pending_payment') {
  return createOrder({
    businessId: business.id,
    customer,
    status,
    lines: [
      { productId, name: 'Sukuma wiki', unitPrice: 40, quantity: 3 },
      { productId, name: 'Sukuma wiki <b>bundle</b>', unitPrice: 15.5, quantity: 2 },
    ],
  });
}

describe('order placed', () => {
  it('queues one e-mail to the customer and one to the business contact, listing the lines', async () => {
    const orderId = await placeOrder();
    const toCustomer = (await notificationsFor(customer.email!)).filter((n) => n.payload.order_id === orderId);
    const toBusiness = (await notificationsFor(contactEmail)).filter((n) => n.payload.order_id === orderId);
    expect(toCustomer.map((n) => n.kind)).toEqual(['order_placed_customer']);
    expect(toBusiness.map((n) => n.kind)).toEqual(['order_placed_business']);
    expect(toCustomer[0]).toMatchObject({ status: 'pending', attempts: 0, last_error: null, sent_at: null });
    expect(toCustomer[0].payload).toMatchObject({
      order_id: orderId,
      business_id: business.id,
      total: 151,
      currency: 'KES',
      customer_name: 'notified buyer',
      items: [
        { product_name: 'Sukuma wiki', quantity: 3, unit_price: 40, line_total: 120, unit: 'kg' },
        { product_name: 'Sukuma wiki <b>bundle</b>', quantity: 2, unit_price: 15.5, line_total: 31, unit: 'kg' },
      ],
    });
  });

  it('goes to the members who manage orders when the business has no contact address', async () => {
    const bare = await createBusiness('bare');
    const orderId = await createOrder({
      businessId: bare.id, customer, lines: [{ productId: await createProduct(bare.id), name: 'Maize', unitPrice: 10, quantity: 1 }],
    });
    const [queued] = await superuser()`
      select array_agg(recipient order by recipient) as recipients from private.notifications
      where kind = 'order_placed_business' and payload->>'order_id' = ${orderId}`;
    // approver and admin hold orders.manage; editor and viewer do not.
    expect(queued.recipients).toEqual([bare.admin.email, bare.approver.email].sort());
  });

  it('queues nothing when the transaction that placed the order rolls back', async () => {
    const before = (await notificationsFor(customer.email!)).length;
    await expect(superuser().begin(async (tx) => {
      const [checkout] = await tx`
        insert into public.checkouts (user_id, idempotency_key, request_hash, cart_hash, payment_method, total, currency, shipping_address)
        values (${customer.id}, ${`rollback-${Date.now()}`}, 'h', 'h', 'manual', 1, 'KES', '{}') returning id`;
      await tx`insert into public.orders (checkout_id, business_id, customer_id, subtotal, total, currency, shipping_address)
               values (${checkout.id}, ${business.id}, ${customer.id}, 1, 1, 'KES', '{}')`;
      throw new Error('checkout failed');
    })).rejects.toThrow('checkout failed');
    expect(await notificationsFor(customer.email!)).toHaveLength(before);
  });

  it('sends nothing to an anonymous customer, who has no address', async () => {
    const anonymous = await createUser({ anonymous: true });
    const orderId = await createOrder({ businessId: business.id, customer: anonymous, lines: [{ productId, name: 'x', unitPrice: 1, quantity: 1 }] });
    const rows = await superuser()`select kind from private.notifications where payload->>'order_id' = ${orderId} order by kind`;
    expect(rows.map((r) => r.kind)).toEqual(['order_placed_business']);
  });
});

describe('order status changes', () => {
  const announced: Array<[OrderStatus[], string]> = [
    [['paid'], 'order_paid'],
    [['paid', 'processing', 'shipped'], 'order_shipped'],
    [['paid', 'processing', 'shipped', 'delivered'], 'order_delivered'],
    [['cancelled'], 'order_cancelled'],
    [['paid', 'refunded'], 'order_refunded'],
  ];

  it.each(announced)('%j queues %s to the customer', async (path, kind) => {
    const orderId = await placeOrder();
    for (const status of path) await setOrderStatus(orderId, status);
    const forOrder = (await notificationsFor(customer.email!)).filter((n) => n.payload.order_id === orderId);
    expect(forOrder.filter((n) => n.kind === kind)).toHaveLength(1);
    expect(forOrder.find((n) => n.kind === kind)!.payload).toMatchObject({ status: path.at(-1), previous_status: path.at(-2) ?? 'pending_payment' });
  });

  it('processing announces nothing, and a status written again without change queues nothing more', async () => {
    const orderId = await placeOrder();
    await setOrderStatus(orderId, 'paid');
    await setOrderStatus(orderId, 'paid');
    await setOrderStatus(orderId, 'processing');
    await superuser()`update public.orders set notes = 'gate code 1234' where id = ${orderId}`;
    const kinds = (await notificationsFor(customer.email!)).filter((n) => n.payload.order_id === orderId).map((n) => n.kind);
    expect(kinds.sort()).toEqual(['order_paid', 'order_placed_customer']);
  });
});

describe('product review', () => {
  it('approval queues an e-mail to the submitter, not the reviewer', async () => {
    const id = await createProduct(business.id, { name: 'Avocado', status: 'pending_approval', submittedBy: business.editor.id });
    await superuser()`update public.products set status = 'approved', reviewed_by = ${business.approver.id}, reviewed_at = now() where id = ${id}`;
    const mine = (await notificationsFor(business.editor.email!)).filter((n) => n.payload.product_id === id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ kind: 'product_approved', payload: { product_name: 'Avocado', business_name: expect.any(String) } });
    expect((await notificationsFor(business.approver.email!)).filter((n) => n.payload.product_id === id)).toHaveLength(0);
  });

  it('rejection carries the reason; a resubmission rejected again is a second e-mail', async () => {
    const id = await createProduct(business.id, { name: 'Mango', status: 'pending_approval', submittedBy: business.editor.id });
    await superuser()`update public.products set status = 'rejected', reviewed_by = ${business.approver.id},
                      reviewed_at = now(), rejection_reason = 'Photo missing' where id = ${id}`;
    await superuser()`update public.products set status = 'pending_approval' where id = ${id}`;
    await superuser()`update public.products set status = 'rejected', reviewed_at = now() + interval '1 minute',
                      rejection_reason = 'Price too high' where id = ${id}`;
    const mine = (await notificationsFor(business.editor.email!)).filter((n) => n.payload.product_id === id);
    expect(mine.map((n) => [n.kind, n.payload.rejection_reason])).toEqual([
      ['product_rejected', 'Photo missing'], ['product_rejected', 'Price too high'],
    ]);
  });

  it('other status changes (draft → pending, archiving) queue nothing', async () => {
    const id = await createProduct(business.id, { status: 'draft', submittedBy: business.editor.id });
    await superuser()`update public.products set status = 'pending_approval' where id = ${id}`;
    await superuser()`update public.products set status = 'archived' where id = ${id}`;
    const [{ count }] = await superuser()`select count(*)::int from private.notifications where payload->>'product_id' = ${id}`;
    expect(count).toBe(0);
  });
});

describe('invitations', () => {
  it('invite_member queues an e-mail to the invitee with the token for the accept link', async () => {
    const invitee = uniqueEmail('invitee');
    const invited = await asUser(business.admin, (tx) =>
      tx`select * from public.invite_member(business_id := ${business.id}, email := ${invitee}, role := 'editor')`);
    expect(invited.error).toBeNull();
    const [invitation] = invited.data!;
    const mine = await notificationsFor(invitee);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      kind: 'invitation_created',
      payload: { invitation_id: invitation.id, token: invitation.token, role: 'editor', inviter_name: 'notify admin' },
    });
  });
});

afterAll(() => undefined);
