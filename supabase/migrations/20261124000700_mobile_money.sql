-- Mobile money: ClickPesa (Tanzania, USSD push) and M-Pesa Daraja (Kenya, STK push) behind the
-- payment provider interface, and the status sweep for lost callbacks. The payment methods,
-- the payer's phone and each provider's currency rule are part of checkout (commerce), refunds
-- and late payments too; SMS is a channel of the notifications outbox. docs/payments.md
-- describes the flows and the decisions.
--
-- Mobile-money payments settle only through private.apply_mobile_payment, called by the
-- payment webhook and the status sweep after the provider itself confirmed the payment.

-- ============================================================================
-- Confirmed payments
-- ============================================================================
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

