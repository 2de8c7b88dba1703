-- Support tickets: customers open tickets with a business (optionally about one of their orders
-- with it); the business's members answer, keep internal notes, move the ticket through its
-- states and watch their first-response service level; ticket events are e-mailed through the
-- ticket-notifications function, called by a database webhook.
--
-- A business's members are its support staff: `tickets.read` holders read the business's
-- tickets and add internal notes, `tickets.manage` holders also reply to the customer, change
-- status and priority and take assignments. Customers read their own tickets and the public
-- comments on them; internal notes (and their attachments under <ticket_id>/internal/) never
-- reach a customer. Nobody writes tickets, comments or history directly: every change goes
-- through the RPCs below, which write ticket_history and the ticket_events that the webhook
-- announces.
--
-- Error codes: 22023 invalid argument (400), 42501 not allowed (403, 401 for anon), PT404 not
-- found (or not visible), PT409 illegal transition or already done, PT422 a business rule,
-- PT429 too many tickets opened in the last hour.

-- ============================================================================
-- Types
-- ============================================================================
create type public.ticket_category as enum ('order', 'product', 'payment', 'delivery', 'account', 'other');
comment on type public.ticket_category is 'What a support ticket is about.';

create type public.ticket_status as enum ('open', 'in_progress', 'waiting_on_customer', 'resolved', 'closed');
comment on type public.ticket_status is 'Where a ticket is in its life: see private.ticket_transition_allowed for the allowed moves; closed is final.';

create type public.ticket_priority as enum ('low', 'normal', 'high', 'urgent');
comment on type public.ticket_priority is 'How fast the business must first answer (ticket_settings holds the minutes per priority).';

create type public.ticket_history_field as enum ('status', 'priority', 'assignee');
comment on type public.ticket_history_field is 'Which field of a ticket a ticket_history row records a change of.';

create type private.ticket_event_kind as enum ('ticket_opened', 'comment_added', 'status_changed', 'assigned', 'sla_warning');
comment on type private.ticket_event_kind is 'What happened to a ticket, as announced to the ticket-notifications function.';

-- Ticket e-mails are rendered by the ticket-notifications function; the outbox row carries the
-- rendered subject, HTML and text. (A new enum value cannot be used in this same transaction:
-- nothing below names it.)
alter type public.notification_kind add value if not exists 'ticket_message';

