// Commerce rows made directly with the superuser connection: the checkout and order RPCs are
// built elsewhere, and these tests only need orders and products to exist and change status.
import { randomUUID } from 'node:crypto';
import { superuser } from '../support/db.ts';
import type { TestUser } from '../support/users.ts';

export type OrderStatus = 'pending_payment' | 'paid' | 'processing' | 'shipped' | 'delivered' | 'cancelled' | 'refunded';

export interface ProductInput {
  name?: string;
  price?: number;
  unit?: string;
  status?: 'draft' | 'pending_approval' | 'approved' | 'rejected' | 'archived';
  submittedBy?: string | null;
}

export async function createProduct(businessId: string, input: ProductInput = {}): Promise<string> {
  const [{ id }] = await superuser()`
    insert into public.products (business_id, name, price, unit, stock_quantity, status, submitted_by)
    values (${businessId}, ${input.name ?? `Product ${randomUUID().slice(0, 8)}`}, ${input.price ?? 100},
            ${input.unit ?? 'kg'}, 1000, ${input.status ?? 'approved'}, ${input.submittedBy ?? null})
    returning id`;
  return id;
}

export interface OrderLineInput {
  productId: string;
  name: string;
  unitPrice: number;
  quantity: number;
  unit?: string;
}

export interface OrderInput {
  businessId: string;
  customer: Pick<TestUser, 'id'>;
  lines: OrderLineInput[];
  status?: OrderStatus;
  createdAt?: Date;
  currency?: string;
  shippingAddress?: Record<string, unknown>;
  notes?: string | null;
}

/** A checkout with one order and its lines, in one transaction as checkout writes them. */
export function createOrder(input: OrderInput): Promise<string> {
  const total = input.lines.reduce((sum, line) => sum + line.unitPrice * line.quantity, 0);
  const currency = input.currency ?? 'KES';
  const address = input.shippingAddress ?? { line1: '1 Market Street', city: 'Nairobi', country: 'KE' };
  return superuser().begin(async (tx) => {
    const [checkout] = await tx`
      insert into public.checkouts (user_id, idempotency_key, request_hash, cart_hash, payment_method, total, currency, shipping_address)
      values (${input.customer.id}, ${`key-${randomUUID()}`}, 'hash', 'hash', 'manual', ${total}, ${currency}, ${tx.json(address as never)})
      returning id`;
    const [order] = await tx`
      insert into public.orders (checkout_id, business_id, customer_id, status, subtotal, total, currency, shipping_address, notes, created_at)
      values (${checkout.id}, ${input.businessId}, ${input.customer.id}, ${input.status ?? 'pending_payment'},
              ${total}, ${total}, ${currency}, ${tx.json(address as never)}, ${input.notes ?? null}, ${input.createdAt ?? new Date()})
      returning id`;
    for (const line of input.lines) {
      await tx`
        insert into public.order_items (order_id, business_id, product_id, product_name, unit, unit_price, quantity, line_total)
        values (${order.id}, ${input.businessId}, ${line.productId}, ${line.name}, ${line.unit ?? 'kg'},
                ${line.unitPrice}, ${line.quantity}, ${line.unitPrice * line.quantity})`;
    }
    return order.id as string;
  });
}

export async function setOrderStatus(orderId: string, status: OrderStatus): Promise<void> {
  await superuser()`update public.orders set status = ${status} where id = ${orderId}`;
}

export interface QueuedNotification {
  id: string;
  kind: string;
  recipient: string;
  payload: Record<string, unknown>;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  locked_until: Date | null;
  last_error: string | null;
  sent_at: Date | null;
  provider_message_id: string | null;
}

export function notificationsFor(recipient: string): Promise<QueuedNotification[]> {
  return superuser()<QueuedNotification[]>`
    select * from private.notifications where recipient = ${recipient.toLowerCase()} order by created_at, kind`;
}

export function notificationsById(ids: string[]): Promise<QueuedNotification[]> {
  return superuser()<QueuedNotification[]>`select * from private.notifications where id = any(${ids}::uuid[]) order by id`;
}

/** Queues messages directly (as the triggers would), to exercise delivery on its own. */
export async function queueMessages(count: number, recipient: string): Promise<string[]> {
  const rows = await superuser()<{ id: string }[]>`
    insert into private.notifications (kind, recipient, payload, dedupe_key)
    select 'order_paid', ${recipient.toLowerCase()},
           jsonb_build_object('order_id', gen_random_uuid(), 'business_name', 'Test shop', 'customer_name', 'Tester',
                              'total', 10 * g, 'currency', 'KES', 'items', '[]'::jsonb),
           'test:' || gen_random_uuid()
    from generate_series(1, ${count}) g
    returning id`;
  return rows.map((row) => row.id);
}
