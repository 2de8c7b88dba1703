-- Commerce: carts, checkouts, orders with their items and history, payments (manual, card,
-- mobile money) and the inbox of payment-provider events, refunds and late payments.
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

create type private.checkout_line as (
  product_id uuid, business_id uuid, name text, unit text, price numeric(12, 2), currency text,
  status public.product_status, stock int, quantity int
);
comment on type private.checkout_line is 'A cart line with its locked product, as checkout sees it (no temporary table on the hot path).';

create type public.payment_status as enum ('pending', 'succeeded', 'failed', 'cancelled', 'refunded');
comment on type public.payment_status is 'The state of a payment at its provider.';

create type public.payment_event_status as enum ('applied', 'ignored', 'rejected');
comment on type public.payment_event_status is
  'What a provider event did: applied (paid or cancelled its checkout), ignored (nothing to do: other type, still unpaid, late), rejected (claims a payment that does not match its checkout; changed nothing).';

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
  -- Fingerprints of the body and of the cart the key was first used with: the same key with
  -- another body or cart is a conflict, not a retry (an emptied cart is the checkout's own doing).
  request_hash text not null,
  cart_hash text not null,
  status public.checkout_status not null default 'pending_payment',
  payment_method text not null check (payment_method in ('manual', 'stripe', 'clickpesa', 'mpesa')),
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
  provider text not null check (provider in ('manual', 'stripe', 'clickpesa', 'mpesa')),
  provider_ref text,
  amount numeric(12, 2) not null check (amount >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  status public.payment_status not null default 'pending',
  redirect_url text,
  phone text check (phone ~ '^[1-9][0-9]{8,14}$'),
  receipt text check (char_length(receipt) <= 100),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider, provider_ref)
);
comment on table public.payments is 'A checkout''s payment at its provider (manual: recorded by staff; stripe: a Checkout Session; clickpesa, mpesa: a push to the payer''s phone).';
comment on column public.payments.phone is
  'Mobile money: the paying number, digits with the country code first (255…, 254…), as the providers take it.';
comment on column public.payments.receipt is
  'The provider''s receipt once paid (M-Pesa MpesaReceiptNumber, ClickPesa paymentReference).';
comment on column public.payments.provider_ref is
  'The provider''s id for this payment: a Stripe Checkout Session id, a ClickPesa orderReference, an M-Pesa CheckoutRequestID; null until started.';

create table public.payment_events (
  id uuid primary key default gen_random_uuid(),
  provider text not null,
  event_id text not null,
  event_type text not null,
  payload jsonb not null,
  status public.payment_event_status not null default 'ignored',
  -- What happened, in words (the webhook's answer): why an event was rejected or ignored.
  outcome text,
  -- The checkout the event names or belongs to, when there is one: its businesses' order
  -- managers read the event (a rejected or late payment may need a refund).
  checkout_id uuid references public.checkouts (id) on delete restrict,
  processed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider, event_id)
);
comment on table public.payment_events is 'Inbox of payment-provider webhook events, each stored once with what it did: replays and duplicates change nothing; rejected events are kept for the businesses'' order managers.';

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
create index payments_open_mobile_idx on public.payments (created_at)
  where status in ('pending', 'cancelled') and provider in ('clickpesa', 'mpesa');
create index payment_events_checkout_idx on public.payment_events (checkout_id, created_at);

-- ============================================================================
-- Helpers
-- ============================================================================
create function private.order_transition_allowed(from_status public.order_status, to_status public.order_status)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select (from_status, to_status) in (
    ('pending_payment'::public.order_status, 'paid'::public.order_status),
    ('pending_payment', 'cancelled'),
    ('paid', 'processing'), ('paid', 'cancelled'), ('paid', 'refunded'),
    ('processing', 'shipped'), ('processing', 'cancelled'),
    ('shipped', 'delivered'),
    ('delivered', 'refunded')
  );
$$;
revoke all on function private.order_transition_allowed(public.order_status, public.order_status) from public;
comment on function private.order_transition_allowed(public.order_status, public.order_status) is
  'The order lifecycle: the only status changes update_order_status, cancel_order and payments may make.';

create function private.checkout_result(target uuid) returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'checkout_id', c.id,
    'status', c.status,
    'total', c.total,
    'currency', c.currency,
    'orders', (
      select coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'business_id', o.business_id, 'total', o.total, 'status', o.status)
                                order by o.business_id), '[]'::jsonb)
      from public.orders o where o.checkout_id = c.id
    ),
    'payment', (
      select jsonb_strip_nulls(jsonb_build_object('id', p.id, 'provider', p.provider, 'status', p.status,
                                                  'provider_ref', p.provider_ref, 'redirect_url', p.redirect_url))
      from public.payments p where p.checkout_id = c.id order by p.created_at limit 1
    )
  )
  from public.checkouts c where c.id = target;
$$;
revoke all on function private.checkout_result(uuid) from public;
comment on function private.checkout_result(uuid) is 'The checkout answer, built from stored rows: the first answer and every retry are the same.';

-- Puts back the stock of an order's lines; the caller holds the order's lock.
create function private.restore_order_stock(target_order uuid) returns void
language plpgsql
set search_path = ''
as $$
begin
  -- Products in id order, as at checkout, so that concurrent writers cannot deadlock.
  perform 1 from public.products p
  where p.id in (select oi.product_id from public.order_items oi where oi.order_id = target_order)
  order by p.id
  for update;
  update public.products p
  set stock_quantity = p.stock_quantity + lines.quantity
  from (
    select oi.product_id, sum(oi.quantity)::int as quantity
    from public.order_items oi where oi.order_id = target_order group by oi.product_id
  ) lines
  where p.id = lines.product_id;
end;
$$;
revoke all on function private.restore_order_stock(uuid) from public;

