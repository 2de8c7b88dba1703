// The export's keyset pages against the database: no line is skipped or repeated when orders
// share a timestamp to the microsecond and page boundaries fall inside an order.
import { describe, expect, it } from 'vitest';
import { database } from '../../functions/_shared/caller-transaction.ts';
import { type ExportLine, exportPages } from '../../functions/orders-export/lines.ts';
import { connectAs, superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { createProduct } from '../notifications/fixtures.ts';

describe('export pages', () => {
  it('orders created in the same microsecond, pages that split orders: every line exactly once', async () => {
    const [shop, customer] = await Promise.all([createBusiness('cursor'), createCustomer('cursor')]);
    const product = await createProduct(shop.id, { name: 'Beans' });
    // 30 orders of 2 lines, all at one timestamp with microseconds (now() is one value per statement).
    await superuser()`
      with c as (
        insert into public.checkouts (user_id, idempotency_key, request_hash, cart_hash, payment_method, total, currency, shipping_address)
        select ${customer.id}, 'cursor-' || g || '-' || ${shop.id}, 'hash', 'hash', 'manual', 15, 'KES', '{}'
        from generate_series(1, 30) g returning id
      ), o as (
        insert into public.orders (checkout_id, business_id, customer_id, status, subtotal, total, currency, shipping_address, created_at)
        select c.id, ${shop.id}, ${customer.id}, 'paid', 15, 15, 'KES', '{}', date_trunc('second', now()) + interval '0.123456 seconds'
        from c returning id
      )
      insert into public.order_items (order_id, business_id, product_id, product_name, unit, unit_price, quantity, line_total)
      select o.id, ${shop.id}, ${product}, 'Beans ' || n, 'kg', 5, n, 5 * n from o, generate_series(1, 2) n`;
    const seen: ExportLine[] = [];
    const filters = { businessId: shop.id, from: null, to: null, status: null, orderId: null };
    // As the function reads them: through the functions' own Db, as the business's admin.
    for await (const _ of exportPages(database(connectAs('postgres')), shop.admin.claims, filters, 3, (line) => seen.push(line)));
    expect(seen).toHaveLength(60);
    expect(new Set(seen.map((line) => line.line_id)).size).toBe(60);
    expect(seen[0].order_created_at).toMatch(/\.123456\+00$/);
  });
});
