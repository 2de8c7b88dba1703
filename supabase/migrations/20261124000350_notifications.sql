-- Notifications: the outbox of e-mails (Resend) and SMS (Beem).
--
-- Triggers on orders, products and invitations queue one row per message, in the same
-- transaction as the change they announce (so a rolled-back change announces nothing). The
-- send-notifications function claims due rows with FOR UPDATE SKIP LOCKED under a lease,
-- sends them through Resend and records the outcome; failures are retried with exponential
-- backoff and end in `dead` with their last error. A database webhook (net.http_post after
-- insert, URL and key from Vault) and a periodic sweep call that function.
--
-- The outbox is private, out of the Data API and granted to no API role: recipients read
-- their e-mails in their mailbox, and the payload may hold secrets such as an invitation
-- token. Only the database itself and the functions (as postgres) use it.

-- ============================================================================
-- Types
-- ============================================================================
create type public.notification_kind as enum (
  'order_placed_customer', 'order_placed_business', 'order_paid', 'order_shipped', 'order_delivered',
  'order_cancelled', 'order_refunded', 'product_approved', 'product_rejected', 'invitation_created'
);
comment on type public.notification_kind is 'Which e-mail a notification is; each kind has its own HTML and text template.';

create type private.notification_status as enum ('pending', 'sending', 'sent', 'dead');
comment on type private.notification_status is 'pending: waiting for its next attempt; sending: claimed under a lease; sent; dead: gave up after the last allowed attempt.';

-- ============================================================================
-- Tables
-- ============================================================================
create table private.notifications (
  id uuid primary key default gen_random_uuid(),
  kind public.notification_kind not null,
  channel text not null default 'email' check (channel in ('email', 'sms')),
  recipient text not null,
  payload jsonb not null default '{}' check (jsonb_typeof(payload) = 'object'),
  -- One message per event: a trigger that fires twice for the same event queues once.
  dedupe_key text not null unique check (char_length(dedupe_key) <= 300),
  status private.notification_status not null default 'pending',
  attempts int not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  -- While `sending`, the claim holds until then; a sender that crashed loses it afterwards.
  locked_until timestamptz,
  last_error text check (char_length(last_error) <= 2000),
  provider_message_id text,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((status = 'sent') = (sent_at is not null)),
  check ((status = 'sending') = (locked_until is not null)),
  constraint notifications_recipient_check check (
    (channel = 'email' and recipient ~ '^[^@\s]+@[^@\s]+$' and char_length(recipient) <= 320)
    or (channel = 'sms' and recipient ~ '^[1-9][0-9]{7,14}$')
  )
);
comment on table private.notifications is 'Outbox of e-mails and SMS queued by triggers and delivered by the send-notifications function. Not in the Data API: only the service connection reads it.';
comment on column private.notifications.channel is 'email (Resend) or sms (Beem; recipient in international digits, 255…).';

-- ============================================================================
-- Indexes
-- ============================================================================
-- What a sweep claims: due pending messages and expired leases.
create index notifications_due_idx on private.notifications (next_attempt_at) where status = 'pending';
create index notifications_leased_idx on private.notifications (locked_until) where status = 'sending';

-- ============================================================================
-- Helpers (private schema)
-- ============================================================================
create function private.user_email(user_id uuid) returns text
language sql
stable
set search_path = ''
as $$
  select u.email from auth.users u where u.id = user_email.user_id and u.email is not null and u.email <> ''
$$;
revoke all on function private.user_email(uuid) from public;
comment on function private.user_email(uuid) is 'A user''s e-mail address, or null for anonymous and phone-only users (who get no e-mail).';

create function private.user_display_name(user_id uuid) returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(nullif(btrim(p.full_name), ''), 'there') from public.profiles p where p.id = user_display_name.user_id
$$;
revoke all on function private.user_display_name(uuid) from public;