-- A checkout and its payment follow their orders: still pending while any order waits for
-- payment, cancelled when every order is, paid otherwise. Manual payments covering several
-- businesses therefore succeed once every business has recorded its order's payment.
create function private.sync_checkout(target uuid) returns void
language plpgsql
set search_path = ''
as $$
declare
  pending int;
  cancelled int;
  refunded int;
  total int;
  new_status public.checkout_status;
begin
  select count(*) filter (where o.status = 'pending_payment'),
         count(*) filter (where o.status = 'cancelled'),
         count(*) filter (where o.status = 'refunded'),
         count(*)
  into pending, cancelled, refunded, total
  from public.orders o where o.checkout_id = target;
  new_status := case when pending > 0 then 'pending_payment' when cancelled = total then 'cancelled' else 'paid' end;
  update public.checkouts c set status = new_status where c.id = target and c.status is distinct from new_status;
  update public.payments p
  set status = case
    when new_status = 'pending_payment' then 'pending'
    when p.status = 'failed' then 'failed'
    when new_status = 'cancelled' then 'cancelled'
    when cancelled + refunded = total then 'refunded'
    else 'succeeded'
  end::public.payment_status
  where p.checkout_id = target and p.provider = 'manual';
end;
$$;
revoke all on function private.sync_checkout(uuid) from public;

-- The one way an order's status changes: checks the lifecycle, restores stock on cancellation,
-- writes history and keeps the checkout in step. Lock order everywhere: checkout, orders, products.
create function private.change_order_status(
  target uuid,
  new_status public.order_status,
  actor uuid,
  note text
) returns public.order_status
language plpgsql
set search_path = ''
as $$
declare
  current_order public.orders;
begin
  if new_status is null then
    raise exception 'Give the status to move the order to.' using errcode = '22023';
  end if;
  if char_length(note) > 2000 then
    raise exception 'The note is longer than 2000 characters.' using errcode = '22023';
  end if;
  perform 1 from public.checkouts c where c.id = (select o.checkout_id from public.orders o where o.id = target) for update;
  select * into current_order from public.orders o where o.id = target for update;
  if not found then
    raise exception 'No order has id %.', target using errcode = 'PT404';
  end if;
  if not private.order_transition_allowed(current_order.status, new_status) then
    raise exception 'Order % is %: it cannot become %.', target, current_order.status, new_status using errcode = 'PT409';
  end if;
  if new_status = 'cancelled' then
    perform private.restore_order_stock(target);
  end if;
  update public.orders o set status = new_status where o.id = target;
  insert into public.order_status_history (order_id, business_id, from_status, to_status, actor_id, note)
  values (target, current_order.business_id, current_order.status, new_status, actor, note);
  perform private.sync_checkout(current_order.checkout_id);
  return current_order.status;
end;
$$;
revoke all on function private.change_order_status(uuid, public.order_status, uuid, text) from public;

-- An order the caller manages, for staff's order RPCs: one they cannot see answers as missing
-- (404), one they only read needs orders.manage (403, `action` says what they tried).
create function private.managed_order(order_id uuid, action text) returns public.orders
language plpgsql
stable
set search_path = ''
as $$
declare
  target public.orders;
begin
  select * into target from public.orders o where o.id = managed_order.order_id;
  if not found
     or not (target.customer_id = auth.uid()
             or target.business_id = any (private.business_ids_with_permission('orders.read'))) then
    raise exception 'No order has id %.', order_id using errcode = 'PT404';
  end if;
  if not target.business_id = any (private.business_ids_with_permission('orders.manage')) then
    raise exception '% needs the orders.manage permission in its business.', action using errcode = '42501';
  end if;
  return target;
end;
$$;
revoke all on function private.managed_order(uuid, text) from public;

-- A Stripe session, a USSD push or an STK push cannot be withdrawn once sent: cancelling one
-- order of such a checkout while it is open would let the customer pay for a cancelled order.
-- Such checkouts end with the payment (expiry, failure or the sweep), which cancels them all.
create function private.refuse_cancelling_open_card_payment(target public.orders, new_status public.order_status)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
  method text;
begin
  select c.payment_method into method from public.checkouts c where c.id = target.checkout_id;
  if new_status = 'cancelled' and target.status = 'pending_payment' and method = 'stripe' then
    raise exception 'Order % waits for a card payment: leave the payment page unpaid and it is cancelled, with its stock restored, when the session expires (30 minutes).', target.id
      using errcode = 'PT422';
  end if;
  if new_status = 'cancelled' and target.status = 'pending_payment' and method in ('clickpesa', 'mpesa') then
    raise exception 'Order % waits for a mobile-money payment already requested on the customer''s phone: decline it there and the order is cancelled, with its stock restored.', target.id
      using errcode = 'PT422';
  end if;
end;
$$;
revoke all on function private.refuse_cancelling_open_card_payment(public.orders, public.order_status) from public;

-- Cancels every order of a checkout still waiting for payment (expiry, failed or abandoned
-- payments, undoing a checkout whose payment could not start). Safe to run twice.
create function private.cancel_checkout(target uuid, note text, payment_outcome public.payment_status default 'cancelled')
returns void
language plpgsql
set search_path = ''
as $$
declare
  pending_order uuid;
begin
  perform 1 from public.checkouts c where c.id = target for update;
  for pending_order in
    select o.id from public.orders o where o.checkout_id = target and o.status = 'pending_payment' order by o.id for update
  loop
    perform private.change_order_status(pending_order, 'cancelled', null, note);
  end loop;
  update public.payments p set status = payment_outcome
  where p.checkout_id = target and p.status = 'pending' and not exists (
    select 1 from public.checkouts c where c.id = target and c.status <> 'cancelled'
  );
end;
$$;
revoke all on function private.cancel_checkout(uuid, text, public.payment_status) from public;

