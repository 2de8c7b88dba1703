-- Mobile money (ClickPesa for Tanzania, M-Pesa Daraja STK push for Kenya) behind the payment
-- provider interface, the status sweep for lost callbacks, refunds, late payments, and SMS as a
-- second notification channel. docs/payments.md describes the flows and the decisions.
--
-- Mobile-money payments settle only through private.apply_mobile_payment, called by the
-- payment webhook and the status sweep after the provider itself confirmed the payment.

-- ============================================================================
-- Payments: mobile-money methods and columns
-- ============================================================================
alter table public.checkouts drop constraint checkouts_payment_method_check;
alter table public.checkouts add constraint checkouts_payment_method_check
  check (payment_method in ('manual', 'stripe', 'clickpesa', 'mpesa'));

alter table public.payments drop constraint payments_provider_check;
alter table public.payments add constraint payments_provider_check
  check (provider in ('manual', 'stripe', 'clickpesa', 'mpesa'));
alter table public.payments
  add column phone text check (phone ~ '^[1-9][0-9]{8,14}$'),
  add column receipt text check (char_length(receipt) <= 100);
comment on column public.payments.phone is
  'Mobile money: the paying number, digits with the country code first (255…, 254…), as the providers take it.';
comment on column public.payments.receipt is
  'The provider''s receipt once paid (M-Pesa MpesaReceiptNumber, ClickPesa paymentReference).';
comment on column public.payments.provider_ref is
  'The provider''s id for this payment: a Stripe Checkout Session id, a ClickPesa orderReference, an M-Pesa CheckoutRequestID; null until started.';
create index payments_open_mobile_idx on public.payments (created_at)
  where status in ('pending', 'cancelled') and provider in ('clickpesa', 'mpesa');

drop function private.place_checkout(uuid, text, text, jsonb, text);

-- place_checkout again, with mobile money: the payer's phone (digits, country code first, as the
-- checkout function normalised it) and each provider's currency rule. The 5-argument version is
-- dropped above: one function, the phone defaulting to none.
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

-- A USSD or STK push cannot be withdrawn once sent, like a Stripe session: cancelling one order
-- of such a checkout while the push is open would let the customer pay for a cancelled order.
create or replace function private.refuse_cancelling_open_card_payment(target public.orders, new_status public.order_status)
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

-- Applies what a mobile-money provider confirmed about one payment, once per (provider,
-- event_id): the payment webhook passes the callback (event_id: ClickPesa's payment id, M-Pesa's
-- CheckoutRequestID) and the status sweep its own query ('status:' || reference). The caller has
-- asked the provider's status endpoint first: `confirmed_*` are the provider's answer, `claimed_*`
-- what the callback said. Settles only the payment recorded under `payment_ref`, only when the
-- provider says it succeeded for exactly the checkout's amount and currency and the callback
-- claims no other; anything else is stored as rejected or ignored and changes nothing.
create function private.apply_mobile_payment(
  provider text,
  event_id text,
  event_type text,
  payload jsonb,
  payment_ref text,
  claimed_amount numeric,
  claimed_currency text,
  confirmed_status text,
  confirmed_amount numeric,
  confirmed_currency text,
  receipt text,
  reason text
) returns text
language plpgsql
set search_path = ''
as $$
#variable_conflict use_variable
declare
  inbox_id uuid;
  target uuid;
  checkout_row public.checkouts;
  amount numeric;
  pending_order uuid;
  verdict public.payment_event_status := 'ignored';
  result text;