-- ============================================================================
-- Tables
-- ============================================================================
create table public.ticket_settings (
  business_id uuid primary key references public.businesses (id) on delete cascade,
  -- References read <prefix>-<number>, e.g. SHF-000042.
  reference_prefix text not null check (reference_prefix ~ '^[A-Z]{2,6}$'),
  -- The number the next ticket gets; taken under the row lock, so references never repeat.
  next_number bigint not null default 1 check (next_number >= 1),
  urgent_first_response_minutes int not null default 60 check (urgent_first_response_minutes between 1 and 43200),
  high_first_response_minutes int not null default 240 check (high_first_response_minutes between 1 and 43200),
  normal_first_response_minutes int not null default 1440 check (normal_first_response_minutes between 1 and 43200),
  low_first_response_minutes int not null default 4320 check (low_first_response_minutes between 1 and 43200),
  -- Managers are warned once this share of the first-response time has passed unanswered.
  sla_warning_percent int not null default 80 check (sla_warning_percent between 1 and 99),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.ticket_settings is 'Per business: the ticket reference prefix and the first-response targets per priority. Business admins (business.manage) edit them; they apply to tickets opened or re-prioritised afterwards.';

create table public.tickets (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  customer_id uuid not null references auth.users (id) on delete cascade,
  -- The customer's own order with this business (checked by open_ticket).
  order_id uuid,
  reference text not null check (reference ~ '^[A-Z]{2,6}-[0-9]{6,}$'),
  subject text not null check (char_length(btrim(subject)) between 1 and 200),
  body text not null check (char_length(btrim(body)) between 1 and 10000),
  category public.ticket_category not null default 'other',
  status public.ticket_status not null default 'open',
  priority public.ticket_priority not null default 'normal',
  -- A member of the business holding tickets.manage (checked by assign_ticket).
  assignee_id uuid references auth.users (id) on delete set null,
  first_response_due_at timestamptz not null,
  first_response_at timestamptz,
  resolved_at timestamptz,
  closed_at timestamptz,
  -- Comments and changes; a resolved ticket idle for 7 days closes by itself.
  last_activity_at timestamptz not null default now(),
  rating smallint check (rating between 1 and 5),
  rating_comment text check (char_length(rating_comment) <= 2000),
  rated_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (business_id, reference),
  unique (id, business_id),
  unique (id, business_id, customer_id),
  foreign key (order_id, business_id) references public.orders (id, business_id) on delete set null (order_id),
  constraint tickets_closed_at_check check ((status = 'closed') = (closed_at is not null)),
  constraint tickets_resolved_at_check check (status <> 'resolved' or resolved_at is not null),
  constraint tickets_rated_at_check check ((rating is null) = (rated_at is null)),
  constraint tickets_comment_needs_rating_check check (rating_comment is null or rating is not null)
);
comment on table public.tickets is 'Support tickets of customers with a business. Read by the customer and the business''s tickets.read holders; changed only through the ticket RPCs.';

create table public.ticket_comments (
  id uuid primary key default gen_random_uuid(),
  ticket_id uuid not null,
  -- Denormalised from the ticket so that policies need no join; kept right by the foreign key.
  business_id uuid not null,
  customer_id uuid not null,
  author_id uuid references auth.users (id) on delete set null,
  body text not null check (char_length(btrim(body)) between 1 and 10000),
  -- Staff-only notes: never visible to the customer.
  internal boolean not null default false,
  -- Storage paths in the ticket-attachments bucket: <ticket_id>/<file>, or <ticket_id>/internal/<file> for notes.
  attachments text[] not null default '{}' check (cardinality(attachments) <= 10),
  created_at timestamptz not null default now(),
  foreign key (ticket_id, business_id, customer_id) references public.tickets (id, business_id, customer_id) on delete cascade
);
comment on table public.ticket_comments is 'Replies on a ticket (public) and internal notes (staff only). Added only through comment_on_ticket.';

create table public.ticket_history (
  id uuid primary key default gen_random_uuid(),
  ticket_id uuid not null,
  business_id uuid not null,
  field public.ticket_history_field not null,
  old_value text,
  new_value text,
  -- Null when the system made the change (the auto-close job).
  actor_id uuid references auth.users (id) on delete set null,
  note text check (char_length(note) <= 2000),
  created_at timestamptz not null default now(),
  foreign key (ticket_id, business_id) references public.tickets (id, business_id) on delete cascade
);
comment on table public.ticket_history is 'Append-only audit of every change of a ticket''s status, priority and assignee. Staff only.';

create table private.ticket_events (
  id bigint generated always as identity primary key,
  ticket_id uuid not null references public.tickets (id) on delete cascade,
  kind private.ticket_event_kind not null,
  -- Who caused it (not e-mailed about it); null for the system.
  actor_id uuid references auth.users (id) on delete set null,
  comment_id uuid references public.ticket_comments (id) on delete cascade,
  history_id uuid references public.ticket_history (id) on delete cascade,
  -- One SLA warning per ticket and due time.
  dedupe_key text unique check (char_length(dedupe_key) <= 200),
  created_at timestamptz not null default now(),
  -- Set by ticket-notifications once the event's e-mails are in the outbox; null ones are swept.
  processed_at timestamptz,
  recipients int check (recipients >= 0)
);
comment on table private.ticket_events is 'Ticket events for the ticket-notifications function: announced by a database webhook, swept when the webhook was lost. Not in the Data API.';

-- The ticket-attachments bucket (config.toml declares the same for the local CLI stack).
-- Private: attachments are readable only by those who may read the ticket, and internal-note
-- attachments only by staff.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('ticket-attachments', 'ticket-attachments', false, 10485760,
        array['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf'])
on conflict (id) do nothing;

-- ============================================================================
-- Indexes
-- ============================================================================
-- Staff ticket lists: all, or one status, newest first or by first-response due time, keyset.
-- One partial index per status instead of a status column in the index: enum equality is not
-- leakproof, so under RLS `status = 'open'` cannot be an index condition (it may only run after
-- the policy); a partial index whose predicate the filter implies is still used.
create index tickets_business_created_idx on public.tickets (business_id, created_at desc, id desc);
create index tickets_business_due_idx on public.tickets (business_id, first_response_due_at, id);
create index tickets_open_created_idx on public.tickets (business_id, created_at desc, id desc) where status = 'open';
create index tickets_open_due_idx on public.tickets (business_id, first_response_due_at, id) where status = 'open';
create index tickets_in_progress_created_idx on public.tickets (business_id, created_at desc, id desc) where status = 'in_progress';
create index tickets_in_progress_due_idx on public.tickets (business_id, first_response_due_at, id) where status = 'in_progress';
create index tickets_waiting_created_idx on public.tickets (business_id, created_at desc, id desc) where status = 'waiting_on_customer';
create index tickets_waiting_due_idx on public.tickets (business_id, first_response_due_at, id) where status = 'waiting_on_customer';
create index tickets_resolved_created_idx on public.tickets (business_id, created_at desc, id desc) where status = 'resolved';
create index tickets_resolved_due_idx on public.tickets (business_id, first_response_due_at, id) where status = 'resolved';
create index tickets_closed_created_idx on public.tickets (business_id, created_at desc, id desc) where status = 'closed';
create index tickets_closed_due_idx on public.tickets (business_id, first_response_due_at, id) where status = 'closed';
-- The customer's own list, and the anti-abuse counts.
create index tickets_customer_created_idx on public.tickets (customer_id, created_at desc);
create index tickets_assignee_idx on public.tickets (assignee_id);
create index tickets_order_idx on public.tickets (order_id, business_id);
-- The jobs: SLA warnings on unanswered tickets, auto-close of idle resolved ones.
create index tickets_unanswered_due_idx on public.tickets (first_response_due_at)
  where first_response_at is null and status in ('open', 'in_progress', 'waiting_on_customer');
create index tickets_resolved_activity_idx on public.tickets (last_activity_at) where status = 'resolved';

create index ticket_comments_ticket_idx on public.ticket_comments (ticket_id, business_id, customer_id, created_at);
create index ticket_comments_author_idx on public.ticket_comments (author_id);
create index ticket_history_ticket_idx on public.ticket_history (ticket_id, business_id, created_at);
create index ticket_history_actor_idx on public.ticket_history (actor_id);
create index ticket_events_ticket_idx on private.ticket_events (ticket_id);
create index ticket_events_actor_idx on private.ticket_events (actor_id);
create index ticket_events_comment_idx on private.ticket_events (comment_id);
create index ticket_events_history_idx on private.ticket_events (history_id);
create index ticket_events_unprocessed_idx on private.ticket_events (id) where processed_at is null;

-- ============================================================================
-- Helpers (private schema)
-- ============================================================================

-- A reference prefix from a business slug: two letters of the first word and one of the
-- second (shamba-fresh → SHF), or three of a single word (padded with X to two letters); TKT
-- when the slug has no letters.
create function private.ticket_prefix_for(slug text) returns text
language sql
immutable
set search_path = ''
as $$
  select case when p is null then 'TKT' else rpad(p, greatest(char_length(p), 2), 'X') end
  from (
    select nullif(upper(case when cardinality(w) >= 2 then left(w[1], 2) || left(w[2], 1) else left(w[1], 3) end), '') as p
    from (select array_remove(regexp_split_to_array(regexp_replace(lower(coalesce(slug, '')), '[^a-z-]+', '', 'g'), '-+'), '') as w) words
  ) prefix
$$;
revoke all on function private.ticket_prefix_for(text) from public;

-- SECURITY DEFINER: whoever inserts the business (service_role included) may not insert settings.
create function private.create_ticket_settings() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.ticket_settings (business_id, reference_prefix)
  values (new.id, private.ticket_prefix_for(new.slug))
  on conflict (business_id) do nothing;
  return null;
end;
$$;
revoke all on function private.create_ticket_settings() from public;

create function private.ticket_transition_allowed(from_status public.ticket_status, to_status public.ticket_status)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select case from_status
    when 'open' then to_status in ('in_progress', 'waiting_on_customer', 'resolved', 'closed')
    when 'in_progress' then to_status in ('waiting_on_customer', 'resolved', 'closed')
    when 'waiting_on_customer' then to_status in ('in_progress', 'resolved', 'closed')
    when 'resolved' then to_status in ('closed', 'open')
    else false
  end
$$;
revoke all on function private.ticket_transition_allowed(public.ticket_status, public.ticket_status) from public;
comment on function private.ticket_transition_allowed(public.ticket_status, public.ticket_status) is
  'The ticket state machine: open → in_progress | waiting_on_customer | resolved | closed; in_progress → waiting_on_customer | resolved | closed; waiting_on_customer → in_progress | resolved | closed; resolved → closed | open; closed is final.';

create function private.first_response_minutes(settings public.ticket_settings, priority public.ticket_priority) returns int
language sql
immutable
set search_path = ''
as $$
  select case priority
    when 'urgent' then settings.urgent_first_response_minutes
    when 'high' then settings.high_first_response_minutes
    when 'normal' then settings.normal_first_response_minutes
    else settings.low_first_response_minutes
  end
$$;
revoke all on function private.first_response_minutes(public.ticket_settings, public.ticket_priority) from public;

-- Who the caller is for a ticket: 'customer' (its customer), 'manager' (tickets.manage),
-- 'staff' (tickets.read), or null (cannot see it). A ticket's customer stays its customer even
-- after joining the business's staff: staff-only content never reaches them on their own ticket.
create function private.ticket_role(ticket public.tickets) returns text
language sql
stable
set search_path = ''
as $$
  select case
    when ticket.customer_id = (select auth.uid()) then 'customer'
    when ticket.business_id = any (private.business_ids_with_permission('tickets.manage')) then 'manager'
    when ticket.business_id = any (private.business_ids_with_permission('tickets.read')) then 'staff'
  end
$$;
revoke all on function private.ticket_role(public.tickets) from public;

-- The caller's own tickets as a customer: the history policy keeps staff who are also a
-- ticket's customer out of that ticket's history (one evaluation per statement).
create function private.own_ticket_ids() returns uuid[]
language sql
stable
set search_path = ''
as $$
  select array(select t.id from public.tickets t where t.customer_id = (select auth.uid()))
$$;
revoke all on function private.own_ticket_ids() from public;
grant execute on function private.own_ticket_ids() to authenticated;

-- Whether a user is now a member of the business holding tickets.manage (false for null).
create function private.holds_ticket_manage(business_id uuid, user_id uuid) returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (
    select 1 from public.business_members m
    join public.role_permissions rp on rp.role = m.role and rp.permission = 'tickets.manage'
    where m.business_id = holds_ticket_manage.business_id and m.user_id = holds_ticket_manage.user_id
  )
$$;
revoke all on function private.holds_ticket_manage(uuid, uuid) from public;

-- Locks the ticket and returns it with the caller's role in it; a ticket the caller cannot
-- see is "not found", whether it exists or not.
create function private.lock_ticket(ticket_id uuid, out ticket public.tickets, out caller_role text)
language plpgsql
set search_path = ''
as $$
begin
  perform private.require_user();
  if ticket_id is null then
    raise exception 'ticket_id is required.' using errcode = '22023';
  end if;
  select * into ticket from public.tickets t where t.id = lock_ticket.ticket_id for update;
  caller_role := case when ticket.id is not null then private.ticket_role(ticket) end;
  if caller_role is null then
    raise exception 'No ticket % that you can see.', ticket_id using errcode = 'PT404';
  end if;
end;
$$;
revoke all on function private.lock_ticket(uuid) from public;

create function private.require_ticket_manager(caller_role text) returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if caller_role is distinct from 'manager' then
    raise exception 'You need the tickets.manage permission in this business.' using errcode = '42501';
  end if;
end;
$$;
revoke all on function private.require_ticket_manager(text) from public;

create function private.require_ticket_not_closed(ticket public.tickets) returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if ticket.status = 'closed' then
    raise exception 'Ticket % is closed, which is final: open a new ticket.', ticket.reference using errcode = 'PT409';
  end if;
end;
$$;
revoke all on function private.require_ticket_not_closed(public.tickets) from public;

-- Moves a locked ticket to a new status with its timestamps and history row (the caller has
-- checked who may do it); illegal moves are 409.
create function private.move_ticket(ticket public.tickets, to_status public.ticket_status, actor uuid, note text)
returns public.tickets
language plpgsql
set search_path = ''
as $$
declare
  moved public.tickets;
begin
  if not private.ticket_transition_allowed(ticket.status, to_status) then
    raise exception 'A ticket cannot go from % to %.', ticket.status, to_status using errcode = 'PT409';
  end if;
  update public.tickets t
  set status = to_status,
      resolved_at = case when to_status = 'resolved' then now() when to_status = 'closed' then t.resolved_at end,
      closed_at = case when to_status = 'closed' then now() end,
      last_activity_at = now()
  where t.id = ticket.id
  returning * into moved;
  insert into public.ticket_history (ticket_id, business_id, field, old_value, new_value, actor_id, note)
  values (ticket.id, ticket.business_id, 'status', ticket.status::text, to_status::text, actor, note);
  return moved;
end;
$$;
revoke all on function private.move_ticket(public.tickets, public.ticket_status, uuid, text) from public;

-- Storage: objects of the ticket-attachments bucket live at <ticket_id>/<file> (seen by the
-- customer) or <ticket_id>/internal/<file> (internal-note attachments, staff only).
create function private.ticket_attachment_ticket_id(object_name text) returns uuid
language sql
immutable
set search_path = ''
as $$
  select case
    when array_length(storage.foldername(object_name), 1) = 1
      or (array_length(storage.foldername(object_name), 1) = 2 and (storage.foldername(object_name))[2] = 'internal')
    then private.uuid_or_null((storage.foldername(object_name))[1])
  end
  where coalesce(storage.filename(object_name), '') <> ''
$$;
revoke all on function private.ticket_attachment_ticket_id(text) from public;
grant execute on function private.ticket_attachment_ticket_id(text) to authenticated;

create function private.is_internal_ticket_attachment(object_name text) returns boolean
language sql
immutable
set search_path = ''
as $$
  select array_length(storage.foldername(object_name), 1) = 2
$$;
revoke all on function private.is_internal_ticket_attachment(text) from public;
grant execute on function private.is_internal_ticket_attachment(text) to authenticated;

-- ============================================================================
-- Triggers
-- ============================================================================
create trigger set_updated_at before update on public.tickets
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.ticket_settings
  for each row execute function private.set_updated_at();

-- Every business gets its ticket settings (defaults) when it is created.
create trigger create_ticket_settings after insert on public.businesses
  for each row execute function private.create_ticket_settings();

-- Events for the webhook: a new ticket, a comment, a status change and an assignment. They
-- are written by triggers so that every path (RPCs, the auto-close job) announces its changes.
create function private.record_ticket_event() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_table_name = 'tickets' then
    insert into private.ticket_events (ticket_id, kind, actor_id) values (new.id, 'ticket_opened', new.customer_id);
  elsif tg_table_name = 'ticket_comments' then
    insert into private.ticket_events (ticket_id, kind, actor_id, comment_id) values (new.ticket_id, 'comment_added', new.author_id, new.id);
  elsif new.field = 'status' then
    insert into private.ticket_events (ticket_id, kind, actor_id, history_id) values (new.ticket_id, 'status_changed', new.actor_id, new.id);
  elsif new.field = 'assignee' and new.new_value is not null then
    insert into private.ticket_events (ticket_id, kind, actor_id, history_id) values (new.ticket_id, 'assigned', new.actor_id, new.id);
  end if;
  return null;
end;
$$;
revoke all on function private.record_ticket_event() from public;

create trigger record_ticket_event after insert on public.tickets
  for each row execute function private.record_ticket_event();
create trigger record_ticket_event after insert on public.ticket_comments
  for each row execute function private.record_ticket_event();
create trigger record_ticket_event after insert on public.ticket_history
  for each row execute function private.record_ticket_event();

-- The database webhook: POSTs Supabase's webhook payload {type, table, schema, record,
-- old_record} to ticket-notifications after commit, and logs the request in
-- supabase_functions.hooks as supabase_functions.http_request does. The URL and key come from
-- Vault through private.call_function: http_request would need them as trigger arguments,
-- written into the migration and readable in pg_trigger.
-- SECURITY DEFINER: reads Vault (through call_function) and writes supabase_functions.hooks.
create function private.ticket_events_webhook() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  request_id bigint := private.call_function(
    'ticket-notifications',
    jsonb_build_object('type', tg_op, 'table', tg_table_name, 'schema', tg_table_schema,
                       'record', to_jsonb(new), 'old_record', null),
    5000);