-- Undo of order placement when the payment cannot start: cancel, restore stock and give the
-- customer their cart back, so nothing is lost and they may try again with a new key.
create function private.undo_checkout(target uuid, note text) returns void
language plpgsql
set search_path = ''
as $$
declare
  buyer uuid;
  buyer_cart uuid;
begin
  select c.user_id into buyer from public.checkouts c where c.id = target and c.status = 'pending_payment' for update;
  if not found then
    return;
  end if;
  insert into public.carts (user_id) values (buyer) on conflict (user_id) do update set updated_at = now()
  returning id into buyer_cart;
  insert into public.cart_items (cart_id, product_id, quantity)
  select buyer_cart, oi.product_id, least(sum(oi.quantity), 1000)::int
  from public.order_items oi join public.orders o on o.id = oi.order_id
  where o.checkout_id = target and o.status = 'pending_payment'
  group by oi.product_id
  on conflict (cart_id, product_id) do nothing;
  perform private.cancel_checkout(target, note, 'failed');
end;
$$;
revoke all on function private.undo_checkout(uuid, text) from public;

-- The whole order placement in one transaction; called by the checkout function (as postgres).
-- `phone` is the mobile-money payer's number (digits, country code first, as the checkout
-- function normalised it); each provider's currency rule is checked with the cart's.
create function private.place_checkout(
  buyer uuid,
  idempotency_key text,
  payment_method text,
  shipping_address jsonb,
  notes text,
  phone text default null
) returns jsonb
language plpgsql
set search_path = ''
as $$
-- Every column reference below is qualified; bare names are the parameters.
#variable_conflict use_variable
declare
  buyer_cart uuid;
  body_hash text;
  current_cart_hash text;
  existing public.checkouts;
  line_count int;
  lines private.checkout_line[];
  unavailable text;
  short text;
  total numeric(12, 2);
  currencies text[];
  new_checkout uuid;
begin
  if buyer is null then
    raise exception 'Sign in to check out.' using errcode = '42501';
  end if;
  if idempotency_key is null or char_length(idempotency_key) not between 8 and 200 then
    raise exception 'The Idempotency-Key must be 8 to 200 characters.' using errcode = '22023';
  end if;
  if payment_method is null or payment_method not in ('manual', 'stripe', 'clickpesa', 'mpesa') then
    raise exception 'The payment method must be manual, stripe, clickpesa or mpesa.' using errcode = '22023';
  end if;
  if (payment_method in ('clickpesa', 'mpesa')) <> (phone is not null) then
    raise exception 'A phone number goes with a mobile-money payment (clickpesa, mpesa), and only with one.' using errcode = '22023';
  end if;
  if phone !~ '^[1-9][0-9]{8,14}$' then
    raise exception 'The phone number must be digits with the country code first, without +.' using errcode = '22023';
  end if;
  if shipping_address is null or jsonb_typeof(shipping_address) <> 'object' then
    raise exception 'The shipping address must be an object.' using errcode = '22023';
  end if;
  if char_length(notes) > 1000 then
    raise exception 'The notes are longer than 1000 characters.' using errcode = '22023';
  end if;
  body_hash := encode(sha256(convert_to(jsonb_build_object(
    'payment_method', payment_method, 'shipping_address', shipping_address, 'notes', notes, 'phone', phone)::text, 'UTF8')), 'hex');

  -- The cart lock serialises a user's concurrent checkouts, so a retry racing its original
  -- waits here and then finds the stored checkout.
  select c.id into buyer_cart from public.carts c where c.user_id = buyer for update;
  -- The lines too (a quantity changed through PostgREST meanwhile would otherwise be lost),
  -- fingerprinted in the same pass.
  select count(*), encode(sha256(convert_to(coalesce(string_agg(l.product_id::text || 'x' || l.quantity, ',' order by l.product_id), ''), 'UTF8')), 'hex')
  into line_count, current_cart_hash
  from (select ci.product_id, ci.quantity from public.cart_items ci where ci.cart_id = buyer_cart order by ci.id for update) l;

  select * into existing from public.checkouts c where c.user_id = buyer and c.idempotency_key = place_checkout.idempotency_key;
  if found then
    if existing.request_hash <> body_hash then
      raise exception 'This Idempotency-Key was already used with a different request body.' using errcode = 'PT409';
    end if;
    if line_count > 0 and current_cart_hash <> existing.cart_hash then
      raise exception 'This Idempotency-Key was already used with a different cart.' using errcode = 'PT409';
    end if;
    return private.checkout_result(existing.id) || jsonb_build_object('replayed', true);
  end if;

  if line_count = 0 then
    raise exception 'Your cart is empty.' using errcode = 'PT422';
  end if;

  -- Lock the products in id order: concurrent checkouts queue instead of deadlocking.
  select array_agg((p.id, p.business_id, p.name, p.unit, p.price, p.currency, p.status, p.stock_quantity, ci.quantity)::private.checkout_line
                   order by p.id)
  into lines
  from (
    select p.* from public.products p
    where p.id in (select ci.product_id from public.cart_items ci where ci.cart_id = buyer_cart)
    order by p.id
    for update
  ) p
  join public.cart_items ci on ci.cart_id = buyer_cart and ci.product_id = p.id;

  -- Every check in one pass over the locked lines; the first problem is reported. A product
  -- that is no longer approved is named by id only: its current name and status may be an
  -- edit no approver has seen, which the buyer may not read.
  select (array_agg(format('Product %s in your cart is no longer available; remove it to check out.', l.product_id)
                    order by l.product_id)
            filter (where l.status <> 'approved'))[1],
         (array_agg(format('Only %s %s of %s left; your cart has %s.', l.stock, l.unit, l.name, l.quantity) order by l.name)
            filter (where l.stock < l.quantity))[1],
         array_agg(distinct l.currency order by l.currency),
         sum(l.price * l.quantity)
  into unavailable, short, currencies, total
  from unnest(lines) l;
  if coalesce(unavailable, short) is not null then
    raise exception '%', coalesce(unavailable, short) using errcode = 'PT422';
  end if;
  if cardinality(currencies) > 1 then
    raise exception 'Your cart mixes currencies (%); check out one currency at a time.', array_to_string(currencies, ', ')
      using errcode = 'PT422';
  end if;
  -- ClickPesa collects Tanzanian shillings only; M-Pesa (Daraja) collects Kenyan shillings in
  -- whole units (its Amount is an integer).
  if payment_method = 'clickpesa' and currencies[1] <> 'TZS' then
    raise exception 'ClickPesa takes TZS only; your cart is in %.', currencies[1] using errcode = 'PT422';
  end if;
  if payment_method = 'mpesa' and currencies[1] <> 'KES' then
    raise exception 'M-Pesa takes KES only; your cart is in %.', currencies[1] using errcode = 'PT422';
  end if;
  if payment_method = 'mpesa' and total <> trunc(total) then
    raise exception 'M-Pesa takes whole shillings; your total is % KES.', total using errcode = 'PT422';
  end if;

  insert into public.checkouts (user_id, idempotency_key, request_hash, cart_hash, payment_method, total, currency,
                                shipping_address, notes)
  values (buyer, idempotency_key, body_hash, current_cart_hash, payment_method, total, currencies[1], shipping_address, notes)
  returning id into new_checkout;

  -- One order per business, its item snapshots and its first history row, in one statement.
  with placed as (
    insert into public.orders (checkout_id, business_id, customer_id, subtotal, total, currency, shipping_address, notes)
    select new_checkout, l.business_id, buyer, sum(l.price * l.quantity), sum(l.price * l.quantity), currencies[1],
           shipping_address, notes
    from unnest(lines) l group by l.business_id
    returning id, business_id
  ), items as (
    insert into public.order_items (order_id, business_id, product_id, product_name, unit, unit_price, quantity, line_total)
    select o.id, l.business_id, l.product_id, l.name, l.unit, l.price, l.quantity, l.price * l.quantity
    from placed o join unnest(lines) l on l.business_id = o.business_id
  )
  insert into public.order_status_history (order_id, business_id, from_status, to_status, actor_id, note)
  select o.id, o.business_id, null, 'pending_payment', buyer, 'Order placed' from placed o;

  update public.products p set stock_quantity = p.stock_quantity - l.quantity
  from unnest(lines) l where p.id = l.product_id;

  insert into public.payments (checkout_id, provider, amount, currency, phone)
  values (new_checkout, payment_method, total, currencies[1], phone);

  delete from public.cart_items ci where ci.cart_id = buyer_cart;

  return private.checkout_result(new_checkout) || jsonb_build_object('replayed', false);