begin
  if provider not in ('clickpesa', 'mpesa') then
    raise exception 'Not a mobile-money provider: %.', provider using errcode = '22023';
  end if;
  if confirmed_status is null or confirmed_status not in ('succeeded', 'failed', 'pending', 'unknown') then
    raise exception 'The confirmed status must be succeeded, failed, pending or unknown.' using errcode = '22023';
  end if;
  insert into public.payment_events (provider, event_id, event_type, payload)
  values (provider, event_id, event_type, payload)
  on conflict on constraint payment_events_provider_event_id_key do nothing
  returning id into inbox_id;
  if inbox_id is null then
    return 'duplicate';
  end if;

  select p.checkout_id into target from public.payments p
  where p.provider = apply_mobile_payment.provider and p.provider_ref = payment_ref;
  if target is null then
    result := 'unknown payment';
  else
    select * into checkout_row from public.checkouts c where c.id = target for update;
    amount := coalesce(confirmed_amount, claimed_amount);
    if claimed_amount is not null and (claimed_amount <> checkout_row.total
                                       or coalesce(claimed_currency, checkout_row.currency) <> checkout_row.currency) then
      verdict := 'rejected';
      result := format('rejected: the callback claims %s %s, checkout %s is %s %s', claimed_amount,
                       coalesce(claimed_currency, ''), target, checkout_row.total, checkout_row.currency);
    elsif confirmed_status = 'unknown' then
      verdict := 'rejected';
      result := format('rejected: %s knows no payment %s for reference %s', provider, event_id, payment_ref);
    elsif confirmed_status = 'pending' then
      result := 'awaiting: the provider still reports the payment pending';
    elsif confirmed_status = 'succeeded' and (amount is null or amount <> checkout_row.total
                                              or coalesce(confirmed_currency, checkout_row.currency) <> checkout_row.currency) then
      verdict := 'rejected';
      result := format('rejected: %s %s paid, checkout %s is %s %s', coalesce(amount::text, 'no amount'),
                       coalesce(confirmed_currency, ''), target, checkout_row.total, checkout_row.currency);
    elsif checkout_row.status = 'paid' then
      result := 'already paid';
    elsif checkout_row.status = 'cancelled' then
      -- Money that arrived for a cancelled checkout is listed for staff to pay back (public.refunds).
      if confirmed_status = 'succeeded' then
        perform private.record_late_payment(target, provider);
      end if;
      result := format('late: %s after checkout was cancelled', case when confirmed_status = 'succeeded' then 'paid' else 'failed' end);
    elsif confirmed_status = 'succeeded' then
      for pending_order in
        select o.id from public.orders o where o.checkout_id = target and o.status = 'pending_payment' order by o.id
      loop
        perform private.change_order_status(pending_order, 'paid', null,
          format('Paid by %s (%s)', case provider when 'mpesa' then 'M-Pesa' else 'ClickPesa' end, coalesce(receipt, payment_ref)));
      end loop;
      update public.payments p set status = 'succeeded', receipt = apply_mobile_payment.receipt
      where p.checkout_id = target and p.provider = apply_mobile_payment.provider;
      verdict := 'applied';
      result := 'paid';
    else
      perform private.cancel_checkout(target, left('Mobile-money payment failed: ' || coalesce(reason, 'no reason given'), 2000), 'failed');
      verdict := 'applied';
      result := 'cancelled';
    end if;
  end if;
  update public.payment_events e
  set processed_at = now(), status = verdict, outcome = result, checkout_id = target
  where e.id = inbox_id;
  return result;
end;
$$;
revoke all on function private.apply_mobile_payment(text, text, text, jsonb, text, numeric, text, text, numeric, text, text, text) from public;
comment on function private.apply_mobile_payment(text, text, text, jsonb, text, numeric, text, text, numeric, text, text, text) is
  'Stores a mobile-money callback or status answer once (provider + event id) and applies what the provider confirmed: success for the checkout''s exact amount pays it, failure cancels it. Duplicates, late and mismatched results change nothing; mismatched ones are stored as rejected.';

-- Whether the inbox already holds an event (the webhook skips the provider's status query for a
-- replay). Reading it is only a shortcut: apply_mobile_payment decides duplicates itself.
create function private.payment_event_seen(provider text, event_id text) returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (select 1 from public.payment_events e
                 where e.provider = payment_event_seen.provider and e.event_id = payment_event_seen.event_id)
$$;
revoke all on function private.payment_event_seen(text, text) from public;

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
declare
  target public.orders;
