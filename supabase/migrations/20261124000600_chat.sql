-- Chat between customers and businesses, delivered over Supabase Realtime private channels.
--
-- A conversation joins one customer and one business; the business side is every member whose
-- role holds `chat.read` (reads) or `chat.reply` (reads and sends), decided from live
-- role_permissions at each request, so a removed member loses access on their next request.
-- Messages are written only through the RPCs below: send_message locks the conversation row and
-- bumps its counter in the same transaction, so `seq` is strictly increasing per conversation
-- under any concurrency, and a sender's `client_id` makes a retried send return the first
-- message. Each participant has a read cursor (`conversation_reads.last_read_seq`) that never
-- moves back.
--
-- Realtime: triggers broadcast every new, edited and deleted message and every read receipt to
-- the private topic `conversation:<id>` after the change (realtime.send, so a rolled-back
-- change is never delivered), and "conversation updated" to `business:<id>:inbox` and
-- `user:<customer_id>`. Policies on realtime.messages decide who may join: participants
-- receive and track presence on `conversation:<id>`, where no client broadcasts; those who may
-- send broadcast typing on `conversation:<id>:typing`.
--
-- Offline e-mail: a cron job queues, through the notifications outbox, one e-mail per
-- participant and conversation at most every hour when a message from the other side has been
-- unread for 10 minutes. The e-mail names the business and counts the unread messages; it
-- never quotes a message.
--
-- Error codes: 22023 invalid argument (400), 42501 not allowed (403, 401 for anon), PT404 not
-- found (also for conversations the caller may not see), PT409 conflicting state, PT422 a rule
-- refused the change, PT429 rate limit.

-- ============================================================================
-- Types
-- ============================================================================
create type public.conversation_status as enum ('open', 'closed');
comment on type public.conversation_status is 'open: messages may be sent; closed: by the business, read-only (a new start_conversation opens a new one).';

-- The offline e-mail's kind; used only by functions (plpgsql), never in this transaction.
alter type public.notification_kind add value if not exists 'chat_unread';

-- ============================================================================
-- Tables
-- ============================================================================
create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  customer_id uuid not null references auth.users (id) on delete cascade,
  product_id uuid references public.products (id) on delete set null,
  order_id uuid references public.orders (id) on delete set null,
  status public.conversation_status not null default 'open',
  -- The seq of the last message; send_message bumps it under the row lock.
  last_seq bigint not null default 0 check (last_seq >= 0),
  last_message_at timestamptz,
  -- What inboxes sort by: the last message, or the start for a conversation without one.
  activity_at timestamptz generated always as (coalesce(last_message_at, created_at)) stored,
  closed_at timestamptz,
  closed_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Messages and reads copy business_id/customer_id for their policies; this key keeps them right.
  unique (id, business_id, customer_id),
  check ((status = 'closed') = (closed_at is not null))
);
comment on table public.conversations is 'A chat between a customer and a business, opened with start_conversation(). Read by the customer and the business''s chat.read members; changed only through the chat RPCs.';

create table public.chat_messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null,
  business_id uuid not null,
  customer_id uuid not null,
  sender_id uuid not null references auth.users (id) on delete cascade,
  body text check (char_length(body) between 1 and 4000),
  attachments text[] not null default '{}' check (cardinality(attachments) <= 10),
  client_id uuid not null,
  seq bigint not null check (seq > 0),
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  updated_at timestamptz not null default now(),
  foreign key (conversation_id, business_id, customer_id)
    references public.conversations (id, business_id, customer_id) on delete cascade,
  -- History pages and catch-up walk this index; unread counts read sender and deletion from it.
  constraint chat_messages_conversation_seq_key unique (conversation_id, seq) include (sender_id, deleted_at),
  -- The sender's idempotency key.
  constraint chat_messages_sender_client_id_key unique (sender_id, client_id),
  -- A live message says something; a deleted one keeps its place without body or attachments.
  check (case when deleted_at is null then body is not null or cardinality(attachments) > 0
              else body is null and cardinality(attachments) = 0 end)
);
comment on table public.chat_messages is 'Messages of a conversation, numbered by seq (strictly increasing per conversation). Read by the conversation''s participants; written only by send_message, edit_message and delete_message.';
comment on column public.chat_messages.attachments is 'Paths in the chat-attachments bucket, <conversation_id>/<sender_id>/<file>, each uploaded by the sender.';
comment on column public.chat_messages.client_id is 'The sender''s idempotency key: sending again with it returns the first message.';

create table public.conversation_reads (
  conversation_id uuid not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  business_id uuid not null,
  customer_id uuid not null,
  last_read_seq bigint not null default 0 check (last_read_seq >= 0),
  read_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (conversation_id, user_id),
  foreign key (conversation_id, business_id, customer_id)
    references public.conversations (id, business_id, customer_id) on delete cascade
);
comment on table public.conversation_reads is 'Each participant''s read cursor in a conversation (read receipts). Read by the conversation''s participants; moved forward only by mark_read.';

-- When each participant was last e-mailed about a conversation (at most one e-mail an hour).
create table private.chat_email_log (
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  last_sent_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (conversation_id, user_id)
);
comment on table private.chat_email_log is 'Last unread-chat e-mail per participant and conversation, written by private.queue_chat_unread_emails.';