end;
$$;
revoke all on function private.place_checkout(uuid, text, text, jsonb, text, text) from public;
comment on function private.place_checkout(uuid, text, text, jsonb, text, text) is
  'Checkout in one transaction: products locked in id order, prices from the database, one order per business, stock reserved, cart cleared, the provider''s currency rule checked. The same key replays the stored answer.';

-- Records the provider's session on the checkout's payment; running it twice changes nothing.
create function private.record_payment_session(target uuid, session_ref text, session_url text) returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  -- A checkout undone meanwhile (a concurrent retry whose payment start failed) takes no
  -- session: the caller then withdraws it. One paid already (its event came first) does.
  perform 1 from public.checkouts c where c.id = target and c.status <> 'cancelled' for update;
  if not found then
    raise exception 'Checkout % was cancelled; its payment cannot start.', target using errcode = 'PT409';
  end if;
  update public.payments p set provider_ref = session_ref, redirect_url = session_url
  where p.checkout_id = target and p.provider <> 'manual' and (p.provider_ref is null or p.provider_ref = session_ref);
  if not found then
    raise exception 'Checkout % has no payment waiting for this session.', target using errcode = 'PT409';
  end if;
  return private.checkout_result(target);
end;
$$;
revoke all on function private.record_payment_session(uuid, text, text) from public;