begin
  select * into target from public.orders o where o.id = refund_order.order_id;
  if not found
     or not (target.customer_id = auth.uid()
             or target.business_id = any (private.business_ids_with_permission('orders.read'))) then
    raise exception 'No order has id %.', order_id using errcode = 'PT404';
  end if;
  if not target.business_id = any (private.business_ids_with_permission('orders.manage')) then
    raise exception 'Refunding an order needs the orders.manage permission in its business.' using errcode = '42501';
  end if;
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

-- Staff's update to `refunded` is a refund of what is left (the money goes back, not only the status).
create or replace function public.update_order_status(order_id uuid, status public.order_status, note text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  target public.orders;
  payment_method text;
begin
  select * into target from public.orders o where o.id = update_order_status.order_id;
  if not found
     or not (target.customer_id = auth.uid()
             or target.business_id = any (private.business_ids_with_permission('orders.read'))) then
    raise exception 'No order has id %.', order_id using errcode = 'PT404';
  end if;
  if not target.business_id = any (private.business_ids_with_permission('orders.manage')) then
    raise exception 'Changing an order''s status needs the orders.manage permission in its business.' using errcode = '42501';
  end if;
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

-- ============================================================================
-- Status sweep: mobile-money payments whose callback was lost
-- ============================================================================
-- The mobile-money payments to ask their provider about: those still pending `min_age` after they
-- started (a lost callback), and those whose checkout expired meanwhile without any word from
-- the provider, for a day (money approved after the expiry is then listed as late, not lost).
-- No lock: a result the sweep applies is stored once under 'status:' || reference, and one a
-- callback applied meanwhile changes nothing twice.
create function private.pending_mobile_payments(min_age interval, max_rows int)
returns table (checkout_id uuid, provider text, provider_ref text, amount numeric, currency text)
language sql
stable
set search_path = ''
as $$
  select p.checkout_id, p.provider, p.provider_ref, p.amount, p.currency
  from public.payments p
  join public.checkouts c on c.id = p.checkout_id
  where p.provider in ('clickpesa', 'mpesa') and p.status in ('pending', 'cancelled') and p.provider_ref is not null
    and p.created_at < now() - min_age
    and (
      (p.status = 'pending' and c.status = 'pending_payment')
      or (p.status = 'cancelled' and c.status = 'cancelled' and p.created_at > now() - interval '1 day'
          and not exists (select 1 from public.payment_events e where e.checkout_id = c.id))
    )
  order by p.created_at
  limit max_rows
$$;
revoke all on function private.pending_mobile_payments(interval, int) from public;
comment on function private.pending_mobile_payments(interval, int) is
  'Mobile-money payments still pending after min_age, for the status sweep (payment-status) to confirm with their provider.';

-- The sweep: asks payment-status (body {}) to query the providers.
create function private.request_payment_status_sweep() returns bigint
language sql
set search_path = ''
as $$
  select private.call_function('payment-status', '{}'::jsonb, 60000)
$$;
revoke all on function private.request_payment_status_sweep() from public;

-- Every minute where pg_cron exists (hosted projects; the local stack runs its stand-in).
select private.schedule_job('payment-status-sweep', '* * * * *', 'select private.request_payment_status_sweep()');

-- ============================================================================
-- SMS: profiles' phone and language, notification preferences, the outbox's channel
-- ============================================================================
-- A profile's phone is E.164 (+ and 8 to 15 digits, country code first): the form Beem's
-- dest_addr is made from. Sign-up metadata is not verified, so a number in another form is
-- left out at insert rather than failing the sign-up; an update in another form is refused.
create function private.normalise_profile_phone() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.phone := nullif(regexp_replace(coalesce(new.phone, ''), '[\s().-]', '', 'g'), '');
  if new.phone !~ '^\+[1-9][0-9]{7,14}$' then
    new.phone := null;
  end if;
  return new;
end;
$$;
revoke all on function private.normalise_profile_phone() from public;

update public.profiles set phone = null where phone !~ '^\+[1-9][0-9]{7,14}$';
alter table public.profiles add constraint profiles_phone_e164 check (phone ~ '^\+[1-9][0-9]{7,14}$');
alter table public.profiles add column language text not null default 'sw' check (language in ('sw', 'en'));
comment on column public.profiles.phone is 'E.164 (+255712345678): where SMS notifications go when the preferences ask for them.';
comment on column public.profiles.language is 'The language of SMS notifications: sw (Kiswahili, the default) or en.';
grant update (language) on public.profiles to authenticated;

create trigger normalise_profile_phone before insert on public.profiles
  for each row execute function private.normalise_profile_phone();

create table public.notification_preferences (
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  kind public.notification_kind not null check (kind in (
    'order_placed_customer', 'order_paid', 'order_shipped', 'order_delivered', 'order_cancelled', 'order_refunded'
  )),
  channel text not null check (channel in ('email', 'sms', 'both', 'none')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (user_id, kind)
);
comment on table public.notification_preferences is
  'How a customer gets each order update: email, sms, both or none. No row: the default (private.notification_channel).';

create trigger set_updated_at before update on public.notification_preferences
  for each row execute function private.set_updated_at();

alter table public.notification_preferences enable row level security;
create policy "Users can read their own notification preferences" on public.notification_preferences
  for select to authenticated using (user_id = (select auth.uid()));
create policy "Users can add their own notification preferences" on public.notification_preferences
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "Users can change their own notification preferences" on public.notification_preferences
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy "Users can remove their own notification preferences" on public.notification_preferences
  for delete to authenticated using (user_id = (select auth.uid()));

grant select, insert, delete on public.notification_preferences to authenticated;
grant update (channel) on public.notification_preferences to authenticated;
grant select, insert, update, delete on public.notification_preferences to service_role;

-- The channel of one kind for one user: their choice, else the default: payment, shipping and
-- delivery by e-mail and SMS when the profile has a phone, everything else by e-mail.
create function private.notification_channel(target_user uuid, kind public.notification_kind) returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select np.channel from public.notification_preferences np where np.user_id = target_user and np.kind = notification_channel.kind),
    case when notification_channel.kind in ('order_paid', 'order_shipped', 'order_delivered')
              and exists (select 1 from public.profiles p where p.id = target_user and p.phone is not null)
         then 'both' else 'email' end
  )