begin
  if request_id is not null and to_regclass('supabase_functions.hooks') is not null then
    insert into supabase_functions.hooks (hook_table_id, hook_name, request_id) values (tg_relid, tg_name, request_id);
  end if;
  return null;
end;
$$;
revoke all on function private.ticket_events_webhook() from public;

create trigger ticket_notifications_webhook after insert on private.ticket_events
  for each row execute function private.ticket_events_webhook();

-- A member who is removed, or demoted to a role without tickets.manage, stops being the
-- assignee of the business's unclosed tickets (history row, actor null), whatever removed them
-- (the RPCs, leaving, the service key): an assignment must not keep a former member on the
-- ticket's e-mails, nor show staff a ticket as taken care of by nobody who can act on it.
-- SECURITY DEFINER: whoever changes the membership (the member leaving, an admin) may not write tickets or history.
create function private.unassign_departed_ticket_staff() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  ticket public.tickets;
begin
  if private.holds_ticket_manage(old.business_id, old.user_id) then
    return null;
  end if;
  for ticket in
    update public.tickets t set assignee_id = null
    where t.business_id = old.business_id and t.assignee_id = old.user_id and t.status <> 'closed'
    returning *
  loop
    insert into public.ticket_history (ticket_id, business_id, field, old_value, new_value, actor_id, note)
    values (ticket.id, ticket.business_id, 'assignee', old.user_id::text, null, null,
            'Unassigned: the assignee no longer holds tickets.manage in this business');
  end loop;
  return null;