-- An amount in the currency's smallest unit, as the checkout function sends it to Stripe
-- (functions/_shared/payments.ts toMinorUnits; https://docs.stripe.com/currencies#zero-decimal).
create function private.minor_units(amount numeric, currency text) returns bigint
language sql
immutable
set search_path = ''
as $$
  select case
    when upper(currency) in ('BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV',
                             'XAF', 'XOF', 'XPF') then round(amount)::bigint
    else round(amount * 100)::bigint
  end
$$;
revoke all on function private.minor_units(numeric, text) from public;

-- Applies a verified Stripe webhook event once. Returns what happened, for the log.
-- A signature proves only that Stripe sent the event, not that it is about this checkout's
-- payment: anyone can open a Payment Link carrying a checkout's id as client_reference_id and
-- pay 1.00. So an event settles only the session recorded for its checkout (or, before one is
-- recorded, a session whose metadata, which only our checkout function sets, names the same
-- checkout as its reference), and a completion only when Stripe says `paid` for exactly the
-- checkout's amount and currency. Anything else is stored as rejected and changes nothing.
create function private.apply_stripe_event(event_id text, event_type text, payload jsonb) returns text
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  inbox_id uuid;
  session jsonb := payload -> 'data' -> 'object';
  session_id text := payload -> 'data' -> 'object' ->> 'id';
  reference uuid := private.uuid_or_null(payload -> 'data' -> 'object' ->> 'client_reference_id');
  recorded_ref text;
  target uuid;
  checkout_row public.checkouts;
  expected_amount bigint;
  pending_order uuid;
  verdict public.payment_event_status := 'ignored';
  result text;
begin
  insert into public.payment_events (provider, event_id, event_type, payload)
  values ('stripe', event_id, event_type, payload)
  on conflict (provider, event_id) do nothing
  returning id into inbox_id;
  if inbox_id is null then
    return 'duplicate';
  end if;

  if event_type not in ('checkout.session.completed', 'checkout.session.async_payment_succeeded',
                        'checkout.session.expired', 'checkout.session.async_payment_failed') then
    result := 'ignored';
  else
    select p.checkout_id into target from public.payments p
    where p.provider = 'stripe' and p.provider_ref = session_id;
    if target is null and reference is not null then
      -- The event may overtake the recording of its session: then the session's own metadata
      -- must name the checkout its reference names.
      select c.id into target from public.checkouts c where c.id = reference and c.payment_method = 'stripe';
      if target is not null then
        select p.provider_ref into recorded_ref from public.payments p where p.checkout_id = target and p.provider = 'stripe';
        if recorded_ref is not null then
          verdict := 'rejected';
          result := format('rejected: session %s is not the session recorded for checkout %s', coalesce(session_id, '(none)'), target);
        elsif session_id is null or (session -> 'metadata' ->> 'checkout_id') is distinct from target::text then
          verdict := 'rejected';
          result := format('rejected: session %s was not opened by checkout %s (its metadata does not name it)',
                            coalesce(session_id, '(none)'), target);
        end if;
      end if;
    end if;

    if verdict = 'rejected' then
      null;  -- Stored below with the checkout it named, for that checkout's order managers.
    elsif target is null then
      result := 'unknown session';
    else
      select * into checkout_row from public.checkouts c where c.id = target for update;
      if event_type in ('checkout.session.completed', 'checkout.session.async_payment_succeeded') then
        select coalesce(sum(private.minor_units(o.total, o.currency)), 0) into expected_amount
        from public.orders o where o.checkout_id = target;
        if event_type = 'checkout.session.completed' and session ->> 'payment_status' = 'unpaid' then
          -- A delayed method (bank debit): async_payment_succeeded or _failed follows.
          result := 'awaiting payment';
        elsif (session ->> 'payment_status') is distinct from 'paid' then
          verdict := 'rejected';
          result := format('rejected: payment_status is %s, not paid', coalesce(session ->> 'payment_status', 'missing'));
        elsif jsonb_typeof(session -> 'amount_total') is distinct from 'number'
              or (session ->> 'amount_total')::numeric <> expected_amount
              or lower(session ->> 'currency') is distinct from lower(checkout_row.currency) then
          verdict := 'rejected';
          result := format('rejected: amount_total %s %s does not match checkout %s (%s %s, in minor units)',
                            coalesce(session ->> 'amount_total', 'no amount'), coalesce(upper(session ->> 'currency'), 'in no currency'),
                            target, expected_amount, checkout_row.currency);
        elsif checkout_row.status <> 'pending_payment' then
          -- Paid already (a replay in another guise), or cancelled before the money arrived:
          -- the event stays in the inbox for staff to refund.
          result := format('late: checkout is %s', checkout_row.status);
        else
          for pending_order in
            select o.id from public.orders o where o.checkout_id = target and o.status = 'pending_payment' order by o.id
          loop
            perform private.change_order_status(pending_order, 'paid', null, 'Paid by card (Stripe ' || session_id || ')');
          end loop;
          update public.payments p set status = 'succeeded', provider_ref = coalesce(p.provider_ref, session_id)
          where p.checkout_id = target and p.provider = 'stripe';
          verdict := 'applied';
          result := 'paid';
        end if;
      elsif checkout_row.status <> 'pending_payment' then
        result := format('late: checkout is %s', checkout_row.status);
      else
        perform private.cancel_checkout(
          target,
          case when event_type = 'checkout.session.expired' then 'Card payment session expired' else 'Card payment failed' end,
          case when event_type = 'checkout.session.expired' then 'cancelled' else 'failed' end::public.payment_status
        );
        verdict := 'applied';
        result := 'cancelled';
      end if;
    end if;
  end if;
  update public.payment_events e
  set processed_at = now(), status = verdict, outcome = result, checkout_id = target
  where e.id = inbox_id;
  return result;
end;
$$;
revoke all on function private.apply_stripe_event(text, text, jsonb) from public;
comment on function private.apply_stripe_event(text, text, jsonb) is
  'Stores a Stripe event once (provider + event id) and applies it: completion of the checkout''s own session for its exact amount pays the checkout, expiry or failure cancels it. Replays, duplicates and late events change nothing; mismatched ones are stored as rejected.';

-- Reservation expiry: cancels checkouts still unpaid after max_age and restores their stock.
-- Scheduled every minute (pg_cron on a hosted project, the local stack's runner here).
create function private.expire_unpaid_orders(max_age interval default interval '30 minutes') returns int
language plpgsql
set search_path = ''
as $$
declare
  stale uuid;
  expired int := 0;
begin
  if max_age is null or max_age < interval '0' then
    raise exception 'The reservation age must be a positive interval.' using errcode = '22023';
  end if;
  for stale in
    -- SKIP LOCKED: a checkout being paid right now is left for the next run.
    select c.id from public.checkouts c
    where c.status = 'pending_payment' and c.created_at < now() - max_age
      -- A card checkout's Stripe session lives 30 minutes from its creation (Stripe's minimum):
      -- wait 5 minutes more so a payment cannot complete on a checkout already cancelled.
      and (c.payment_method = 'manual' or c.created_at < now() - greatest(max_age, interval '30 minutes') - interval '5 minutes')
    order by c.id
    for update skip locked
  loop
    perform private.cancel_checkout(stale, format('Not paid within %s: reservation expired', max_age));
    expired := expired + 1;
  end loop;
  return expired;
end;
$$;
revoke all on function private.expire_unpaid_orders(interval) from public;

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
-- Written only by the payment webhook (as postgres). Order managers read the events of their
-- business's checkouts: rejected ones (someone tried to pay it with another session or amount)
-- and late ones (money arrived for a cancelled checkout) may need a refund or a look.
create policy "Order managers can read the payment events of their business's checkouts" on public.payment_events
  for select to authenticated
  using (
    checkout_id in (
      select o.checkout_id from public.orders o
      where o.business_id = any ((select private.business_ids_with_permission('orders.manage'))::uuid[])
    )
  );

-- ============================================================================
-- RPCs
-- ============================================================================
-- SECURITY DEFINER: customers may not write carts or cart lines directly; this is the checked way in.
create function public.add_to_cart(product_id uuid, quantity int default 1) returns public.cart_items
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  caller uuid := private.require_user();
  buyer_cart uuid;
  product public.products;
  line public.cart_items;
begin
  if quantity is null or quantity not between 1 and 1000 then
    raise exception 'The quantity must be between 1 and 1000 (got %).', quantity using errcode = '22023';
  end if;
  select * into product from public.products p where p.id = add_to_cart.product_id;
  -- A product the caller cannot see (another business's unapproved one) answers exactly as a
  -- missing one: neither its name nor its status leaks.
  if not found or not (
    product.status = 'approved' or product.business_id = any (private.business_ids_with_permission('products.read'))
  ) then
    raise exception 'No product has id %.', product_id using errcode = 'PT404';
  end if;
  if product.status <> 'approved' then
    raise exception '% is not available (it is %).', product.name, product.status using errcode = 'PT422';
  end if;
  insert into public.carts (user_id) values (caller) on conflict (user_id) do update set updated_at = now()
  returning id into buyer_cart;
  insert into public.cart_items as ci (cart_id, product_id, quantity)
  values (buyer_cart, add_to_cart.product_id, add_to_cart.quantity)
  on conflict (cart_id, product_id) do update set quantity = ci.quantity + excluded.quantity
  where ci.quantity + excluded.quantity <= 1000
  returning * into line;
  if line.id is null then
    raise exception 'A cart line holds at most 1000 of %.', product.name using errcode = 'PT422';
  end if;
  return line;
end;
$$;
revoke all on function public.add_to_cart(uuid, int) from public;
grant execute on function public.add_to_cart(uuid, int) to authenticated, service_role;

create function public.clear_cart() returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.require_user();
  -- As the caller: the delete policy keeps it to their own cart.
  delete from public.cart_items ci
  where ci.cart_id in (select c.id from public.carts c where c.user_id = auth.uid());
end;
$$;
revoke all on function public.clear_cart() from public;
grant execute on function public.clear_cart() to authenticated, service_role;

-- SECURITY DEFINER: orders, history, stock and payments are written by no client; the function
-- checks orders.manage from data first. Staff's update to `refunded` is a refund of what is left
-- (the money goes back, not only the status).
create function public.update_order_status(order_id uuid, status public.order_status, note text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.orders;
  payment_method text;
begin
  target := private.managed_order(order_id, 'Changing an order''s status');
  select c.payment_method into payment_method from public.checkouts c where c.id = target.checkout_id;
  if status = 'paid' and payment_method <> 'manual' then
    raise exception 'Order % is paid through %: the provider confirms the payment, not staff.', order_id, payment_method
      using errcode = 'PT422';
  end if;
  perform private.refuse_cancelling_open_card_payment(target, status);
  if status = 'refunded' and private.order_transition_allowed(target.status, 'refunded') then
    perform private.create_refund(order_id, null, note, auth.uid(), null);
    return;
  end if;
  perform private.change_order_status(order_id, status, auth.uid(), note);
end;
$$;
revoke all on function public.update_order_status(uuid, public.order_status, text) from public;
grant execute on function public.update_order_status(uuid, public.order_status, text) to authenticated, service_role;

-- SECURITY DEFINER: the customer may cancel, but writes no order, history or stock directly.
create function public.cancel_order(order_id uuid, reason text default null) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.orders;
begin
  -- Locked (checkout, then order) before the state is checked, so a concurrent change cannot slip in.
  perform 1 from public.checkouts c
  where c.id = (select o.checkout_id from public.orders o where o.id = cancel_order.order_id and o.customer_id = auth.uid())
  for update;
  select * into target from public.orders o where o.id = cancel_order.order_id and o.customer_id = auth.uid() for update;
  if not found then
    raise exception 'You have no order with id %.', order_id using errcode = 'PT404';
  end if;
  if target.status not in ('pending_payment', 'paid') then
    raise exception 'Order % is %: only orders waiting for payment or paid can be cancelled.', order_id, target.status
      using errcode = 'PT409';
  end if;
  perform private.refuse_cancelling_open_card_payment(target, 'cancelled');
  perform private.change_order_status(order_id, 'cancelled', auth.uid(), coalesce(reason, 'Cancelled by the customer'));
end;
$$;
revoke all on function public.cancel_order(uuid, text) from public;
grant execute on function public.cancel_order(uuid, text) to authenticated, service_role;

-- ============================================================================
-- Refunds and late payments
-- ============================================================================
create type public.refund_status as enum ('pending', 'succeeded', 'failed', 'to_pay_out', 'paid_out');
comment on type public.refund_status is
  'Card refunds: pending (to send to Stripe), succeeded, failed. Mobile money and manual payments: to_pay_out (staff must send the money back; B2C payouts are not automated), paid_out.';

create table public.refunds (
  id uuid primary key default gen_random_uuid(),
  checkout_id uuid not null references public.checkouts (id) on delete restrict,
  -- The order refunded (a partial refund of one order of a multi-business checkout), or null for
  -- a late payment: money that arrived for a checkout already cancelled, returned whole.
  order_id uuid,
  business_id uuid,
  payment_id uuid not null references public.payments (id) on delete restrict,
  provider text not null check (provider in ('manual', 'stripe', 'clickpesa', 'mpesa')),
  kind text not null check (kind in ('order', 'late_payment')),
  amount numeric(12, 2) not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  reason text check (char_length(reason) <= 2000),
  status public.refund_status not null,
  -- Stripe's refund id once sent (its idempotency key is 'refund-' || id).
  provider_ref text,
  failure text check (char_length(failure) <= 2000),
  -- The caller's Idempotency-Key: the same key on the same order answers the same refund.
  idempotency_key text check (char_length(idempotency_key) between 8 and 200),
  requested_by uuid references auth.users (id) on delete set null,
  paid_out_by uuid references auth.users (id) on delete set null,
  paid_out_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (order_id, business_id) references public.orders (id, business_id) on delete restrict,
  check ((kind = 'order') = (order_id is not null) and (order_id is null) = (business_id is null)),
  check ((provider = 'stripe') = (status in ('pending', 'succeeded', 'failed'))),
  unique (order_id, idempotency_key)
);
comment on table public.refunds is
  'Money owed back: refunds of paid orders (partial or whole, per order) and late payments for cancelled checkouts. Card refunds go through Stripe; mobile-money and manual ones are paid out by staff.';

create unique index refunds_one_late_payment_idx on public.refunds (payment_id) where kind = 'late_payment';
create index refunds_order_idx on public.refunds (order_id, business_id);
create index refunds_checkout_idx on public.refunds (checkout_id);
create index refunds_pending_card_idx on public.refunds (created_at) where status = 'pending';
create index refunds_requested_by_idx on public.refunds (requested_by);
create index refunds_paid_out_by_idx on public.refunds (paid_out_by);

create trigger set_updated_at before update on public.refunds
  for each row execute function private.set_updated_at();

alter table public.refunds enable row level security;

create policy "Customers read their refunds and members those of their business's checkouts" on public.refunds
  for select to authenticated
  using (
    checkout_id in (select c.id from public.checkouts c where c.user_id = (select auth.uid()))
    or business_id = any ((select private.business_ids_with_permission('orders.read'))::uuid[])
    or (order_id is null and checkout_id in (
      select o.checkout_id from public.orders o
      where o.business_id = any ((select private.business_ids_with_permission('orders.read'))::uuid[])
    ))
  );

grant select on public.refunds to authenticated, service_role;

-- Records a refund of `amount` (null: what is left) of one paid order, under the checkout's lock.
-- A refund of what is left ends the order `refunded` (allowed from paid and delivered); a partial
-- one leaves its status. Card refunds wait for the refunds function or the sweep to reach Stripe.
create function private.create_refund(target uuid, amount numeric, reason text, actor uuid, idempotency_key text)
returns public.refunds
language plpgsql
set search_path = ''
as $$
#variable_conflict use_variable
declare
  target_order public.orders;
  payment public.payments;
  existing public.refunds;
  refunded numeric(12, 2);
  remaining numeric(12, 2);
  refund public.refunds;
begin
  perform 1 from public.checkouts c where c.id = (select o.checkout_id from public.orders o where o.id = target) for update;
  select * into target_order from public.orders o where o.id = target for update;
  if not found then
    raise exception 'No order has id %.', target using errcode = 'PT404';
  end if;
  if idempotency_key is not null then
    select * into existing from public.refunds r where r.order_id = target and r.idempotency_key = create_refund.idempotency_key;
    if found then
      if amount is not null and existing.amount <> amount then
        raise exception 'This Idempotency-Key was already used for a refund of % %.', existing.amount, existing.currency using errcode = 'PT409';
      end if;
      return existing;
    end if;
  end if;
  if target_order.status not in ('paid', 'processing', 'shipped', 'delivered') then
    raise exception 'Order % is %: only paid orders are refunded.', target, target_order.status using errcode = 'PT409';
  end if;
  select * into payment from public.payments p where p.checkout_id = target_order.checkout_id order by p.created_at limit 1;
  select coalesce(sum(r.amount), 0) into refunded from public.refunds r where r.order_id = target and r.status <> 'failed';
  remaining := target_order.total - refunded;
  amount := coalesce(amount, remaining);
  if amount <= 0 then
    raise exception 'Nothing is left to refund on order % (% % refunded already).', target, refunded, target_order.currency using errcode = 'PT422';
  end if;
  if amount > remaining then
    raise exception 'Order % has % % left to refund, not %.', target, remaining, target_order.currency, amount using errcode = 'PT422';
  end if;
  if amount = remaining and target_order.status not in ('paid', 'delivered') then
    raise exception 'Order % is %: refund part of it, or cancel or deliver it before refunding the rest.', target, target_order.status
      using errcode = 'PT422';
  end if;
  insert into public.refunds (checkout_id, order_id, business_id, payment_id, provider, kind, amount, currency, reason, status,
                              idempotency_key, requested_by)
  values (target_order.checkout_id, target, target_order.business_id, payment.id, payment.provider, 'order', amount,
          target_order.currency, reason, case when payment.provider = 'stripe' then 'pending' else 'to_pay_out' end::public.refund_status,
          idempotency_key, actor)
  returning * into refund;
  if amount = remaining then
    perform private.change_order_status(target, 'refunded', actor, coalesce(reason, 'Refunded'));
  end if;
  return refund;
end;
$$;
revoke all on function private.create_refund(uuid, numeric, text, uuid, text) from public;

-- SECURITY DEFINER: refunds and order statuses are written by no client; orders.manage is checked from data first.
create function public.refund_order(order_id uuid, amount numeric default null, reason text default null,
                                    idempotency_key text default null)
returns public.refunds
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.managed_order(order_id, 'Refunding an order');
  if char_length(reason) > 2000 then
    raise exception 'The reason is longer than 2000 characters.' using errcode = '22023';
  end if;
  if amount is not null and (amount <= 0 or amount <> round(amount, 2)) then
    raise exception 'The amount must be positive, with at most two decimals.' using errcode = '22023';
  end if;
  return private.create_refund(order_id, amount, reason, auth.uid(), idempotency_key);
end;
$$;
revoke all on function public.refund_order(uuid, numeric, text, text) from public;
grant execute on function public.refund_order(uuid, numeric, text, text) to authenticated, service_role;
comment on function public.refund_order(uuid, numeric, text, text) is
  'Refunds a paid order, whole (amount null) or in part: card payments through Stripe (the refunds function sends it), mobile money and manual payments recorded for staff to pay out.';

-- SECURITY DEFINER: refunds are written by no client; orders.manage is checked from data first.
create function public.mark_refund_paid_out(refund_id uuid, note text default null) returns public.refunds
language plpgsql
security definer
set search_path = ''
as $$
declare
  refund public.refunds;
begin
  select * into refund from public.refunds r where r.id = refund_id for update;
  if not found or not exists (
    select 1 from public.orders o
    where o.checkout_id = refund.checkout_id and (refund.business_id is null or o.business_id = refund.business_id)
      and o.business_id = any (private.business_ids_with_permission('orders.manage'))
  ) then
    raise exception 'No refund you manage has id %.', refund_id using errcode = 'PT404';
  end if;
  if refund.status <> 'to_pay_out' then
    raise exception 'Refund % is %: only refunds to pay out are marked paid out.', refund_id, refund.status using errcode = 'PT409';
  end if;
  if char_length(note) > 2000 then
    raise exception 'The note is longer than 2000 characters.' using errcode = '22023';
  end if;
  update public.refunds r
  set status = 'paid_out', paid_out_by = auth.uid(), paid_out_at = now(),
      reason = coalesce(r.reason || E'\n', '') || coalesce('Paid out: ' || note, 'Paid out')
  where r.id = refund_id
  returning * into refund;
  return refund;
end;
$$;
revoke all on function public.mark_refund_paid_out(uuid, text) from public;
grant execute on function public.mark_refund_paid_out(uuid, text) to authenticated, service_role;

-- Stripe's answer to a card refund, recorded by the refunds function or the sweep.
create function private.record_refund_result(refund_id uuid, stripe_refund_id text, succeeded boolean, failure text)
returns public.refunds
language sql
set search_path = ''
as $$
  update public.refunds r
  set status = case when succeeded then 'succeeded' else 'failed' end::public.refund_status,
      provider_ref = coalesce(stripe_refund_id, r.provider_ref), failure = left(record_refund_result.failure, 2000)
  where r.id = refund_id and r.status = 'pending'
  returning *
$$;
revoke all on function private.record_refund_result(uuid, text, boolean, text) from public;

-- Card refunds not yet sent to Stripe, oldest first, with what Stripe needs to send them.
create function private.pending_card_refunds(max_rows int, only_refund uuid default null)
returns table (refund_id uuid, session_id text, amount bigint, currency text, payment_intent text)
language sql
stable
set search_path = ''
as $$
  select r.id, p.provider_ref, private.minor_units(r.amount, r.currency), r.currency,
         (select e.payload -> 'data' -> 'object' ->> 'payment_intent' from public.payment_events e
          where e.provider = 'stripe' and e.payload -> 'data' -> 'object' ->> 'id' = p.provider_ref
            and e.payload -> 'data' -> 'object' ->> 'payment_intent' is not null
          order by e.created_at limit 1)
  from public.refunds r join public.payments p on p.id = r.payment_id
  where r.status = 'pending' and (only_refund is null or r.id = only_refund)
  order by r.created_at
  limit max_rows
$$;
revoke all on function private.pending_card_refunds(int, uuid) from public;

-- Money that arrived for a checkout already cancelled is never kept: recorded once per payment as
-- a late payment, refunded through Stripe (card) or listed for the businesses' staff to pay out.
create function private.record_late_payment(target uuid, provider text) returns public.refunds
language plpgsql
set search_path = ''
as $$
declare
  payment public.payments;
  checkout_row public.checkouts;
  refund public.refunds;
begin
  select * into checkout_row from public.checkouts c where c.id = target;
  select * into payment from public.payments p where p.checkout_id = target and p.provider = record_late_payment.provider
  order by p.created_at limit 1;
  if payment.id is null then
    return null;
  end if;
  insert into public.refunds (checkout_id, payment_id, provider, kind, amount, currency, reason, status)
  values (target, payment.id, provider, 'late_payment', checkout_row.total, checkout_row.currency,
          'Paid after the checkout was cancelled',
          case when provider = 'stripe' then 'pending' else 'to_pay_out' end::public.refund_status)
  on conflict (payment_id) where kind = 'late_payment' do nothing
  returning * into refund;
  return refund;
end;
$$;
revoke all on function private.record_late_payment(uuid, text) from public;

-- ============================================================================
-- Grants
-- ============================================================================
grant select on public.carts to authenticated;
grant select, delete on public.cart_items to authenticated;
grant update (quantity) on public.cart_items to authenticated;
grant select on public.checkouts, public.orders, public.order_items, public.order_status_history, public.payments,
  public.payment_events to authenticated;

-- Not ALL (TRUNCATE would skip the row triggers), and the order history stays append-only
-- even for the service key: only the order functions (as postgres) write it.
grant select, insert, update, delete on public.carts, public.cart_items, public.checkouts, public.orders,
  public.order_items, public.payments, public.payment_events to service_role;
grant select on public.order_status_history to service_role;

-- ============================================================================
-- Schedules
-- ============================================================================
-- Reservation expiry every minute, where pg_cron exists (see private.schedule_job). Elsewhere
-- call private.expire_unpaid_orders() from any scheduler.
select private.schedule_job('expire-unpaid-orders', '* * * * *', 'select private.expire_unpaid_orders()');