-- The chat-attachments bucket (config.toml declares the same for the local CLI stack). Private:
-- only a conversation's participants may read its files.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('chat-attachments', 'chat-attachments', false, 10485760, array['image/jpeg', 'image/png', 'image/webp', 'image/gif'])
on conflict (id) do nothing;

-- ============================================================================
-- Indexes
-- ============================================================================
-- One open conversation per (business, customer); start_conversation relies on it.
create unique index conversations_one_open_idx on public.conversations (business_id, customer_id) where status = 'open';
-- Inbox pages, newest first, per business and per customer.
create index conversations_business_activity_idx on public.conversations (business_id, activity_at desc, id desc);
create index conversations_customer_activity_idx on public.conversations (customer_id, activity_at desc, id desc);
-- The guests' budget counts a business's conversations of the last hour.
create index conversations_business_created_idx on public.conversations (business_id, created_at);
-- The offline e-mail job looks at recently active conversations only.
create index conversations_last_message_at_idx on public.conversations (last_message_at) where last_message_at is not null;
create index conversations_product_idx on public.conversations (product_id) where product_id is not null;
create index conversations_order_idx on public.conversations (order_id) where order_id is not null;
create index conversations_closed_by_idx on public.conversations (closed_by) where closed_by is not null;
-- The rate limit counts a sender's recent messages.
create index chat_messages_sender_created_idx on public.chat_messages (sender_id, created_at);
create index chat_messages_conversation_business_customer_idx on public.chat_messages (conversation_id, business_id, customer_id);
create index conversation_reads_user_idx on public.conversation_reads (user_id);
create index conversation_reads_conversation_business_customer_idx on public.conversation_reads (conversation_id, business_id, customer_id);
create index chat_email_log_user_idx on private.chat_email_log (user_id);

-- ============================================================================
-- Helpers (private schema)
-- ============================================================================
-- The caller's part in a conversation: 'customer', 'reply' (a member with chat.reply), 'read'
-- (a member with chat.read only) or null. Live permissions, read at each call. Called only from
-- SECURITY DEFINER functions, so no API role needs EXECUTE.
create function private.chat_role(business_id uuid, customer_id uuid) returns text
language sql
stable
set search_path = ''
as $$
  select case
    when chat_role.customer_id = (select auth.uid()) then 'customer'
    when chat_role.business_id = any (private.business_ids_with_permission('chat.reply')) then 'reply'
    when chat_role.business_id = any (private.business_ids_with_permission('chat.read')) then 'read'
  end
$$;
revoke all on function private.chat_role(uuid, uuid) from public;

-- What the caller may do on a Realtime topic: 'presence' (receive, track presence), 'typing'
-- (receive, broadcast), 'read' (receive) or null. `conversation:<id>` carries the database's
-- message and read events and presence: no client may broadcast there, since Realtime's write
-- probe cannot see an event's name and a participant could otherwise broadcast a forged
-- `message_created`. Typing goes to `conversation:<id>:typing`, where the customer and chat.reply
-- members broadcast. The inbox topic is for chat.read members, the user topic for that user
-- alone. Ids must be spelled as the database spells them (lower-case, hyphenated), so that no
-- second spelling of a topic exists.
-- SECURITY DEFINER: Realtime's probes run as the user, and conversations are read here without
-- their policies (which would run per probe row).
create function private.chat_topic_access(topic text) returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  caller uuid := (select auth.uid());
  target uuid;
  part text;
begin
  if caller is null or topic is null then
    return null;
  end if;
  if topic ~ '^conversation:[^:]+(:typing)?$' then
    target := private.uuid_or_null(split_part(topic, ':', 2));
    if target::text is distinct from split_part(topic, ':', 2) then
      return null;
    end if;
    select private.chat_role(c.business_id, c.customer_id) into part
    from public.conversations c where c.id = target;
    if part is null then
      return null;
    elsif split_part(topic, ':', 3) = '' then
      return 'presence';
    end if;
    return case when part in ('customer', 'reply') then 'typing' else 'read' end;
  elsif topic ~ '^business:[^:]+:inbox$' then
    target := private.uuid_or_null(split_part(topic, ':', 2));
    return case when target = any (private.business_ids_with_permission('chat.read'))
                 and target::text = split_part(topic, ':', 2) then 'read' end;
  elsif topic ~ '^user:[^:]+$' then
    return case when private.uuid_or_null(substr(topic, 6)) = caller and substr(topic, 6) = caller::text then 'read' end;
  end if;
  return null;
end;
$$;
revoke all on function private.chat_topic_access(text) from public;
grant execute on function private.chat_topic_access(text) to authenticated;
comment on function private.chat_topic_access(text) is
  'What the current user may do on a chat Realtime topic (presence, typing, read or null). Policies on realtime.messages call it as an init plan: `(select private.chat_topic_access((select realtime.topic())))`.';