end;
$$;
revoke all on function private.unassign_departed_ticket_staff() from public;

create trigger unassign_departed_ticket_staff after delete or update of role on public.business_members
  for each row execute function private.unassign_departed_ticket_staff();

-- ============================================================================
-- Policies
-- ============================================================================
alter table public.ticket_settings enable row level security;
alter table public.tickets enable row level security;
alter table public.ticket_comments enable row level security;
alter table public.ticket_history enable row level security;
alter table private.ticket_events enable row level security;
-- ticket_events: no policy and no grant; only the database and the function (as postgres) use it.

create policy "Ticket readers can read their business's ticket settings" on public.ticket_settings
  for select to authenticated
  using (business_id = any ((select private.business_ids_with_permission('tickets.read'))::uuid[]));
create policy "Business managers can change their business's ticket settings" on public.ticket_settings
  for update to authenticated
  using (business_id = any ((select private.business_ids_with_permission('business.manage'))::uuid[]))
  with check (business_id = any ((select private.business_ids_with_permission('business.manage'))::uuid[]));

-- The policy is wrapped in IS TRUE, which no index serves: with two indexable arms the planner
-- may answer a business's list page with a BitmapOr of both (misjudging how many rows the
-- business has) and sort every ticket of the business for a 25-row page, and each indexable
-- arm adds paths to plan on every request. So lists filter on what they want (business_id for
-- staff, customer_id for customers) and use that index.
create policy "Customers can read their own tickets and staff their business's" on public.tickets
  for select to authenticated
  using ((
    customer_id = (select auth.uid())
    or business_id = any ((select private.business_ids_with_permission('tickets.read'))::uuid[])
  ) is true);

-- A ticket's customer reads it as its customer, even once they are staff of the business.
create policy "Customers can read public comments on their tickets and staff every comment" on public.ticket_comments
  for select to authenticated
  using (
    case when customer_id = (select auth.uid()) then not internal
         else business_id = any ((select private.business_ids_with_permission('tickets.read'))::uuid[]) end
  );

create policy "Ticket readers can read their business's ticket history" on public.ticket_history
  for select to authenticated
  using (
    business_id = any ((select private.business_ids_with_permission('tickets.read'))::uuid[])
    and ticket_id <> all ((select private.own_ticket_ids())::uuid[])
  );

