-- Benchmark data for the order export: one business with an admin, 1,000 customers, 200
-- products, and orders of 5 lines each, generated in batches so the caller can show progress:
--   call bench.generate_orders(first_order, last_order);
-- Order o (id 60000000-…-<o in hex>) is dated o minutes after 2025-01-01, so the export's
-- keyset order (newest first) walks the whole range. Deterministic: the same arguments give
-- the same rows. Run as supabase_admin on a throwaway database (scripts/lib/scratch-database.ts).
create schema if not exists bench;

create or replace function bench.export_business_id() returns uuid
language sql immutable
as $$ select '50000000-0000-4000-8000-000000000001'::uuid $$;

create or replace function bench.export_admin_id() returns uuid
language sql immutable
as $$ select '50000000-0000-4000-8000-0000000000ad'::uuid $$;

create or replace function bench.export_customer_id(c int) returns uuid
language sql immutable
as $$ select ('51000000-0000-4000-8000-' || lpad(to_hex(c), 12, '0'))::uuid $$;

create or replace function bench.export_product_id(p int) returns uuid
language sql immutable
as $$ select ('52000000-0000-4000-8000-' || lpad(to_hex(p), 12, '0'))::uuid $$;

create or replace function bench.export_order_id(o int) returns uuid
language sql immutable
as $$ select ('60000000-0000-4000-8000-' || lpad(to_hex(o), 12, '0'))::uuid $$;

create or replace procedure bench.prepare_export_business()
language plpgsql
as $$
begin
  set local session_replication_role = replica;
  insert into auth.users (id, instance_id, aud, role, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at, created_at, updated_at)
  select id, '00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated', email, '{}', '{}', now(), now(), now()
  from (
    select bench.export_admin_id() as id, 'export-admin@bench.example' as email
    union all
    select bench.export_customer_id(c), 'customer' || c || '@bench.example' from generate_series(1, 1000) c
  ) u;
  insert into public.businesses (id, name, slug, created_by)
  values (bench.export_business_id(), 'Export bench', 'export-bench', bench.export_admin_id());
  insert into public.business_members (business_id, user_id, role)
  values (bench.export_business_id(), bench.export_admin_id(), 'admin');
  insert into public.products (id, business_id, name, price, unit, stock_quantity, status, created_by)
  select bench.export_product_id(p), bench.export_business_id(), 'Product ' || p || ', grade ' || (p % 3 + 1),
         (10 + p % 90)::numeric, 'kg', 1000, 'approved', bench.export_admin_id()
  from generate_series(1, 200) p;
end;
$$;

create or replace procedure bench.generate_orders(first_order int, last_order int)
language plpgsql
as $$
begin
  -- Skips the notification triggers (an e-mail per order) and foreign-key checks: the rows
  -- below are consistent by construction.
  set local session_replication_role = replica;
  insert into public.checkouts (id, user_id, idempotency_key, request_hash, cart_hash, payment_method, total, currency,
                                shipping_address, status, created_at, updated_at)
  select bench.export_order_id(o), bench.export_customer_id(1 + o % 1000), 'bench-order-' || o, 'bench', 'bench', 'manual', 0, 'KES',
         '{"line1":"1 Bench Road","city":"Nakuru","country":"KE"}', 'paid',
         timestamptz '2025-01-01' + make_interval(mins => o), timestamptz '2025-01-01' + make_interval(mins => o)
  from generate_series(first_order, last_order) o;
  insert into public.orders (id, checkout_id, business_id, customer_id, status, subtotal, total, currency,
                             shipping_address, created_at, updated_at)
  select bench.export_order_id(o), bench.export_order_id(o), bench.export_business_id(), bench.export_customer_id(1 + o % 1000),
         (array['paid', 'processing', 'shipped', 'delivered'])[1 + o % 4]::public.order_status,
         0, 0, 'KES', '{"line1":"1 Bench Road","city":"Nakuru","country":"KE"}',
         timestamptz '2025-01-01' + make_interval(mins => o), timestamptz '2025-01-01' + make_interval(mins => o)
  from generate_series(first_order, last_order) o;
  insert into public.order_items (order_id, business_id, product_id, product_name, unit, unit_price, quantity, line_total,
                                  created_at, updated_at)
  select bench.export_order_id(o), bench.export_business_id(), bench.export_product_id(p),
         'Product ' || p || ', grade ' || (p % 3 + 1), 'kg', (10 + p % 90)::numeric, 1 + (o + l) % 5,
         (10 + p % 90)::numeric * (1 + (o + l) % 5), timestamptz '2025-01-01' + make_interval(mins => o),
         timestamptz '2025-01-01' + make_interval(mins => o)
  from generate_series(first_order, last_order) o, generate_series(1, 5) l, lateral (select 1 + (o * 7 + l * 13) % 200 as p) pick;
  update public.orders o
  set subtotal = t.total, total = t.total
  from (select i.order_id, sum(i.line_total) as total from public.order_items i
        where i.order_id between bench.export_order_id(first_order) and bench.export_order_id(last_order)
        group by i.order_id) t
  where o.id = t.order_id;
end;
$$;