$$;
revoke all on function private.notification_channel(uuid, public.notification_kind) from public;

-- The outbox's channel: e-mails as before, SMS to the profile's phone (Beem).
alter table private.notifications add column channel text not null default 'email' check (channel in ('email', 'sms'));
alter table private.notifications drop constraint notifications_recipient_check;
alter table private.notifications add constraint notifications_recipient_check check (
  (channel = 'email' and recipient ~ '^[^@\s]+@[^@\s]+$' and char_length(recipient) <= 320)
  or (channel = 'sms' and recipient ~ '^[1-9][0-9]{7,14}$')
);
comment on column private.notifications.channel is 'email (Resend) or sms (Beem; recipient in international digits, 255…).';
comment on table private.notifications is 'Outbox of e-mails and SMS queued by triggers and delivered by the send-notifications function. Not in the Data API: only the service connection reads it.';

-- Queues a customer's order update on the channels they chose (e-mail and/or SMS in their
-- language). An SMS dedupes on its own key, so each event sends at most one of each.
create function private.queue_customer_notification(kind public.notification_kind, target_user uuid, payload jsonb, dedupe_key text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  channel text := private.notification_channel(target_user, kind);
  profile public.profiles;
begin
  if channel in ('email', 'both') then
    perform private.queue_notification(kind, private.user_email(target_user), payload, dedupe_key);
  end if;
  if channel in ('sms', 'both') then
    select * into profile from public.profiles p where p.id = target_user;
    if profile.phone is not null then
      insert into private.notifications (kind, channel, recipient, payload, dedupe_key)
      values (queue_customer_notification.kind, 'sms', substr(profile.phone, 2),
              queue_customer_notification.payload || jsonb_build_object('language', profile.language),
              'sms:' || queue_customer_notification.dedupe_key)
      on conflict on constraint notifications_dedupe_key_key do nothing;
    end if;
  end if;
end;
$$;
revoke all on function private.queue_customer_notification(public.notification_kind, uuid, jsonb, text) from public;

-- SECURITY DEFINER: reads recipients' addresses in auth.users, which the API roles cannot read.
create or replace function private.queue_order_placed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  summary jsonb := private.order_summary(new.id);
  business_recipient text;
begin
  perform private.queue_customer_notification('order_placed_customer', new.customer_id, summary,
                                              format('order_placed_customer:%s', new.id));
  for business_recipient in select distinct r from private.business_order_recipients(new.business_id) r loop
    perform private.queue_notification('order_placed_business', business_recipient, summary,
                                       format('order_placed_business:%s:%s', new.id, lower(business_recipient)));
  end loop;
  return null;
end;
$$;

-- SECURITY DEFINER: reads the customer's address in auth.users, which the API roles cannot read.
create or replace function private.queue_order_status_changed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  kind public.notification_kind := case new.status
    when 'paid' then 'order_paid' when 'shipped' then 'order_shipped' when 'delivered' then 'order_delivered'
    when 'cancelled' then 'order_cancelled' when 'refunded' then 'order_refunded'
  end;
begin
  if kind is not null then
    perform private.queue_customer_notification(kind, new.customer_id,
                                                private.order_summary(new.id) || jsonb_build_object('previous_status', old.status),
                                                format('%s:%s', kind, new.id));
  end if;
  return null;
end;
$$;

-- Claims as before, of the given channels only (a channel whose provider is not configured stays
-- queued). Beem takes no idempotency key: an SMS whose lease expired mid-send may have gone out,
-- so it is dead-lettered rather than sent again (at most once; an e-mail is retried, Resend's
-- idempotency key making it exactly once).
drop function private.claim_notifications(int, int, uuid[]);
create function private.claim_notifications(batch_size int, lease_seconds int, only_ids uuid[] default null,
                                            channels text[] default array['email', 'sms'])
returns setof private.notifications
language plpgsql
set search_path = ''
as $$
begin
  if batch_size is null or batch_size not between 1 and 500 then
    raise exception 'batch_size must be between 1 and 500, got %', batch_size using errcode = '22023';
  end if;
  if lease_seconds is null or lease_seconds not between 1 and 3600 then
    raise exception 'lease_seconds must be between 1 and 3600, got %', lease_seconds using errcode = '22023';
  end if;
  update private.notifications n
  set status = 'dead', locked_until = null,
      last_error = 'The send was interrupted and Beem cannot tell whether it went out: not sent again.'
  where n.channel = 'sms' and n.status = 'sending' and n.locked_until < now()
    and (only_ids is null or n.id = any (only_ids));
  -- SKIP LOCKED: concurrent senders each take different rows, and none waits for another.
  return query
  update private.notifications n
  set status = 'sending',
      attempts = n.attempts + 1,
      locked_until = now() + make_interval(secs => lease_seconds)
  where n.id in (
    select c.id from private.notifications c
    where ((c.status = 'pending' and c.next_attempt_at <= now()) or (c.status = 'sending' and c.locked_until < now()))
      and (only_ids is null or c.id = any (only_ids))
      and c.channel = any (channels)
    order by coalesce(c.locked_until, c.next_attempt_at), c.id
    limit batch_size
    for update skip locked
  )
  returning n.*;
end;
$$;
revoke all on function private.claim_notifications(int, int, uuid[], text[]) from public;
comment on function private.claim_notifications(int, int, uuid[], text[]) is
  'Claims up to batch_size due messages of the given channels (or expired e-mail leases) under a lease and counts the attempt. Only the listed ids when given. SMS whose lease expired are dead-lettered, not resent.';