-- Where an attachment may be uploaded: <conversation_id>/<caller>/<file>, in an open conversation
-- the caller may send to, at a path no live message names: the bytes a message showed are
-- never replaced afterwards (an upsert, or a delete and a new upload under the same name),
-- whatever the 15-minute edit window says. Runs as the caller, so the conversation and its
-- messages must also pass their policies (a sender reads the conversation's messages).
create function private.is_chat_upload_path(object_name text, caller uuid, reply_business_ids uuid[]) returns boolean
language sql
stable
set search_path = ''
as $$
  select array_length(storage.foldername(object_name), 1) = 2
     and (storage.foldername(object_name))[2] = caller::text
     and exists (
       select 1 from public.conversations c
       where c.id = private.uuid_or_null((storage.foldername(object_name))[1])
         and (storage.foldername(object_name))[1] = c.id::text
         and c.status = 'open'
         and (c.customer_id = caller or c.business_id = any (reply_business_ids))
         and not exists (
           select 1 from public.chat_messages m
           where m.conversation_id = c.id and m.attachments @> array[object_name]
         )
     )
$$;
revoke all on function private.is_chat_upload_path(text, uuid, uuid[]) from public;
grant execute on function private.is_chat_upload_path(text, uuid, uuid[]) to authenticated;

-- Validates a message's body and attachments; returns the body trimmed of outer blank space.
create function private.chat_clean_body(body text, attachment_count int) returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  cleaned text := nullif(btrim(body, E' \t\r\n'), '');
begin
  if cleaned is null and attachment_count = 0 then
    raise exception 'A message needs a body or an attachment.' using errcode = '22023';
  end if;
  if char_length(cleaned) > 4000 then
    raise exception 'A message may be at most 4000 characters long (got %).', char_length(cleaned) using errcode = '22023';
  end if;
  return cleaned;
end;
$$;
revoke all on function private.chat_clean_body(text, int) from public;

-- Locks a conversation the caller takes part in and says as what (chat_role); 404 otherwise,
-- whether it does not exist or is not theirs. The row lock orders concurrent sends and closes.
create function private.lock_conversation(conversation_id uuid, out conversation public.conversations, out part text)
language plpgsql
set search_path = ''
as $$
begin
  select * into conversation from public.conversations c where c.id = lock_conversation.conversation_id for update;
  part := case when found then private.chat_role(conversation.business_id, conversation.customer_id) end;
  if part is null then
    raise exception 'Conversation % not found.', conversation_id using errcode = 'PT404';
  end if;
end;
$$;
revoke all on function private.lock_conversation(uuid) from public;

-- Sends one message as `sender`; start_conversation and send_message share it.
-- The conversation row lock orders concurrent sends: each takes the next seq.
create function private.post_chat_message(conversation_id uuid, sender uuid, body text, attachments text[], client_id uuid)
returns public.chat_messages
language plpgsql
set search_path = ''
as $$
declare
  files text[] := coalesce(attachments, '{}');
  conversation public.conversations;
  locked record;
  message public.chat_messages;
  cleaned text;
  part text;
  bad_path text;
  next_seq bigint;
begin
  if conversation_id is null then
    raise exception 'conversation_id is required.' using errcode = '22023';
  end if;
  -- A retry returns the first message: no lock, no quota, nothing sent again.
  if client_id is not null then
    select * into message from public.chat_messages m
    where m.sender_id = sender and m.client_id = post_chat_message.client_id;
    if found then
      if message.conversation_id <> post_chat_message.conversation_id then
        raise exception 'This client_id was already used for a message in another conversation.' using errcode = 'PT409';
      end if;
      return message;
    end if;
  end if;

  if cardinality(files) > 10 then
    raise exception 'A message may have at most 10 attachments (got %).', cardinality(files) using errcode = '22023';
  end if;
  if array_position(files, null) is not null
     or (select count(distinct f) from unnest(files) f) <> cardinality(files) then
    raise exception 'Attachments must be distinct paths.' using errcode = '22023';
  end if;
  cleaned := private.chat_clean_body(body, cardinality(files));

  select * into locked from private.lock_conversation(conversation_id);
  conversation := locked.conversation;
  part := locked.part;
  if part = 'read' then
    raise exception 'You need the chat.reply permission in this business to send messages.' using errcode = '42501';
  end if;
  if conversation.status = 'closed' then
    raise exception 'This conversation is closed; start a new one.' using errcode = 'PT409';
  end if;

  -- A retry that raced the first send waited on the lock above and finds it now.
  if client_id is not null then
    select * into message from public.chat_messages m
    where m.sender_id = sender and m.client_id = post_chat_message.client_id;
    if found then
      return message;
    end if;
  end if;

  if (select count(*) from (
        select 1 from public.chat_messages m
        where m.sender_id = sender and m.created_at > now() - interval '1 minute' limit 30) recent) >= 30 then
    raise exception 'You can send at most 30 messages a minute; wait a little.' using errcode = 'PT429';
  end if;

  select f into bad_path from unnest(files) f
  where array_length(storage.foldername(f), 1) is distinct from 2
     or (storage.foldername(f))[1] <> conversation.id::text
     or (storage.foldername(f))[2] <> sender::text
     or not exists (
       select 1 from storage.objects o
       where o.bucket_id = 'chat-attachments' and o.name = f and o.owner_id = sender::text
     )
  limit 1;
  if bad_path is not null then
    raise exception 'Attachment "%" is not a file you uploaded to this conversation (<conversation_id>/<your user id>/<file> in chat-attachments).', bad_path
      using errcode = '22023';
  end if;

  update public.conversations c
  set last_seq = c.last_seq + 1, last_message_at = greatest(c.last_message_at, now())
  where c.id = conversation.id
  returning c.last_seq into next_seq;

  insert into public.chat_messages (conversation_id, business_id, customer_id, sender_id, body, attachments, client_id, seq)
  values (conversation.id, conversation.business_id, conversation.customer_id, sender, cleaned, files,
          coalesce(post_chat_message.client_id, gen_random_uuid()), next_seq)
  returning * into message;
  return message;
end;
$$;
revoke all on function private.post_chat_message(uuid, uuid, text, text[], uuid) from public;

-- A message the caller sent, locked, for edit_message/delete_message: raises unless the caller
-- is its sender, may still send in the conversation, and is within the 15-minute window.
create function private.own_recent_message(message_id uuid) returns public.chat_messages
language plpgsql
set search_path = ''
as $$
declare
  message public.chat_messages;
  part text;
begin
  if message_id is null then
    raise exception 'message_id is required.' using errcode = '22023';
  end if;
  select * into message from public.chat_messages m where m.id = message_id for update;
  part := case when found then private.chat_role(message.business_id, message.customer_id) end;
  if part is null then
    raise exception 'Message % not found.', message_id using errcode = 'PT404';
  end if;
  if message.sender_id <> (select auth.uid()) or part = 'read' then
    raise exception 'Only the sender may change a message.' using errcode = '42501';
  end if;
  if message.deleted_at is not null then
    raise exception 'This message was deleted.' using errcode = 'PT409';
  end if;
  if now() > message.created_at + interval '15 minutes' then
    raise exception 'Messages can be changed for 15 minutes after they are sent.' using errcode = 'PT422';
  end if;
  if exists (select 1 from public.conversations c where c.id = message.conversation_id and c.status = 'closed') then
    raise exception 'This conversation is closed.' using errcode = 'PT409';
  end if;
  return message;
end;
$$;
revoke all on function private.own_recent_message(uuid) from public;

-- ============================================================================
-- Triggers
-- ============================================================================
create trigger set_updated_at before update on public.conversations
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.chat_messages
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.conversation_reads
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on private.chat_email_log
  for each row execute function private.set_updated_at();

-- What a message event carries: the message as participants read it from the table.
create function private.chat_message_payload(message public.chat_messages) returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', message.id, 'conversation_id', message.conversation_id, 'sender_id', message.sender_id,
    'seq', message.seq, 'body', message.body, 'attachments', to_jsonb(message.attachments),
    'client_id', message.client_id, 'created_at', message.created_at, 'edited_at', message.edited_at,
    'deleted_at', message.deleted_at
  )
