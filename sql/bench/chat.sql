-- Benchmark data for chat: one business with 31 members who may reply (1 admin, 30 editors) and
-- 10,000 customers, each with one conversation of 100 messages (1,000,000 in all), generated in
-- batches of conversations so the caller can show progress:
--   call bench.prepare_chat_business();
--   call bench.generate_chat(first_conversation, last_conversation);
--   call bench.finish_chat();
-- Conversation c (id 71000000-…-<c in hex>) is customer c's; its messages alternate customer and
-- admin, one a minute, the last of conversation c at c seconds after 2026-01-01, so inbox order
-- is spread over every conversation. Deterministic. Run as supabase_admin on a throwaway
-- database (scripts/lib/scratch-database.ts); triggers are off while loading (no broadcasts
-- for history), so the loader keeps the denormalised columns right itself.
create schema if not exists bench;

create or replace function bench.chat_business_id() returns uuid
language sql immutable
as $$ select '70000000-0000-4000-8000-000000000001'::uuid $$;

create or replace function bench.chat_member_id(m int) returns uuid
language sql immutable
as $$ select ('70000000-0000-4000-8000-' || lpad(to_hex(1000 + m), 12, '0'))::uuid $$;

create or replace function bench.chat_customer_id(c int) returns uuid
language sql immutable
as $$ select ('72000000-0000-4000-8000-' || lpad(to_hex(c), 12, '0'))::uuid $$;

create or replace function bench.chat_conversation_id(c int) returns uuid
language sql immutable
as $$ select ('71000000-0000-4000-8000-' || lpad(to_hex(c), 12, '0'))::uuid $$;

create or replace procedure bench.prepare_chat_business()
language plpgsql
as $$
begin
  insert into auth.users (id, instance_id, aud, role, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at, created_at, updated_at)
  select id, '00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated', email, '{}',
         jsonb_build_object('full_name', name), now(), now(), now()
  from (
    select bench.chat_member_id(m) as id, 'chat-member' || m || '@bench.example' as email, 'Member ' || m as name
    from generate_series(0, 30) m
    union all
    select bench.chat_customer_id(c), 'chat-customer' || c || '@bench.example', 'Customer ' || c
    from generate_series(1, 10000) c
  ) u;
  insert into public.businesses (id, name, slug, created_by)
  values (bench.chat_business_id(), 'Chat bench', 'chat-bench', bench.chat_member_id(0));
  insert into public.business_members (business_id, user_id, role)
  select bench.chat_business_id(), bench.chat_member_id(m), case when m = 0 then 'admin' else 'editor' end::public.business_role
  from generate_series(0, 30) m;
end;
$$;

create or replace procedure bench.generate_chat(first_conversation int, last_conversation int)
language plpgsql
as $$
begin
  set local session_replication_role = replica;
  insert into public.conversations (id, business_id, customer_id, status, last_seq, last_message_at, created_at, updated_at)
  select bench.chat_conversation_id(c), bench.chat_business_id(), bench.chat_customer_id(c), 'open', 100,
         timestamptz '2026-01-01' + make_interval(secs => c),
         timestamptz '2026-01-01' + make_interval(secs => c) - interval '100 minutes',
         timestamptz '2026-01-01' + make_interval(secs => c)
  from generate_series(first_conversation, last_conversation) c;
  insert into public.chat_messages (conversation_id, business_id, customer_id, sender_id, body, client_id, seq, created_at, updated_at)
  select bench.chat_conversation_id(c), bench.chat_business_id(), bench.chat_customer_id(c),
         case when s % 2 = 1 then bench.chat_customer_id(c) else bench.chat_member_id(0) end,
         'Message ' || s || ' of conversation ' || c || ': do you still have the yellow maize in 90 kg bags?',
         gen_random_uuid(), s,
         timestamptz '2026-01-01' + make_interval(secs => c) - make_interval(mins => 100 - s),
         timestamptz '2026-01-01' + make_interval(secs => c) - make_interval(mins => 100 - s)
  from generate_series(first_conversation, last_conversation) c, generate_series(1, 100) s;
  -- The admin has read half of each conversation; the customer all but the last reply.
  insert into public.conversation_reads (conversation_id, user_id, business_id, customer_id, last_read_seq, read_at)
  select bench.chat_conversation_id(c), u.id, bench.chat_business_id(), bench.chat_customer_id(c), u.seq, now()
  from generate_series(first_conversation, last_conversation) c
  cross join lateral (values (bench.chat_member_id(0), 50::bigint), (bench.chat_customer_id(c), 99::bigint)) u (id, seq);
end;
$$;

create or replace procedure bench.finish_chat()
language plpgsql
as $$
begin
  analyze public.conversations;
  analyze public.chat_messages;
  analyze public.conversation_reads;
end;
$$;