-- Attachments: read by whoever may read the ticket (internal/ by staff only); uploaded by the
-- ticket's participants while it is not closed: the customer and tickets.manage holders to the
-- ticket's folder, tickets.read holders (internal notes) to internal/. No update (upsert) and
-- no delete: attachments are part of the ticket's record.
create policy "Ticket participants can read the attachments they may see" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'ticket-attachments'
    and exists (
      select 1 from public.tickets t
      where t.id = private.ticket_attachment_ticket_id(objects.name)
        and case when t.customer_id = (select auth.uid()) then not private.is_internal_ticket_attachment(objects.name)
                 else t.business_id = any ((select private.business_ids_with_permission('tickets.read'))::uuid[]) end
    )
  );
create policy "Ticket participants can upload attachments to open tickets" on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'ticket-attachments'
    and exists (
      select 1 from public.tickets t
      where t.id = private.ticket_attachment_ticket_id(objects.name)
        and t.status <> 'closed'
        and case when t.customer_id = (select auth.uid()) then not private.is_internal_ticket_attachment(objects.name)
                 else t.business_id = any ((select private.business_ids_with_permission('tickets.manage'))::uuid[])
                      or (t.business_id = any ((select private.business_ids_with_permission('tickets.read'))::uuid[])
                          and private.is_internal_ticket_attachment(objects.name)) end
    )
  );

-- ============================================================================
-- RPCs
-- ============================================================================

-- SECURITY DEFINER: inserts the ticket and takes a reference number, which no API role may write.
create function public.open_ticket(
  business_id uuid,
  subject text,
  body text,
  category public.ticket_category default 'other',
  order_id uuid default null,
  priority public.ticket_priority default 'normal'
) returns public.tickets
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_user();
  settings public.ticket_settings;
  ticket public.tickets;