$$;
revoke all on function private.chat_message_payload(public.chat_messages) from public;

-- SECURITY DEFINER: writes realtime.messages whatever the writer's own Realtime policies allow.
create function private.broadcast_chat_message() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.send(
    private.chat_message_payload(new),
    case when tg_op = 'INSERT' then 'message_created'
         when new.deleted_at is not null then 'message_deleted'
         else 'message_updated' end,
    'conversation:' || new.conversation_id,
    true);
  return null;
end;
$$;
revoke all on function private.broadcast_chat_message() from public;

create trigger broadcast_chat_message after insert or update of body, attachments, deleted_at on public.chat_messages
  for each row execute function private.broadcast_chat_message();

-- SECURITY DEFINER: writes realtime.messages whatever the reader's own Realtime policies allow.
create function private.broadcast_conversation_read() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.send(
    jsonb_build_object('conversation_id', new.conversation_id, 'user_id', new.user_id,
                       'last_read_seq', new.last_read_seq, 'read_at', new.read_at),
    'read',
    'conversation:' || new.conversation_id,
    true);
  return null;
end;
$$;
revoke all on function private.broadcast_conversation_read() from public;

create trigger broadcast_conversation_read after insert or update of last_read_seq on public.conversation_reads
  for each row execute function private.broadcast_conversation_read();

-- SECURITY DEFINER: writes realtime.messages whatever the caller's own Realtime policies allow.
create function private.broadcast_conversation_updated() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  payload jsonb := jsonb_build_object(
    'conversation_id', new.id, 'business_id', new.business_id, 'customer_id', new.customer_id,
    'status', new.status, 'last_seq', new.last_seq, 'last_message_at', new.last_message_at);
begin
  perform realtime.send(payload, 'conversation_updated', 'business:' || new.business_id || ':inbox', true);
  perform realtime.send(payload, 'conversation_updated', 'user:' || new.customer_id, true);
  return null;
end;
$$;
revoke all on function private.broadcast_conversation_updated() from public;

create trigger broadcast_conversation_updated after insert or update of status, last_seq on public.conversations
  for each row execute function private.broadcast_conversation_updated();