create function private.queue_notification(kind public.notification_kind, recipient text, payload jsonb, dedupe_key text)
returns void
language sql
set search_path = ''
as $$
  insert into private.notifications (kind, recipient, payload, dedupe_key)
  select queue_notification.kind, lower(queue_notification.recipient), queue_notification.payload, queue_notification.dedupe_key
  where queue_notification.recipient is not null
  on conflict (dedupe_key) do nothing
$$;
revoke all on function private.queue_notification(public.notification_kind, text, jsonb, text) from public;
comment on function private.queue_notification(public.notification_kind, text, jsonb, text) is
  'Queues one e-mail unless the recipient has no address or the same event was already queued.';

create function private.order_summary(order_id uuid) returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'order_id', o.id,
    'business_id', o.business_id,
    'business_name', b.name,
    'customer_name', private.user_display_name(o.customer_id),
    'status', o.status,
    'subtotal', o.subtotal,
    'total', o.total,
    'currency', o.currency,
    'placed_at', o.created_at,
    'items', coalesce((
      select jsonb_agg(jsonb_build_object(
               'product_name', i.product_name, 'unit', i.unit, 'quantity', i.quantity,
               'unit_price', i.unit_price, 'line_total', i.line_total) order by i.product_name, i.id)
      from public.order_items i where i.order_id = o.id and i.business_id = o.business_id
    ), '[]'::jsonb)
  )
  from public.orders o join public.businesses b on b.id = o.business_id
  where o.id = order_summary.order_id
$$;
revoke all on function private.order_summary(uuid) from public;
comment on function private.order_summary(uuid) is 'What order e-mails show: the order, its business and its lines.';

create function private.business_order_recipients(business_id uuid) returns setof text
language sql
stable
set search_path = ''
as $$
  -- The business's contact address when it has one, otherwise every member who manages orders.
  select b.contact_email from public.businesses b
  where b.id = business_order_recipients.business_id and nullif(btrim(b.contact_email), '') is not null
  union all
  select private.user_email(m.user_id)
  from public.business_members m
  join public.role_permissions rp on rp.role = m.role and rp.permission = 'orders.manage'
  where m.business_id = business_order_recipients.business_id
    and not exists (
      select 1 from public.businesses b
      where b.id = business_order_recipients.business_id and nullif(btrim(b.contact_email), '') is not null
    )
$$;
revoke all on function private.business_order_recipients(uuid) from public;

-- ============================================================================
-- Customers' channels: SMS to the profile's phone, preferences per kind
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

-- ============================================================================
-- Triggers
-- ============================================================================
create trigger set_updated_at before update on private.notifications
  for each row execute function private.set_updated_at();

-- SECURITY DEFINER: reads recipients' addresses in auth.users, which the API roles cannot read.
create function private.queue_order_placed() returns trigger
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
revoke all on function private.queue_order_placed() from public;

-- Deferred to commit: checkout inserts the order first and its lines afterwards, and the
-- e-mail lists the lines.
create constraint trigger queue_order_placed after insert on public.orders
  deferrable initially deferred
  for each row execute function private.queue_order_placed();

-- SECURITY DEFINER: reads the customer's address in auth.users, which the API roles cannot read.
create function private.queue_order_status_changed() returns trigger
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
revoke all on function private.queue_order_status_changed() from public;

create trigger queue_order_status_changed after update of status on public.orders
  for each row when (old.status is distinct from new.status)
  execute function private.queue_order_status_changed();

-- SECURITY DEFINER: reads the submitter's address in auth.users, which the API roles cannot read.
create function private.queue_product_reviewed() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  kind public.notification_kind := case new.status when 'approved' then 'product_approved' else 'product_rejected' end;
begin
  perform private.queue_notification(
    kind,
    private.user_email(new.submitted_by),
    jsonb_build_object(
      'product_id', new.id,
      'product_name', new.name,
      'business_id', new.business_id,
      'business_name', (select b.name from public.businesses b where b.id = new.business_id),
      'submitter_name', private.user_display_name(new.submitted_by),
      'reviewer_name', private.user_display_name(new.reviewed_by),
      'rejection_reason', new.rejection_reason,
      'reviewed_at', coalesce(new.reviewed_at, now())
    ),
    -- A product may be reviewed again after a later resubmission: each review is its own event.
    format('%s:%s:%s', kind, new.id, extract(epoch from coalesce(new.reviewed_at, now()))));
  return null;