begin
  if business_id is null or category is null or priority is null then
    raise exception 'business_id, category and priority are required.' using errcode = '22023';
  end if;
  if subject is null or char_length(btrim(subject)) not between 1 and 200 then
    raise exception 'A subject needs 1 to 200 characters.' using errcode = '22023';
  end if;
  if body is null or char_length(btrim(body)) not between 1 and 10000 then
    raise exception 'A ticket body needs 1 to 10000 characters.' using errcode = '22023';
  end if;
  if priority = 'urgent' then
    raise exception 'Only the business''s staff can make a ticket urgent.' using errcode = '42501';
  end if;
  if not exists (select 1 from public.businesses b where b.id = open_ticket.business_id) then
    raise exception 'Business % does not exist.', business_id using errcode = 'PT404';
  end if;
  if exists (select 1 from public.business_members m where m.business_id = open_ticket.business_id and m.user_id = caller) then
    raise exception 'You are a member of this business: tickets are for its customers.' using errcode = 'PT422';
  end if;
  if order_id is not null and not exists (
    select 1 from public.orders o
    where o.id = open_ticket.order_id and o.business_id = open_ticket.business_id and o.customer_id = caller
  ) then
    raise exception 'order_id is not one of your orders with this business.' using errcode = '22023';
  end if;

  -- Anti-abuse, counted under a per-customer lock so that parallel calls cannot both pass.
  perform pg_advisory_xact_lock(hashtextextended('open_ticket:' || caller::text, 0));
  if (select count(*) from public.tickets t where t.customer_id = caller and t.status not in ('resolved', 'closed')) >= 20 then
    raise exception 'You already have 20 open tickets: wait for some to be resolved.' using errcode = 'PT422';
  end if;
  if (select count(*) from public.tickets t where t.customer_id = caller and t.created_at > now() - interval '1 hour') >= 5 then
    raise exception 'You opened 5 tickets in the last hour: try again later.' using errcode = 'PT429';
  end if;
  -- The per-customer limits mean nothing to someone who makes a new anonymous sign-in for every
  -- few tickets (each ticket e-mails the business's managers): anonymous sign-ins share a budget
  -- of 20 tickets per business per hour, counted under a per-business lock. Confirmed customers
  -- are not counted against it, so such a flood cannot shut them out.
  if (select u.is_anonymous from auth.users u where u.id = caller) then
    perform pg_advisory_xact_lock(hashtextextended('open_ticket:anonymous:' || open_ticket.business_id::text, 0));
    if (select count(*) from public.tickets t join auth.users u on u.id = t.customer_id
        where t.business_id = open_ticket.business_id and t.created_at > now() - interval '1 hour' and u.is_anonymous) >= 20 then
      raise exception 'This business received too many tickets from guests in the last hour: sign up, or try again later.' using errcode = 'PT429';
    end if;
  end if;

  -- The settings row lock serialises reference numbers within the business.
  update public.ticket_settings s set next_number = s.next_number + 1
  where s.business_id = open_ticket.business_id
  returning * into settings;
  insert into public.tickets (business_id, customer_id, order_id, reference, subject, body, category, priority, first_response_due_at)
  values (business_id, caller, order_id,
          settings.reference_prefix || '-' || lpad((settings.next_number - 1)::text, 6, '0'),
          btrim(subject), btrim(body), category, priority,
          now() + make_interval(mins => private.first_response_minutes(settings, priority)))
  returning * into ticket;
  return ticket;
end;
$$;
revoke all on function public.open_ticket(uuid, text, text, public.ticket_category, uuid, public.ticket_priority) from public;
grant execute on function public.open_ticket(uuid, text, text, public.ticket_category, uuid, public.ticket_priority) to authenticated;

-- SECURITY DEFINER: inserts the comment and moves the ticket, which no API role may write.
create function public.comment_on_ticket(
  ticket_id uuid,
  body text,
  internal boolean default false,
  attachments text[] default '{}'
) returns public.ticket_comments
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := (select auth.uid());
  locked record;
  ticket public.tickets;
  path text;
  comment public.ticket_comments;
begin
  if body is null or char_length(btrim(body)) not between 1 and 10000 then
    raise exception 'A comment needs 1 to 10000 characters.' using errcode = '22023';
  end if;
  if internal is null or attachments is null then
    raise exception 'internal and attachments cannot be null.' using errcode = '22023';
  end if;
  if cardinality(attachments) > 10 then
    raise exception 'At most 10 attachments per comment.' using errcode = '22023';
  end if;
  select * into locked from private.lock_ticket(ticket_id);
  ticket := locked.ticket;

  -- Attachments: files the commenter uploaded to this ticket's folder, internal/ exactly for notes.
  foreach path in array attachments loop
    if private.ticket_attachment_ticket_id(path) is distinct from ticket.id
       or private.is_internal_ticket_attachment(path) <> internal
       or char_length(path) > 500 then
      raise exception 'Attachment % must be a file under %/%.', path, ticket.id, case when internal then 'internal/' else '' end
        using errcode = '22023';
    end if;
    if not exists (
      select 1 from storage.objects o
      where o.bucket_id = 'ticket-attachments' and o.name = path and o.owner_id = caller::text
    ) then
      raise exception 'Attachment % was not uploaded by you.', path using errcode = '22023';
    end if;
  end loop;
  if cardinality(attachments) <> (select count(distinct a) from unnest(attachments) a) then
    raise exception 'An attachment is listed twice.' using errcode = '22023';
  end if;

  perform private.require_ticket_not_closed(ticket);
  if locked.caller_role = 'customer' then
    if internal then
      raise exception 'Internal notes are for the business''s staff.' using errcode = '42501';
    end if;
    if ticket.status = 'resolved' then
      -- A reply within 7 days of the resolution reopens the ticket; later, a new ticket is needed.
      if ticket.resolved_at < now() - interval '7 days' then
        raise exception 'Ticket % was resolved more than 7 days ago: open a new ticket.', ticket.reference using errcode = 'PT422';
      end if;
      ticket := private.move_ticket(ticket, 'open', caller, 'Reopened by the customer''s reply');
    elsif ticket.status = 'waiting_on_customer' then
      ticket := private.move_ticket(ticket, 'in_progress', caller, 'The customer replied');
    end if;
  elsif not internal and locked.caller_role <> 'manager' then
    raise exception 'Only tickets.manage holders reply to the customer; add an internal note instead.' using errcode = '42501';
  end if;

  insert into public.ticket_comments (ticket_id, business_id, customer_id, author_id, body, internal, attachments)
  values (ticket.id, ticket.business_id, ticket.customer_id, caller, btrim(body), internal, attachments)
  returning * into comment;
  update public.tickets t
  set last_activity_at = now(),
      -- The first public staff reply answers the ticket.
      first_response_at = case when locked.caller_role = 'manager' and not internal
                               then coalesce(t.first_response_at, now()) else t.first_response_at end
  where t.id = ticket.id;
  return comment;
end;
$$;
revoke all on function public.comment_on_ticket(uuid, text, boolean, text[]) from public;
grant execute on function public.comment_on_ticket(uuid, text, boolean, text[]) to authenticated;

-- SECURITY DEFINER: moves the status and writes history, which no API role may write.
create function public.set_ticket_status(ticket_id uuid, status public.ticket_status, note text default null)
returns public.tickets
language plpgsql
security definer
set search_path = ''
as $$
declare
  locked record;
begin
  if status is null then
    raise exception 'status is required.' using errcode = '22023';
  end if;
  if char_length(note) > 2000 then
    raise exception 'A note has at most 2000 characters.' using errcode = '22023';
  end if;
  select * into locked from private.lock_ticket(ticket_id);
  -- Customers may close their own ticket; everything else is for tickets.manage holders.
  if not (locked.caller_role = 'customer' and status = 'closed') then
    perform private.require_ticket_manager(locked.caller_role);
  end if;
  return private.move_ticket(locked.ticket, status, (select auth.uid()), nullif(btrim(note), ''));
end;
$$;
revoke all on function public.set_ticket_status(uuid, public.ticket_status, text) from public;
grant execute on function public.set_ticket_status(uuid, public.ticket_status, text) to authenticated;

-- SECURITY DEFINER: changes the priority and writes history, which no API role may write.
create function public.set_ticket_priority(ticket_id uuid, priority public.ticket_priority)
returns public.tickets
language plpgsql
security definer
set search_path = ''
as $$
declare
  locked record;
  ticket public.tickets;
  previous public.tickets;
  settings public.ticket_settings;
begin
  if priority is null then
    raise exception 'priority is required.' using errcode = '22023';
  end if;
  select * into locked from private.lock_ticket(ticket_id);
  perform private.require_ticket_manager(locked.caller_role);
  ticket := locked.ticket;
  previous := ticket;
  perform private.require_ticket_not_closed(ticket);
  if ticket.priority = priority then
    return ticket;
  end if;
  select * into settings from public.ticket_settings s where s.business_id = ticket.business_id;
  update public.tickets t
  set priority = set_ticket_priority.priority,
      -- An unanswered ticket's due time follows its new priority, counted from its opening.
      first_response_due_at = case when t.first_response_at is null
        then t.created_at + make_interval(mins => private.first_response_minutes(settings, set_ticket_priority.priority))
        else t.first_response_due_at end,
      last_activity_at = now()
  where t.id = ticket.id
  returning * into ticket;
  insert into public.ticket_history (ticket_id, business_id, field, old_value, new_value, actor_id)
  values (ticket.id, ticket.business_id, 'priority', previous.priority::text, priority::text, (select auth.uid()));
  return ticket;
end;
$$;
revoke all on function public.set_ticket_priority(uuid, public.ticket_priority) from public;
grant execute on function public.set_ticket_priority(uuid, public.ticket_priority) to authenticated;

-- SECURITY DEFINER: changes the assignee and writes history, which no API role may write.
create function public.assign_ticket(ticket_id uuid, assignee_id uuid)
returns public.tickets
language plpgsql
security definer
set search_path = ''
as $$
declare
  locked record;
  ticket public.tickets;
  previous public.tickets;
begin
  select * into locked from private.lock_ticket(ticket_id);
  perform private.require_ticket_manager(locked.caller_role);
  ticket := locked.ticket;
  previous := ticket;
  perform private.require_ticket_not_closed(ticket);
  if assignee_id is not null and not private.holds_ticket_manage(ticket.business_id, assignee_id) then
    raise exception 'The assignee must be a member of this business holding tickets.manage.' using errcode = 'PT422';
  end if;
  -- A customer who joined the staff stays their own ticket's customer (see ticket_role).
  if assignee_id = ticket.customer_id then
    raise exception 'A ticket''s customer cannot be its assignee.' using errcode = 'PT422';
  end if;
  if ticket.assignee_id is not distinct from assignee_id then
    return ticket;
  end if;
  update public.tickets t set assignee_id = assign_ticket.assignee_id, last_activity_at = now()
  where t.id = ticket.id
  returning * into ticket;
  insert into public.ticket_history (ticket_id, business_id, field, old_value, new_value, actor_id)
  values (ticket.id, ticket.business_id, 'assignee', previous.assignee_id::text, assignee_id::text, (select auth.uid()));
  return ticket;
end;
$$;
revoke all on function public.assign_ticket(uuid, uuid) from public;
grant execute on function public.assign_ticket(uuid, uuid) to authenticated;

-- SECURITY DEFINER: writes the rating, which no API role may write.
create function public.rate_ticket(ticket_id uuid, rating int, comment text default null)
returns public.tickets
language plpgsql
security definer
set search_path = ''
as $$
declare
  locked record;
  ticket public.tickets;
begin
  if rating is null or rating not between 1 and 5 then
    raise exception 'A rating is a whole number from 1 to 5.' using errcode = '22023';
  end if;
  if char_length(comment) > 2000 then
    raise exception 'A rating comment has at most 2000 characters.' using errcode = '22023';
  end if;
  select * into locked from private.lock_ticket(ticket_id);
  if locked.caller_role <> 'customer' then
    raise exception 'Only the ticket''s customer rates it.' using errcode = '42501';
  end if;
  ticket := locked.ticket;
  if ticket.status not in ('resolved', 'closed') then
    raise exception 'A ticket is rated once it is resolved or closed.' using errcode = 'PT422';
  end if;
  if ticket.rating is not null then
    raise exception 'Ticket % is already rated.', ticket.reference using errcode = 'PT409';
  end if;
  update public.tickets t
  set rating = rate_ticket.rating, rating_comment = nullif(btrim(comment), ''), rated_at = now()
  where t.id = ticket.id
  returning * into ticket;
  return ticket;
end;
$$;
revoke all on function public.rate_ticket(uuid, int, text) from public;
grant execute on function public.rate_ticket(uuid, int, text) to authenticated;

-- SECURITY INVOKER: the figures are computed from the rows the caller's RLS lets them read.
create function public.ticket_stats(business_id uuid, since timestamptz default now() - interval '30 days')
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  period jsonb;
  backlog jsonb;
begin
  if business_id is null or since is null then
    raise exception 'business_id and since are required.' using errcode = '22023';
  end if;
  if not business_id = any ((select private.business_ids_with_permission('tickets.read'))::uuid[]) then
    raise exception 'You need the tickets.read permission in this business.' using errcode = '42501';
  end if;

  -- Tickets opened since `since`, read once: counted per (status, priority), and the
  -- [median, p90] of each duration from one sort (percentile_cont over an array of fractions).
  with t as materialized (
    select t.status, t.priority, t.created_at, t.first_response_at, t.first_response_due_at, t.resolved_at, t.rating
    from public.tickets t
    where t.business_id = ticket_stats.business_id and t.created_at >= since
  ), groups as (
    select t.status, t.priority, count(*) as n,
           count(*) filter (where t.first_response_at <= t.first_response_due_at) as met,
           -- Answered late, or still unanswered (and not resolved or closed) after the due time.
           count(*) filter (where t.first_response_at > t.first_response_due_at
                               or (t.first_response_at is null and t.status not in ('resolved', 'closed')
                                   and t.first_response_due_at < now())) as breached,
           count(t.first_response_at) as responded, count(t.resolved_at) as resolved,
           count(t.rating) as rated, sum(t.rating) as rating_sum
    from t group by t.status, t.priority
  ), first_response as (
    select percentile_cont(array[0.5, 0.9]) within group (order by date_part('epoch', t.first_response_at - t.created_at)) as p
    from t where t.first_response_at is not null
  ), resolution as (
    select percentile_cont(array[0.5, 0.9]) within group (order by date_part('epoch', t.resolved_at - t.created_at)) as p
    from t where t.resolved_at is not null
  )
  select jsonb_build_object(
    'tickets', coalesce(sum(g.n), 0),
    'by_status', '{"open": 0, "in_progress": 0, "waiting_on_customer": 0, "resolved": 0, "closed": 0}'::jsonb
      || coalesce((select jsonb_object_agg(x.status, x.n) from (select g2.status, sum(g2.n) as n from groups g2 group by g2.status) x), '{}'),
    'by_priority', '{"low": 0, "normal": 0, "high": 0, "urgent": 0}'::jsonb
      || coalesce((select jsonb_object_agg(x.priority, x.n) from (select g2.priority, sum(g2.n) as n from groups g2 group by g2.priority) x), '{}'),
    'first_response', jsonb_build_object('count', coalesce(sum(g.responded), 0),
      'median_seconds', (select f.p[1] from first_response f), 'p90_seconds', (select f.p[2] from first_response f)),
    'resolution', jsonb_build_object('count', coalesce(sum(g.resolved), 0),
      'median_seconds', (select r.p[1] from resolution r), 'p90_seconds', (select r.p[2] from resolution r)),
    'first_response_sla', jsonb_build_object('met', coalesce(sum(g.met), 0), 'breached', coalesce(sum(g.breached), 0)),
    'rating', jsonb_build_object('count', coalesce(sum(g.rated), 0),
      'average', round(sum(g.rating_sum)::numeric / nullif(sum(g.rated), 0), 2))
  ) into period
  from groups g;

  -- Every ticket still waiting for a resolution, whenever it was opened, by age.
  select jsonb_build_object(
    'total', count(*),
    'under_1_day', count(*) filter (where t.created_at > now() - interval '1 day'),
    '1_to_3_days', count(*) filter (where t.created_at <= now() - interval '1 day' and t.created_at > now() - interval '3 days'),
    '3_to_7_days', count(*) filter (where t.created_at <= now() - interval '3 days' and t.created_at > now() - interval '7 days'),
    'over_7_days', count(*) filter (where t.created_at <= now() - interval '7 days')
  ) into backlog
  from public.tickets t
  where t.business_id = ticket_stats.business_id and t.status in ('open', 'in_progress', 'waiting_on_customer');

  return jsonb_build_object('business_id', business_id, 'since', since, 'until', now())
    || period || jsonb_build_object('open_backlog', backlog);
end;
$$;
revoke all on function public.ticket_stats(uuid, timestamptz) from public;
grant execute on function public.ticket_stats(uuid, timestamptz) to authenticated, service_role;

-- ============================================================================
-- Jobs and the notification function's helpers (private, run as postgres)
-- ============================================================================

-- Resolved tickets with no activity for `idle` close by themselves (history actor: null).
create function private.close_idle_resolved_tickets(idle interval default interval '7 days') returns int
language plpgsql
set search_path = ''
as $$
declare
  ticket public.tickets;
  closed int := 0;
begin
  for ticket in
    select * from public.tickets t
    where t.status = 'resolved' and t.last_activity_at < now() - idle
    order by t.last_activity_at
    for update skip locked
  loop
    perform private.move_ticket(ticket, 'closed', null, format('Closed automatically after %s without activity', idle));
    closed := closed + 1;
  end loop;
  return closed;
end;
$$;
revoke all on function private.close_idle_resolved_tickets(interval) from public;

-- Unanswered tickets past their warning point (sla_warning_percent of the first-response
-- time) but not yet due get one sla_warning event per due time.
create function private.queue_ticket_sla_warnings() returns int
language sql
set search_path = ''
as $$
  with warned as (
    insert into private.ticket_events (ticket_id, kind, dedupe_key)
    select t.id, 'sla_warning', format('sla_warning:%s:%s', t.id, extract(epoch from t.first_response_due_at))
    from public.tickets t
    join public.ticket_settings s on s.business_id = t.business_id
    where t.first_response_at is null
      and t.status in ('open', 'in_progress', 'waiting_on_customer')
      and t.first_response_due_at > now()
      and t.first_response_due_at <= now() + (t.first_response_due_at - t.created_at) * (100 - s.sla_warning_percent) / 100.0
    on conflict (dedupe_key) do nothing
    returning 1
  )
  select count(*)::int from warned
$$;
revoke all on function private.queue_ticket_sla_warnings() from public;

-- Everything ticket-notifications needs to decide and render one event's e-mails.
create function private.ticket_event_context(event_id bigint) returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'event', jsonb_build_object('id', e.id, 'kind', e.kind, 'actor_id', e.actor_id, 'created_at', e.created_at),
    'ticket', jsonb_build_object(
      'id', t.id, 'reference', t.reference, 'subject', t.subject, 'body', t.body, 'status', t.status, 'priority', t.priority,
      'category', t.category, 'business_id', t.business_id, 'business_name', b.name,
      'first_response_due_at', t.first_response_due_at),
    'comment', case when c.id is not null then jsonb_build_object(
      'id', c.id, 'body', c.body, 'internal', c.internal, 'author_id', c.author_id,
      'attachments', cardinality(c.attachments)) end,
    'change', case when h.id is not null then jsonb_build_object(
      'field', h.field, 'old_value', h.old_value, 'new_value', h.new_value) end,
    'actor_name', case when e.actor_id is not null then private.user_display_name(e.actor_id) end,
    'customer', jsonb_build_object('id', t.customer_id, 'email', private.user_email(t.customer_id),
                                   'name', private.user_display_name(t.customer_id)),
    -- Only people who still hold tickets.manage here: an assignee removed or demoted since (the
    -- unassign trigger races the event's processing) must not go on receiving the ticket's
    -- comments and internal notes; without one, the managers hear instead.
    'assignee', case when private.holds_ticket_manage(t.business_id, t.assignee_id) then jsonb_build_object(
      'id', t.assignee_id, 'email', private.user_email(t.assignee_id), 'name', private.user_display_name(t.assignee_id)) end,
    'new_assignee', case when h.field = 'assignee' and private.holds_ticket_manage(t.business_id, h.new_value::uuid) then jsonb_build_object(
      'id', h.new_value::uuid, 'email', private.user_email(h.new_value::uuid), 'name', private.user_display_name(h.new_value::uuid)) end,
    'managers', coalesce((
      select jsonb_agg(jsonb_build_object('id', m.user_id, 'email', private.user_email(m.user_id),
                                          'name', private.user_display_name(m.user_id)) order by m.created_at, m.user_id)
      from public.business_members m
      join public.role_permissions rp on rp.role = m.role and rp.permission = 'tickets.manage'
      where m.business_id = t.business_id
    ), '[]'::jsonb)
  )
  from private.ticket_events e
  join public.tickets t on t.id = e.ticket_id
  join public.businesses b on b.id = t.business_id
  left join public.ticket_comments c on c.id = e.comment_id
  left join public.ticket_history h on h.id = e.history_id
  where e.id = event_id
$$;
revoke all on function private.ticket_event_context(bigint) from public;
comment on function private.ticket_event_context(bigint) is
  'One ticket event with its ticket, comment or change, and the people concerned (customer, assignee, the assignment''s new assignee, tickets.manage holders) with their addresses.';

-- The sweep: asks ticket-notifications (body {}) to process events whose webhook was lost.
create function private.request_ticket_notification_sweep() returns bigint
language sql
set search_path = ''
as $$
  select private.call_function('ticket-notifications', '{}'::jsonb, 30000)
$$;
revoke all on function private.request_ticket_notification_sweep() from public;

-- Where pg_cron exists (see private.schedule_job).
select private.schedule_job('ticket-notifications-sweep', '* * * * *', 'select private.request_ticket_notification_sweep()');
select private.schedule_job('ticket-sla-warnings', '*/5 * * * *', 'select private.queue_ticket_sla_warnings()');
select private.schedule_job('close-idle-resolved-tickets', '41 * * * *', 'select private.close_idle_resolved_tickets()');

-- ============================================================================
-- Grants
-- ============================================================================
grant select on public.ticket_settings to authenticated, service_role;
grant update (reference_prefix, urgent_first_response_minutes, high_first_response_minutes,
              normal_first_response_minutes, low_first_response_minutes, sla_warning_percent)
  on public.ticket_settings to authenticated, service_role;
-- Tickets, comments and history change only through the RPCs, whoever the caller.
grant select on public.tickets, public.ticket_comments, public.ticket_history to authenticated, service_role;

-- ============================================================================
-- Data: settings for the businesses that already exist
-- ============================================================================
insert into public.ticket_settings (business_id, reference_prefix)
select b.id, private.ticket_prefix_for(b.slug) from public.businesses b
on conflict (business_id) do nothing;