-- ============================================================================
-- Policies
-- ============================================================================
alter table public.conversations enable row level security;
alter table public.chat_messages enable row level security;
alter table public.conversation_reads enable row level security;
alter table private.chat_email_log enable row level security;
-- chat_email_log: no policy; only the cron job (as postgres) uses it.

create policy "Participants can read their conversations" on public.conversations
  for select to authenticated
  using (
    customer_id = (select auth.uid())
    or business_id = any ((select private.business_ids_with_permission('chat.read'))::uuid[])
  );

create policy "Participants can read their conversations' messages" on public.chat_messages
  for select to authenticated
  using (
    customer_id = (select auth.uid())
    or business_id = any ((select private.business_ids_with_permission('chat.read'))::uuid[])
  );

create policy "Participants can read their conversations' read receipts" on public.conversation_reads
  for select to authenticated
  using (
    customer_id = (select auth.uid())
    or business_id = any ((select private.business_ids_with_permission('chat.read'))::uuid[])
  );

-- Storage: chat attachments live at <conversation_id>/<uploader_id>/<file>.
-- `objects.name` is spelled out: inside the subqueries a bare `name` could be another column.
create policy "Chat senders can upload attachments to their own folder of a conversation" on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'chat-attachments'
    and private.is_chat_upload_path(objects.name, (select auth.uid()),
                                    (select private.business_ids_with_permission('chat.reply'))::uuid[])
  );
-- Upserts (replacing a file) need UPDATE as well as INSERT.
create policy "Chat senders can replace attachments in their own folder" on storage.objects
  for update to authenticated
  using (
    bucket_id = 'chat-attachments'
    and (storage.foldername(objects.name))[2] = (select auth.uid())::text
  )
  with check (
    bucket_id = 'chat-attachments'
    and private.is_chat_upload_path(objects.name, (select auth.uid()),
                                    (select private.business_ids_with_permission('chat.reply'))::uuid[])
  );
create policy "Chat participants can read their conversations' attachments" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'chat-attachments'
    and exists (
      -- Under the conversations policy: the customer or a chat.read member.
      select 1 from public.conversations c
      where c.id = private.uuid_or_null((storage.foldername(objects.name))[1])
    )
  );
create policy "Chat senders can delete the attachments they uploaded" on storage.objects
  for delete to authenticated
  using (
    bucket_id = 'chat-attachments'
    and (storage.foldername(objects.name))[2] = (select auth.uid())::text
    and exists (
      select 1 from public.conversations c
      where c.id = private.uuid_or_null((storage.foldername(objects.name))[1])
    )
  );

-- Realtime Authorization: joining a private channel probes these as the user (read = SELECT,
-- write = INSERT); realtime.topic() is the channel's topic.
create policy "Chat participants can receive their conversation, inbox and user topics" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension in ('broadcast', 'presence')
    and (select private.chat_topic_access((select realtime.topic()))) is not null
  );
create policy "Conversation participants can share presence, and those who may send can broadcast typing" on realtime.messages
  for insert to authenticated
  with check (
    (realtime.messages.extension = 'presence'
      and (select private.chat_topic_access((select realtime.topic()))) = 'presence')
    or (realtime.messages.extension = 'broadcast'
      and (select private.chat_topic_access((select realtime.topic()))) = 'typing')
  );

-- ============================================================================
-- RPCs
-- ============================================================================

-- SECURITY DEFINER: inserts the conversation (and its first message), which no API role may insert.
create function public.start_conversation(
  business_id uuid, body text default null, product_id uuid default null, order_id uuid default null
) returns public.conversations
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  caller uuid := private.require_user();
  conversation public.conversations;
begin
  if start_conversation.business_id is null then
    raise exception 'business_id is required.' using errcode = '22023';
  end if;
  if not exists (select 1 from public.businesses b where b.id = start_conversation.business_id) then
    raise exception 'Business % not found.', start_conversation.business_id using errcode = 'PT404';
  end if;
  if exists (select 1 from public.business_members m where m.business_id = start_conversation.business_id and m.user_id = caller) then
    raise exception 'You are a member of this business; customers start conversations.' using errcode = 'PT422';
  end if;
  if start_conversation.product_id is not null and not exists (
    select 1 from public.products p
    where p.id = start_conversation.product_id and p.business_id = start_conversation.business_id and p.status = 'approved'
  ) then
    raise exception 'Product % is not a product of this business.', start_conversation.product_id using errcode = 'PT404';
  end if;
  if start_conversation.order_id is not null and not exists (
    select 1 from public.orders o
    where o.id = start_conversation.order_id and o.business_id = start_conversation.business_id and o.customer_id = caller
  ) then
    raise exception 'Order % is not one of your orders from this business.', start_conversation.order_id using errcode = 'PT404';
  end if;
  if start_conversation.body is not null then
    perform private.chat_clean_body(start_conversation.body, 0);
  end if;

  -- A new anonymous sign-in per conversation would get round every per-sender limit (and each
  -- conversation may e-mail every chat.read member hourly): anonymous sign-ins share a budget of
  -- 20 new conversations per business per hour, counted under a per-business lock; confirmed
  -- customers are not counted against it.
  if (select u.is_anonymous from auth.users u where u.id = caller) and not exists (
    select 1 from public.conversations c
    where c.business_id = start_conversation.business_id and c.customer_id = caller and c.status = 'open'
  ) then
    perform pg_advisory_xact_lock(hashtextextended('start_conversation:anonymous:' || start_conversation.business_id::text, 0));
    if (select count(*) from public.conversations c join auth.users u on u.id = c.customer_id
        where c.business_id = start_conversation.business_id and c.created_at > now() - interval '1 hour' and u.is_anonymous) >= 20 then
      raise exception 'This business received too many conversations from guests in the last hour: sign up, or try again later.' using errcode = 'PT429';
    end if;
  end if;

  -- The partial unique index makes a concurrent start wait, then find the other's conversation.
  insert into public.conversations (business_id, customer_id, product_id, order_id)
  values (start_conversation.business_id, caller, start_conversation.product_id, start_conversation.order_id)
  on conflict (business_id, customer_id) where status = 'open' do nothing
  returning * into conversation;
  if not found then
    select * into conversation from public.conversations c
    where c.business_id = start_conversation.business_id and c.customer_id = caller and c.status = 'open';
  end if;

  if start_conversation.body is not null then
    perform private.post_chat_message(conversation.id, caller, start_conversation.body, '{}', null);
    select * into conversation from public.conversations c where c.id = conversation.id;
  end if;
  return conversation;
