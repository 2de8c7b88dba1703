-- Benchmark data for support tickets, on top of sql/bench/tenancy.sql (1,000 businesses with 10
-- members each, users 1..10,000): 1,000,000 tickets, business 500 with 10,000 of them opened
-- over the last 30 days and the others with 990 or 991 over a year; two comments per ticket
-- (the customer's, and the staff reply when answered) and a status history row per ticket
-- that moved. Deterministic: every choice comes from a hash of (business, number). Run as
-- supabase_admin.
create schema if not exists bench;

create or replace function bench.business_id(b int) returns uuid
language sql immutable as $$ select ('10000000-0000-0000-0000-' || lpad(to_hex(b), 12, '0'))::uuid $$;

create or replace function bench.user_id(u int) returns uuid
language sql immutable as $$ select ('00000000-0000-0000-0000-' || lpad(to_hex(u), 12, '0'))::uuid $$;

-- sql/bench/tenancy.sql: member 1 of business b (user (b - 1) * 10 + 1) is its approver.
create or replace function bench.approver_of(business uuid) returns uuid
language sql immutable as $$
  select bench.user_id(((('x' || right(business::text, 12))::bit(48)::bigint - 1) * 10 + 1)::int)
$$;

create or replace function bench.tickets_of(b int) returns int
language sql immutable as $$ select case when b = 500 then 10000 when b <= 991 then 991 else 990 end $$;

create or replace procedure bench.generate_tickets(first_business int, last_business int)
language plpgsql
as $$
begin
  -- Triggers off: no events or webhooks for generated history (as a restore would load it).
  perform set_config('session_replication_role', 'replica', true);
  insert into public.tickets (business_id, customer_id, reference, subject, body, category, status, priority,
                              first_response_due_at, first_response_at, resolved_at, closed_at, last_activity_at,
                              rating, rated_at, created_at, updated_at)
  select bench.business_id(g.b), bench.user_id((1 + g.r % 10000)::int),
         'BEN-' || lpad(g.n::text, 6, '0'),
         'Ticket ' || g.n || ' about my order', 'Something went wrong with order ' || g.n || '. Please help.',
         (array['order', 'product', 'payment', 'delivery', 'account', 'other'])[1 + (g.r >> 4) % 6]::public.ticket_category,
         g.status::public.ticket_status, g.priority::public.ticket_priority,
         g.created + make_interval(mins => g.due_minutes::int),
         g.answered, g.resolved,
         case when g.status = 'closed' then g.resolved + interval '7 days' end,
         coalesce(g.resolved, g.answered, g.created),
         case when g.status = 'closed' and g.r % 2 = 0 then 1 + (g.r >> 13) % 5 end,
         case when g.status = 'closed' and g.r % 2 = 0 then g.resolved + interval '1 day' end,
         g.created, g.created
  from (
    select s.*,
           case when s.status <> 'open' or s.r % 3 = 0
                then s.created + make_interval(mins => ((s.r >> 11) % (2 * s.due_minutes))::int) end as answered,
           case when s.status in ('resolved', 'closed')
                then s.created + make_interval(mins => ((s.r >> 11) % (2 * s.due_minutes) + 60 + (s.r >> 17) % 4000)::int) end as resolved
    from (
      select h.b, h.n, h.r,
             now() - (case when h.b = 500 then interval '30 days' else interval '365 days' end) * ((h.r % 100000) / 100000.0) as created,
             case when (h.r >> 3) % 20 < 2 then 'open' when (h.r >> 3) % 20 = 2 then 'in_progress'
                  when (h.r >> 3) % 20 = 3 then 'waiting_on_customer' when (h.r >> 3) % 20 < 6 then 'resolved'
                  else 'closed' end as status,
             case (h.r >> 7) % 10 when 0 then 'urgent' when 1 then 'high' when 2 then 'high' when 9 then 'low' else 'normal' end as priority,
             case (h.r >> 7) % 10 when 0 then 60 when 1 then 240 when 2 then 240 when 9 then 4320 else 1440 end as due_minutes
      from (
        select b, n, abs(hashtext(b || ':' || n))::bigint as r
        from generate_series(first_business, last_business) as b, generate_series(1, bench.tickets_of(b)) as n
      ) h
    ) s
  ) g;
  -- Recently opened tickets that the generator answered or resolved would have times in the
  -- future: bring them back to now (least() would turn nulls into now()).
  update public.tickets t
  set resolved_at = case when t.resolved_at > now() then now() else t.resolved_at end,
      closed_at = case when t.closed_at > now() then now() else t.closed_at end,
      first_response_at = case when t.first_response_at > now() then now() else t.first_response_at end,
      last_activity_at = case when t.last_activity_at > now() then now() else t.last_activity_at end,
      rated_at = case when t.rated_at > now() then now() else t.rated_at end
  where t.business_id between bench.business_id(first_business) and bench.business_id(last_business)
    and greatest(t.resolved_at, t.closed_at, t.first_response_at, t.rated_at) > now();

  insert into public.ticket_comments (ticket_id, business_id, customer_id, author_id, body, internal, created_at)
  select t.id, t.business_id, t.customer_id, t.customer_id, 'More details about ' || t.reference, false, t.created_at + interval '1 minute'
  from public.tickets t
  where t.business_id between bench.business_id(first_business) and bench.business_id(last_business)
  union all
  select t.id, t.business_id, t.customer_id, bench.approver_of(t.business_id), 'We are on it.', false, t.first_response_at
  from public.tickets t
  where t.business_id between bench.business_id(first_business) and bench.business_id(last_business)
    and t.first_response_at is not null;

  insert into public.ticket_history (ticket_id, business_id, field, old_value, new_value, created_at)
  select t.id, t.business_id, 'status', 'open', t.status::text, coalesce(t.resolved_at, t.first_response_at, t.created_at)
  from public.tickets t
  where t.business_id between bench.business_id(first_business) and bench.business_id(last_business)
    and t.status <> 'open';
end;
$$;
