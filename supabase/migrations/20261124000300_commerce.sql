-- Commerce: carts, checkouts, orders with their items and history, payments and the inbox of
-- payment-provider events.
--
-- Money moves here, so clients write none of these tables directly: carts change through
-- add_to_cart/clear_cart and PostgREST updates of their own lines; checkouts, orders, items
-- and payments are written by the checkout and payment functions and the order RPCs.
-- Customers read their own rows; members with `orders.read` read their business's orders.

-- ============================================================================
-- Types
-- ============================================================================
create type public.order_status as enum (
  'pending_payment', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded'
);
comment on type public.order_status is 'Where an order is in its lifecycle; allowed transitions are enforced by the order RPCs.';

create type public.checkout_status as enum ('pending_payment', 'paid', 'cancelled');
comment on type public.checkout_status is 'A checkout is paid or cancelled as a whole: one payment covers all of its orders.';

create type public.payment_status as enum ('pending', 'succeeded', 'failed', 'cancelled', 'refunded');
comment on type public.payment_status is 'The state of a payment at its provider.';

-- ============================================================================
-- Tables
-- ============================================================================
create table public.carts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique default auth.uid() references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.carts is 'One cart per user (anonymous sign-ins included); filled with add_to_cart.';

create table public.cart_items (
  id uuid primary key default gen_random_uuid(),
  cart_id uuid not null references public.carts (id) on delete cascade,
  product_id uuid not null references public.products (id) on delete cascade,
  quantity int not null check (quantity between 1 and 1000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (cart_id, product_id)
);
comment on table public.cart_items is 'Lines of a cart. Prices are not stored: checkout takes them from products.';

create table public.checkouts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  idempotency_key text not null check (char_length(idempotency_key) between 8 and 200),
  -- Fingerprint of the cart and body the key was first used with: the same key with another
  -- cart or body is a conflict, not a retry.
  request_hash text not null,
  status public.checkout_status not null default 'pending_payment',
  payment_method text not null check (payment_method in ('manual', 'stripe')),
  total numeric(12, 2) not null check (total >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  shipping_address jsonb not null check (jsonb_typeof(shipping_address) = 'object'),
  notes text check (char_length(notes) <= 1000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, idempotency_key)
);
comment on table public.checkouts is 'One per checkout attempt, unique per user and Idempotency-Key; splits into one order per business.';

create table public.orders (
  id uuid primary key default gen_random_uuid(),
  checkout_id uuid not null references public.checkouts (id) on delete restrict,
  business_id uuid not null references public.businesses (id) on delete restrict,
  customer_id uuid not null references auth.users (id) on delete restrict,
  status public.order_status not null default 'pending_payment',
  subtotal numeric(12, 2) not null check (subtotal >= 0),
  total numeric(12, 2) not null check (total >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  shipping_address jsonb not null check (jsonb_typeof(shipping_address) = 'object'),
  notes text check (char_length(notes) <= 1000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, business_id)
);
comment on table public.orders is 'What a customer bought from one business in one checkout. Status changes only through update_order_status/cancel_order and payments.';

create table public.order_items (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null,
  -- Denormalised from the order so that policies need no join; kept right by the foreign key.
  business_id uuid not null,
  -- A product that was ever ordered can never be deleted.
  product_id uuid not null references public.products (id) on delete restrict,
  product_name text not null,
  unit text not null,
  unit_price numeric(12, 2) not null check (unit_price >= 0),
  quantity int not null check (quantity > 0),
  line_total numeric(12, 2) not null check (line_total = unit_price * quantity),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (order_id, business_id) references public.orders (id, business_id) on delete cascade
);
comment on table public.order_items is 'Order lines with the product''s name and price as they were at checkout.';

create table public.order_status_history (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null,
  business_id uuid not null,
  from_status public.order_status,
  to_status public.order_status not null,
  actor_id uuid references auth.users (id) on delete set null,
  note text check (char_length(note) <= 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (order_id, business_id) references public.orders (id, business_id) on delete cascade
);
comment on table public.order_status_history is 'Append-only audit of every order status change.';

create table public.payments (
  id uuid primary key default gen_random_uuid(),
  checkout_id uuid not null references public.checkouts (id) on delete restrict,
  provider text not null check (provider in ('manual', 'stripe')),
  -- The provider's id for this payment (a Stripe Checkout Session id); null until started.
  provider_ref text,
  amount numeric(12, 2) not null check (amount >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  status public.payment_status not null default 'pending',
  redirect_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider, provider_ref)
);
comment on table public.payments is 'A checkout''s payment at its provider (manual: recorded by staff; stripe: a Checkout Session).';

create table public.payment_events (
  id uuid primary key default gen_random_uuid(),
  provider text not null,
  event_id text not null,
  event_type text not null,
  payload jsonb not null,
  processed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider, event_id)
);
comment on table public.payment_events is 'Inbox of payment-provider webhook events, each stored once: replays and duplicates change nothing.';

-- ============================================================================
-- Indexes
-- ============================================================================
create index cart_items_product_idx on public.cart_items (product_id);
create index checkouts_created_idx on public.checkouts (status, created_at);
create index orders_checkout_idx on public.orders (checkout_id);
create index orders_customer_idx on public.orders (customer_id, created_at desc);
create index orders_business_idx on public.orders (business_id, created_at desc, id);
create index orders_pending_idx on public.orders (created_at) where status = 'pending_payment';
create index order_items_order_idx on public.order_items (order_id, business_id);
create index order_items_business_idx on public.order_items (business_id, order_id);
create index order_items_product_idx on public.order_items (product_id);
create index order_status_history_order_idx on public.order_status_history (order_id, business_id, created_at);
create index order_status_history_actor_idx on public.order_status_history (actor_id);
create index payments_checkout_idx on public.payments (checkout_id);

-- ============================================================================
-- Triggers
-- ============================================================================
create trigger set_updated_at before update on public.carts
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.cart_items
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.checkouts
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.orders
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.order_items
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.payments
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.payment_events
  for each row execute function private.set_updated_at();

-- ============================================================================
-- Policies
-- ============================================================================
alter table public.carts enable row level security;
alter table public.cart_items enable row level security;
alter table public.checkouts enable row level security;
alter table public.orders enable row level security;
alter table public.order_items enable row level security;
alter table public.order_status_history enable row level security;
alter table public.payments enable row level security;
alter table public.payment_events enable row level security;

create policy "Users can read their own cart" on public.carts
  for select to authenticated using (user_id = (select auth.uid()));

create policy "Users can read their own cart lines" on public.cart_items
  for select to authenticated
  using (cart_id in (select c.id from public.carts c where c.user_id = (select auth.uid())));
create policy "Users can change quantities in their own cart" on public.cart_items
  for update to authenticated
  using (cart_id in (select c.id from public.carts c where c.user_id = (select auth.uid())))
  with check (cart_id in (select c.id from public.carts c where c.user_id = (select auth.uid())));
create policy "Users can remove lines from their own cart" on public.cart_items
  for delete to authenticated
  using (cart_id in (select c.id from public.carts c where c.user_id = (select auth.uid())));

create policy "Customers can read their own checkouts" on public.checkouts
  for select to authenticated using (user_id = (select auth.uid()));

create policy "Customers read their orders and members their business's" on public.orders
  for select to authenticated
  using (
    customer_id = (select auth.uid())
    or business_id = any ((select private.business_ids_with_permission('orders.read'))::uuid[])
  );

create policy "Customers read their order lines and members their business's" on public.order_items
  for select to authenticated
  using (
    business_id = any ((select private.business_ids_with_permission('orders.read'))::uuid[])
    or order_id in (select o.id from public.orders o where o.customer_id = (select auth.uid()))
  );

create policy "Customers read their order history and members their business's" on public.order_status_history
  for select to authenticated
  using (
    business_id = any ((select private.business_ids_with_permission('orders.read'))::uuid[])
    or order_id in (select o.id from public.orders o where o.customer_id = (select auth.uid()))
  );

create policy "Customers read their payments and members those of their business's orders" on public.payments
  for select to authenticated
  using (
    checkout_id in (select c.id from public.checkouts c where c.user_id = (select auth.uid()))
    or checkout_id in (
      select o.checkout_id from public.orders o
      where o.business_id = any ((select private.business_ids_with_permission('orders.read'))::uuid[])
    )
  );
-- payment_events: no policy. Only the payment webhook (as postgres) and service_role touch it.

-- ============================================================================
-- Grants
-- ============================================================================
grant select on public.carts to authenticated;
grant select, delete on public.cart_items to authenticated;
grant update (quantity) on public.cart_items to authenticated;
grant select on public.checkouts, public.orders, public.order_items, public.order_status_history, public.payments
  to authenticated;

grant all on public.carts, public.cart_items, public.checkouts, public.orders, public.order_items,
  public.order_status_history, public.payments, public.payment_events to service_role;