end;
$$;
revoke all on function public.start_conversation(uuid, text, uuid, uuid) from public;
grant execute on function public.start_conversation(uuid, text, uuid, uuid) to authenticated;
comment on function public.start_conversation(uuid, text, uuid, uuid) is
  'Opens a conversation with a business (or returns the open one), optionally about an approved product or one of the caller''s orders, and posts `body` when given.';

-- SECURITY DEFINER: inserts the message and moves the conversation's counter, which no API role may write.
create function public.send_message(conversation_id uuid, body text, attachments text[] default '{}', client_id uuid default null)
returns public.chat_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_user();
begin
  return private.post_chat_message(conversation_id, caller, body, attachments, client_id);
end;
$$;
revoke all on function public.send_message(uuid, text, text[], uuid) from public;
grant execute on function public.send_message(uuid, text, text[], uuid) to authenticated;
comment on function public.send_message(uuid, text, text[], uuid) is
  'Sends a message (body up to 4000 characters, up to 10 attachments uploaded by the sender to <conversation_id>/<sender_id>/). The same client_id again returns the first message. 30 messages a minute per sender.';

-- SECURITY DEFINER: updates the message, which no API role may update.
create function public.edit_message(message_id uuid, body text) returns public.chat_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  message public.chat_messages := private.own_recent_message(message_id);
begin
  update public.chat_messages m
  set body = private.chat_clean_body(edit_message.body, cardinality(message.attachments)), edited_at = now()
  where m.id = message.id
  returning * into message;
  return message;
end;
$$;
revoke all on function public.edit_message(uuid, text) from public;
grant execute on function public.edit_message(uuid, text) to authenticated;
comment on function public.edit_message(uuid, text) is 'The sender changes a message''s body within 15 minutes of sending it.';

-- SECURITY DEFINER: updates the message, which no API role may update.
create function public.delete_message(message_id uuid) returns public.chat_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  message public.chat_messages := private.own_recent_message(message_id);
begin
  update public.chat_messages m
  set body = null, attachments = '{}', deleted_at = now()
  where m.id = message.id
  returning * into message;
  return message;
end;
$$;
revoke all on function public.delete_message(uuid) from public;
grant execute on function public.delete_message(uuid) to authenticated;
comment on function public.delete_message(uuid) is 'The sender deletes a message within 15 minutes of sending it; it keeps its seq, without body or attachments.';

-- SECURITY DEFINER: writes the caller's read cursor, which no API role may write.
create function public.mark_read(conversation_id uuid, up_to_seq bigint) returns public.conversation_reads
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_user();
  conversation public.conversations;
  receipt public.conversation_reads;
begin
  if conversation_id is null or up_to_seq is null or up_to_seq < 0 then
    raise exception 'conversation_id and a non-negative up_to_seq are required.' using errcode = '22023';
  end if;
  select * into conversation from public.conversations c where c.id = mark_read.conversation_id;
  if not found or private.chat_role(conversation.business_id, conversation.customer_id) is null then
    raise exception 'Conversation % not found.', conversation_id using errcode = 'PT404';
  end if;
  -- Never beyond the last message, never back.
  insert into public.conversation_reads (conversation_id, user_id, business_id, customer_id, last_read_seq, read_at)
  values (conversation.id, caller, conversation.business_id, conversation.customer_id, least(up_to_seq, conversation.last_seq), now())
  on conflict on constraint conversation_reads_pkey do update
    set last_read_seq = excluded.last_read_seq, read_at = excluded.read_at
    where conversation_reads.last_read_seq < excluded.last_read_seq
  returning * into receipt;
  if not found then
    select * into receipt from public.conversation_reads r where r.conversation_id = conversation.id and r.user_id = caller;
  end if;
  return receipt;