end;
$$;
revoke all on function private.queue_product_reviewed() from public;

create trigger queue_product_reviewed after update of status on public.products
  for each row when (old.status is distinct from new.status and new.status in ('approved', 'rejected'))
  execute function private.queue_product_reviewed();

-- SECURITY DEFINER: writes the outbox and reads the inviter's profile, which the inserting role may not.
create function private.queue_invitation_created() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.queue_notification(
    'invitation_created',
    new.email,
    jsonb_build_object(
      'invitation_id', new.id,
      'business_id', new.business_id,
      'business_name', (select b.name from public.businesses b where b.id = new.business_id),
      'role', new.role,
      'inviter_name', private.user_display_name(new.invited_by),
      'token', new.token,
      'expires_at', new.expires_at
    ),
    format('invitation_created:%s', new.id));
  return null;
end;
$$;
revoke all on function private.queue_invitation_created() from public;

create trigger queue_invitation_created after insert on public.invitations
  for each row execute function private.queue_invitation_created();

-- The database webhook: asks send-notifications to deliver what a statement queued (the
-- periodic sweep delivers instead when Vault is not set up).
create function private.request_notification_delivery(ids uuid[]) returns bigint
language sql
set search_path = ''
as $$
  select private.call_function(
    'send-notifications',
    case when ids is null then '{}'::jsonb else jsonb_build_object('ids', to_jsonb(ids)) end,
    30000
  )
$$;
revoke all on function private.request_notification_delivery(uuid[]) from public;
comment on function private.request_notification_delivery(uuid[]) is
  'POSTs to send-notifications after commit (the given ids, or a sweep when null). Skips with a warning when Vault has no URL or key.';

-- Not SECURITY DEFINER: only functions running as postgres queue rows (the outbox is granted
-- to no API role), so the trigger already runs as the owner of the Vault reader.
create function private.notify_new_notifications() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  ids uuid[] := array(select n.id from inserted n where n.status = 'pending');
begin
  if cardinality(ids) > 0 then
    -- send-notifications takes at most 500 ids; a bigger bulk insert asks for a sweep instead.
    perform private.request_notification_delivery(case when cardinality(ids) <= 500 then ids end);
  end if;
  return null;
end;
$$;
revoke all on function private.notify_new_notifications() from public;

-- Per statement: a bulk insert makes one request (each trigger-queued e-mail is its own
-- statement, so a checkout makes one request per e-mail).
create trigger notify_new_notifications after insert on private.notifications
  referencing new table as inserted
  for each statement execute function private.notify_new_notifications();

-- ============================================================================
-- Policies
-- ============================================================================
alter table private.notifications enable row level security;
-- No policy and no grant: only the database's functions and the edge functions (as postgres) use it.