end;
$$;
revoke all on function public.mark_read(uuid, bigint) from public;
grant execute on function public.mark_read(uuid, bigint) to authenticated;
comment on function public.mark_read(uuid, bigint) is 'Moves the caller''s read cursor forward to up_to_seq (capped at the last message); never back.';

-- SECURITY DEFINER: updates the conversation, which no API role may update.
create function public.close_conversation(conversation_id uuid) returns public.conversations
language plpgsql
security definer
set search_path = ''
as $$
declare
  conversation public.conversations;
  part text;
  locked record;
begin
  perform private.require_user();
  if conversation_id is null then
    raise exception 'conversation_id is required.' using errcode = '22023';
  end if;
  select * into locked from private.lock_conversation(conversation_id);
  conversation := locked.conversation;
  part := locked.part;
  if part <> 'reply' then
    raise exception 'You need the chat.reply permission in this business to close a conversation.' using errcode = '42501';
  end if;
  if conversation.status = 'open' then
    update public.conversations c
    set status = 'closed', closed_at = now(), closed_by = (select auth.uid())
    where c.id = conversation.id
    returning * into conversation;
  end if;
  return conversation;
end;
$$;
revoke all on function public.close_conversation(uuid) from public;
grant execute on function public.close_conversation(uuid) to authenticated;
comment on function public.close_conversation(uuid) is 'A chat.reply member closes a conversation (idempotent); the customer''s next start_conversation opens a new one.';

-- SECURITY DEFINER: shows members the customer's display name (profiles are private to their
-- owner); rows are limited to the caller's conversations explicitly.
create function public.chat_inbox(before_at timestamptz default null, before_id uuid default null, page_size int default 20)
returns table (
  conversation_id uuid, business_id uuid, business_name text, customer_id uuid, customer_name text,
  as_customer boolean, status public.conversation_status, product_id uuid, order_id uuid,
  last_seq bigint, activity_at timestamptz, last_message jsonb, last_read_seq bigint, unread_count bigint
)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  caller uuid := private.require_user();
  readable uuid[];
begin
  if page_size is null or page_size not between 1 and 100 then
    raise exception 'page_size must be between 1 and 100.' using errcode = '22023';
  end if;
  if (before_at is null) <> (before_id is null) then
    raise exception 'before_at and before_id go together (the last row''s activity_at and conversation_id).' using errcode = '22023';
  end if;
  readable := private.business_ids_with_permission('chat.read');
  return query
  with page as (
    select * from (
      -- Each source walks its own index newest first and stops after a page.
      (select c.id, c.business_id, c.customer_id, c.status, c.product_id, c.order_id, c.last_seq, c.activity_at, true as as_customer
       from public.conversations c
       where c.customer_id = caller
         and (before_at is null or (c.activity_at, c.id) < (before_at, before_id))
       order by c.activity_at desc, c.id desc
       limit page_size)
      union all
      select b.id, b.business_id, b.customer_id, b.status, b.product_id, b.order_id, b.last_seq, b.activity_at, false
      from unnest(readable) as r (business_id)
      cross join lateral (
        select c.* from public.conversations c
        where c.business_id = r.business_id and c.customer_id <> caller
          and (before_at is null or (c.activity_at, c.id) < (before_at, before_id))
        order by c.activity_at desc, c.id desc
        limit page_size
      ) b
    ) both_sides
    order by activity_at desc, id desc
    limit page_size
  )
  select p.id, p.business_id, biz.name, p.customer_id,
         coalesce(nullif(btrim(prof.full_name), ''), 'Customer'),
         p.as_customer, p.status, p.product_id, p.order_id, p.last_seq, p.activity_at,
         (select jsonb_build_object('id', m.id, 'seq', m.seq, 'sender_id', m.sender_id, 'body', left(m.body, 200),
                                    'attachment_count', cardinality(m.attachments), 'created_at', m.created_at,
                                    'deleted', m.deleted_at is not null)
          from public.chat_messages m where m.conversation_id = p.id and m.seq = p.last_seq),
         coalesce(rd.last_read_seq, 0),
         -- Unread: live messages from the other side after the caller's cursor. Ordered by seq so
         -- the planner walks the covering index (index-only) instead of visiting scattered rows.
         (select count(*) from (
            select 1 from public.chat_messages m
            where m.conversation_id = p.id and m.seq > coalesce(rd.last_read_seq, 0) and m.deleted_at is null
              and (case when p.as_customer then m.sender_id <> p.customer_id else m.sender_id = p.customer_id end)
            order by m.seq) unread)
  from page p
  join public.businesses biz on biz.id = p.business_id
  left join public.profiles prof on prof.id = p.customer_id
  left join public.conversation_reads rd on rd.conversation_id = p.id and rd.user_id = caller
  order by p.activity_at desc, p.id desc;
end;
$$;
revoke all on function public.chat_inbox(timestamptz, uuid, int) from public;
grant execute on function public.chat_inbox(timestamptz, uuid, int) to authenticated;
comment on function public.chat_inbox(timestamptz, uuid, int) is
  'The caller''s conversations (as customer, and of every business where they hold chat.read), newest first, with the last message and the unread count. Next page: pass the last row''s activity_at and conversation_id.';

-- SECURITY INVOKER: the policies on conversations and chat_messages decide what it returns.
create function public.messages_since(conversation_id uuid, after_seq bigint, max_rows int default 200)
returns setof public.chat_messages
language plpgsql
stable
set search_path = ''
as $$
begin
  if conversation_id is null or after_seq is null or after_seq < 0 then
    raise exception 'conversation_id and a non-negative after_seq are required.' using errcode = '22023';
  end if;
  if max_rows is null or max_rows not between 1 and 1000 then
    raise exception 'max_rows must be between 1 and 1000.' using errcode = '22023';
  end if;
  if not exists (select 1 from public.conversations c where c.id = messages_since.conversation_id) then
    raise exception 'Conversation % not found.', conversation_id using errcode = 'PT404';
  end if;
  return query
  select m.* from public.chat_messages m
  where m.conversation_id = messages_since.conversation_id and m.seq > after_seq
  order by m.seq
  limit max_rows;
end;
$$;
revoke all on function public.messages_since(uuid, bigint, int) from public;
grant execute on function public.messages_since(uuid, bigint, int) to authenticated;
comment on function public.messages_since(uuid, bigint, int) is
  'Catch-up after a reconnect: the messages after after_seq, in seq order, at most max_rows (call again from the last seq until fewer come back).';

-- ============================================================================
-- Offline e-mail (cron)
-- ============================================================================
-- Queues one chat_unread e-mail per participant and conversation when a message from the other
-- side has been unread for 10 minutes, at most one an hour per (conversation, participant).
-- Looks only at conversations active in the last day (the job runs every minute). Returns how
-- many e-mails it queued. `at` is the clock, a parameter so tests can move it.
create function private.queue_chat_unread_emails(at timestamptz default now()) returns int
language plpgsql
set search_path = ''
as $$
declare
  due record;
  queued int := 0;
begin
  for due in
    with recent as (
      select c.id, c.business_id, c.customer_id
      from public.conversations c
      where c.last_message_at > at - interval '1 day'
    ), participants as (
      select r.id, r.business_id, r.customer_id, r.customer_id as user_id, true as is_customer from recent r
      union all
      select r.id, r.business_id, r.customer_id, m.user_id, false
      from recent r
      join public.business_members m on m.business_id = r.business_id
      join public.role_permissions rp on rp.role = m.role and rp.permission = 'chat.read'
    )
    select p.*, coalesce(rd.last_read_seq, 0) as read_seq
    from participants p
    left join public.conversation_reads rd on rd.conversation_id = p.id and rd.user_id = p.user_id
    where exists (
        select 1 from public.chat_messages msg
        where msg.conversation_id = p.id and msg.seq > coalesce(rd.last_read_seq, 0) and msg.deleted_at is null
          and msg.created_at <= at - interval '10 minutes'
          and (case when p.is_customer then msg.sender_id <> p.customer_id else msg.sender_id = p.customer_id end)
      )
      and not exists (
        select 1 from private.chat_email_log l
        where l.conversation_id = p.id and l.user_id = p.user_id and l.last_sent_at > at - interval '1 hour'
      )
  loop
    perform private.queue_notification(
      'chat_unread',
      private.user_email(due.user_id),
      jsonb_build_object(
        'conversation_id', due.id,
        'business_id', due.business_id,
        'business_name', (select b.name from public.businesses b where b.id = due.business_id),
        'recipient_name', private.user_display_name(due.user_id),
        'for_business', not due.is_customer,
        -- Members see who wrote; customers see the business's name.
        'from_name', case when due.is_customer then (select b.name from public.businesses b where b.id = due.business_id)
                          else private.user_display_name(due.customer_id) end,
        'unread_count', (select count(*) from public.chat_messages msg
                         where msg.conversation_id = due.id and msg.seq > due.read_seq and msg.deleted_at is null
                           and (case when due.is_customer then msg.sender_id <> due.customer_id
                                     else msg.sender_id = due.customer_id end))
      ),
      format('chat_unread:%s:%s:%s', due.id, due.user_id, extract(epoch from date_trunc('minute', at))::bigint));
    insert into private.chat_email_log as l (conversation_id, user_id, last_sent_at)
    values (due.id, due.user_id, at)
    on conflict (conversation_id, user_id) do update set last_sent_at = excluded.last_sent_at;
    queued := queued + 1;
  end loop;
  return queued;
end;
$$;
revoke all on function private.queue_chat_unread_emails(timestamptz) from public;
comment on function private.queue_chat_unread_emails(timestamptz) is
  'The offline e-mail job: queues chat_unread e-mails for messages unread 10 minutes after they arrived, at most one an hour per participant and conversation.';

-- Every minute, where pg_cron exists (see private.schedule_job).
select private.schedule_job('chat-unread-emails', '* * * * *', 'select private.queue_chat_unread_emails()');

-- ============================================================================
-- Grants
-- ============================================================================
grant select on public.conversations, public.chat_messages, public.conversation_reads to authenticated;
grant select, insert, update, delete on public.conversations, public.chat_messages, public.conversation_reads to service_role;