-- ============================================================================
-- RPCs (private: called by the send-notifications function as postgres)
-- ============================================================================
-- Claims due messages of the given channels only (a channel whose provider is not configured
-- stays queued). Beem takes no idempotency key: an SMS whose lease expired mid-send may have
-- gone out, so it is dead-lettered rather than sent again (at most once; an e-mail is retried,
-- Resend's idempotency key making it exactly once).
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

create function private.mark_notification_sent(notification_id uuid, provider_message_id text) returns boolean
language sql
set search_path = ''
as $$
  update private.notifications n
  set status = 'sent', sent_at = now(), locked_until = null, last_error = null,
      provider_message_id = mark_notification_sent.provider_message_id
  where n.id = notification_id and n.status = 'sending'
  returning true
$$;
revoke all on function private.mark_notification_sent(uuid, text) from public;

create function private.mark_notification_failed(notification_id uuid, error text, retry_in_seconds numeric, max_attempts int)
returns private.notification_status
language sql
set search_path = ''
as $$
  update private.notifications n
  set status = case when n.attempts >= max_attempts then 'dead'::private.notification_status else 'pending' end,
      next_attempt_at = now() + make_interval(secs => greatest(retry_in_seconds, 0)::double precision),
      locked_until = null,
      last_error = left(error, 2000)
  where n.id = notification_id and n.status = 'sending'
  returning n.status
$$;
revoke all on function private.mark_notification_failed(uuid, text, numeric, int) from public;
comment on function private.mark_notification_failed(uuid, text, numeric, int) is
  'Records a failed attempt: retried after retry_in_seconds, or dead with its last error once attempts reach max_attempts.';

-- The periodic sweep.
select private.schedule_job('send-notifications-sweep', '* * * * *', 'select private.request_notification_delivery(null)');

-- ============================================================================
-- Retention: sent and dead messages are purged
-- ============================================================================
-- What the daily purge deletes, found without reading the live outbox.
create index notifications_sent_idx on private.notifications (sent_at) where status = 'sent';
create index notifications_dead_idx on private.notifications (updated_at) where status = 'dead';

create function private.purge_notifications(sent_retention interval, dead_retention interval)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  purged bigint := 0;
  counted bigint;
begin
  if sent_retention is null or dead_retention is null
     or sent_retention <= interval '0' or dead_retention <= interval '0' then
    raise exception 'Retentions must be positive intervals (got % for sent, % for dead).', sent_retention, dead_retention
      using errcode = '22023';
  end if;
  delete from private.notifications n where n.status = 'sent' and n.sent_at < now() - sent_retention;
  get diagnostics counted = row_count;
  purged := purged + counted;
  -- A dead message's last change is the failure that killed it.
  delete from private.notifications n where n.status = 'dead' and n.updated_at < now() - dead_retention;
  get diagnostics counted = row_count;
  return purged + counted;
end;
$$;
revoke all on function private.purge_notifications(interval, interval) from public;
comment on function private.purge_notifications(interval, interval) is
  'Deletes sent messages older than sent_retention (by sent_at) and dead ones older than dead_retention (by their last change); pending and sending ones are never touched. Returns how many.';

create function private.schedule_notification_purge(
  sent_retention interval default interval '30 days',
  dead_retention interval default interval '90 days'
) returns void
language plpgsql
set search_path = ''
as $$
begin
  -- Refused now rather than at 03:25.
  if sent_retention <= interval '0' or dead_retention <= interval '0' or sent_retention is null or dead_retention is null then
    raise exception 'Retentions must be positive intervals (got % for sent, % for dead).', sent_retention, dead_retention
      using errcode = '22023';
  end if;
  -- Scheduling an existing job name replaces its command. Asked for explicitly, a schedule that
  -- cannot be made is an error, not the migrations' silent skip.
  if private.schedule_job('purge-notifications', '25 3 * * *',
       format('select private.purge_notifications(%L::interval, %L::interval)', sent_retention, dead_retention)) is null then
    raise exception 'pg_cron is not installed: enable it (Database → Extensions) first.' using errcode = '55000';
  end if;
end;
$$;
revoke all on function private.schedule_notification_purge(interval, interval) from public;
comment on function private.schedule_notification_purge(interval, interval) is
  'Sets the retention of the daily purge (03:25 UTC): select private.schedule_notification_purge(''14 days'', ''60 days''). Defaults: sent 30 days, dead 90 days.';

-- Daily, where pg_cron exists, with schedule_notification_purge's default retentions (which
-- itself refuses to run without pg_cron).
select private.schedule_job('purge-notifications', '25 3 * * *',
  'select private.purge_notifications(''30 days''::interval, ''90 days''::interval)');
