-- AI assistant: chat sessions and messages, an agricultural knowledge base, per-user rate limits
-- and the grounding queries the chatbot function runs with the caller's rights.
--
-- Sessions belong to the user who opened them (anonymous sign-ins included); members with
-- `chat.read` read the sessions of their business's assistant (lead capture). Owners may change
-- only their visitor details. Messages are written only by the chatbot function (no API role
-- may insert, update or delete them), after it has checked as the caller that the session is
-- theirs. Grounding reads run as the caller, so RLS decides what the model may see.

-- ============================================================================
-- Types
-- ============================================================================
create type public.chatbot_message_role as enum ('user', 'assistant');
comment on type public.chatbot_message_role is 'Who wrote a chatbot message: the person chatting or the assistant.';

-- ============================================================================
-- Tables
-- ============================================================================
create table public.chatbot_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  -- null: the marketplace's assistant; otherwise the store whose assistant it is.
  business_id uuid references public.businesses (id) on delete cascade,
  visitor_name text check (char_length(btrim(visitor_name)) between 1 and 200),
  visitor_email text check (visitor_email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$' and char_length(visitor_email) <= 320),
  visitor_phone text check (visitor_phone ~ '^\+?[0-9 ()-]{6,32}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.chatbot_sessions is 'A conversation with a store''s assistant (or the marketplace''s when business_id is null). Read by its owner and by the business''s chat.read members; the owner may edit the visitor details.';

create table public.chatbot_messages (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references public.chatbot_sessions (id) on delete cascade,
  role public.chatbot_message_role not null,
  content text not null check (char_length(content) <= 20000),
  model text check (char_length(model) <= 100),
  input_tokens int check (input_tokens >= 0),
  output_tokens int check (output_tokens >= 0),
  finish_reason text check (char_length(finish_reason) <= 50),
  error text check (char_length(error) <= 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.chatbot_messages is 'Every turn of every chatbot conversation, with the model, token usage, finish reason and any upstream error. Written only by the chatbot function.';

create table public.knowledge_articles (
  id uuid primary key default gen_random_uuid(),
  -- null: marketplace-wide; otherwise the business's own article.
  business_id uuid references public.businesses (id) on delete cascade,
  title text not null check (char_length(btrim(title)) between 1 and 200),
  body text not null check (char_length(btrim(body)) between 1 and 20000),
  tags text[] not null default '{}' check (cardinality(tags) <= 20),
  language text not null default 'en' check (language ~ '^[a-z]{2}$'),
  search_vector tsvector not null default ''::tsvector,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.knowledge_articles is 'Farming know-how the assistant grounds its answers on. Public; marketplace-wide when business_id is null, else written by the business''s managers.';

-- Fixed-window counters behind the per-user chatbot rate limits (private.take_chatbot_quota).
create table private.chatbot_usage (
  user_id uuid not null references auth.users (id) on delete cascade,
  window_kind text not null check (window_kind in ('minute', 'day')),
  window_start timestamptz not null,
  used int not null check (used >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (user_id, window_kind, window_start)
);
comment on table private.chatbot_usage is 'Messages each user sent to the chatbot per minute and per day; counted atomically by private.take_chatbot_quota.';

-- ============================================================================
-- Indexes
-- ============================================================================
create index chatbot_sessions_user_idx on public.chatbot_sessions (user_id, created_at);
create index chatbot_sessions_business_idx on public.chatbot_sessions (business_id, created_at);
create index chatbot_messages_session_idx on public.chatbot_messages (session_id, created_at);
create index knowledge_articles_search_idx on public.knowledge_articles using gin (search_vector);
create index knowledge_articles_business_idx on public.knowledge_articles (business_id);

-- ============================================================================
-- Helpers
-- ============================================================================
create function private.set_knowledge_search_vector() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- `simple`, like products: Swahili and English articles are searched alike.
  new.search_vector := setweight(to_tsvector('simple'::regconfig, new.title), 'A')
    || setweight(to_tsvector('simple'::regconfig, array_to_string(new.tags, ' ')), 'B')
    || setweight(to_tsvector('simple'::regconfig, new.body), 'C');
  return new;
end;
$$;
revoke all on function private.set_knowledge_search_vector() from public;

-- The terms of a question as an OR query: a question rarely contains every word of a product.
-- Callers compute it once and pass it on (as a parameter it is not re-evaluated per row).
create function private.question_tsquery(terms text[])
returns tsquery
language sql
immutable
set search_path = ''
as $$
  select nullif(string_agg(quote_literal(lower(t)), ' | '), '')::tsquery
  from unnest(terms) as t
  where t ~ '^[[:alnum:]-]{2,40}$'
$$;
revoke all on function private.question_tsquery(text[]) from public;
grant execute on function private.question_tsquery(text[]) to authenticated;

-- SECURITY INVOKER (the default) on purpose: the chatbot runs it as the caller, so the products
-- policies decide what may reach the model; the status filter keeps members' drafts out too.
-- At most 200 candidates are ranked, which bounds the work whatever the catalogue size.
-- PL/pgSQL so that each branch keeps a plan of its own: one store's question walks that store's
-- products, a marketplace question the search index.
create function private.assistant_products(query tsquery, business uuid, max_rows int)
returns table (id uuid, business_id uuid, name text, description text, price numeric, currency text,
               unit text, stock_quantity int)
language plpgsql
stable
set search_path = ''
as $$
begin
  if business is null then
    return query
      select c.id, c.business_id, c.name, left(c.description, 300), c.price, c.currency, c.unit, c.stock_quantity
      from (
        select p.id, p.business_id, p.name, p.description, p.price, p.currency, p.unit, p.stock_quantity,
               ts_rank(p.search_vector, query) as rank
        from public.products p
        where p.search_vector @@ query and p.status = 'approved'
        limit 200
      ) c
      order by c.rank desc, c.name
      limit least(greatest(max_rows, 0), 20);
  else
    return query
      select c.id, c.business_id, c.name, left(c.description, 300), c.price, c.currency, c.unit, c.stock_quantity
      from (
        select p.id, p.business_id, p.name, p.description, p.price, p.currency, p.unit, p.stock_quantity,
               ts_rank(p.search_vector, query) as rank
        from public.products p
        where p.business_id = business and p.status = 'approved' and p.search_vector @@ query
        limit 200
      ) c
      order by c.rank desc, c.name
      limit least(greatest(max_rows, 0), 20);
  end if;
end;
$$;
revoke all on function private.assistant_products(tsquery, uuid, int) from public;
grant execute on function private.assistant_products(tsquery, uuid, int) to authenticated;

-- SECURITY INVOKER, like assistant_products: marketplace-wide articles plus the store's own.
create function private.assistant_knowledge(query tsquery, business uuid, max_rows int)
returns table (id uuid, title text, body text, language text)
language sql
stable
set search_path = ''
as $$
  select c.id, c.title, left(c.body, 1200), c.language
  from (
    select k.id, k.title, k.body, k.language, ts_rank(k.search_vector, query) as rank
    from public.knowledge_articles k
    where k.search_vector @@ query
      and (k.business_id is null or k.business_id = business)
    limit 200
  ) c
  order by c.rank desc, c.title
  limit least(greatest(max_rows, 0), 10)
$$;
revoke all on function private.assistant_knowledge(tsquery, uuid, int) from public;
grant execute on function private.assistant_knowledge(tsquery, uuid, int) to authenticated;

-- Counts one message against the user's minute and day windows, atomically: the counter rows
-- are locked by the upsert, so concurrent requests queue and none slips past the limit.
-- Returns 0 when the message may go, else the seconds until the exhausted window ends.
-- Not SECURITY DEFINER: only the chatbot function (as postgres) calls it.
create function private.take_chatbot_quota(target uuid, at timestamptz, per_minute int, per_day int)
returns int
language plpgsql
set search_path = ''
as $$
declare
  minute_start timestamptz := date_trunc('minute', at);
  day_start timestamptz := date_trunc('day', at, 'UTC');
  counted int;
begin
  if per_minute < 1 or per_day < 1 then
    raise exception 'Rate limits must be at least 1 (got % a minute, % a day).', per_minute, per_day
      using errcode = '22023';
  end if;

  insert into private.chatbot_usage as u (user_id, window_kind, window_start, used)
  values (target, 'day', day_start, 1)
  on conflict (user_id, window_kind, window_start) do update set used = u.used + 1 where u.used < per_day
  returning u.used into counted;
  if counted is null then
    return ceil(extract(epoch from (day_start + interval '1 day' - at)))::int;
  end if;

  insert into private.chatbot_usage as u (user_id, window_kind, window_start, used)
  values (target, 'minute', minute_start, 1)
  on conflict (user_id, window_kind, window_start) do update set used = u.used + 1 where u.used < per_minute
  returning u.used into counted;
  if counted is null then
    -- The day window row is locked by this transaction: give back what it just took.
    update private.chatbot_usage set used = used - 1
    where user_id = target and window_kind = 'day' and window_start = day_start;
    return greatest(1, ceil(extract(epoch from (minute_start + interval '1 minute' - at)))::int);
  end if;

  -- Past windows are of no further use: each user keeps at most their current two rows.
  delete from private.chatbot_usage
  where user_id = target
    and ((window_kind = 'minute' and window_start < minute_start) or (window_kind = 'day' and window_start < day_start));
  return 0;
end;
$$;
revoke all on function private.take_chatbot_quota(uuid, timestamptz, int, int) from public;

-- ============================================================================
-- Triggers
-- ============================================================================
create trigger set_search_vector before insert or update of title, tags, body on public.knowledge_articles
  for each row execute function private.set_knowledge_search_vector();
create trigger set_updated_at before update on public.chatbot_sessions
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.chatbot_messages
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.knowledge_articles
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on private.chatbot_usage
  for each row execute function private.set_updated_at();

-- ============================================================================
-- Policies
-- ============================================================================
alter table public.chatbot_sessions enable row level security;
alter table public.chatbot_messages enable row level security;
alter table public.knowledge_articles enable row level security;
-- No policies: only the function's own connection (which bypasses RLS) counts usage.
alter table private.chatbot_usage enable row level security;

create policy "Users can read their own sessions and members their business's" on public.chatbot_sessions
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or business_id = any ((select private.business_ids_with_permission('chat.read'))::uuid[])
  );
create policy "Users can open sessions of their own" on public.chatbot_sessions
  for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy "Users can edit the visitor details of their own sessions" on public.chatbot_sessions
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

-- Messages are visible exactly where their session is (the subquery runs under the sessions policy).
create policy "Users can read the messages of the sessions they can read" on public.chatbot_messages
  for select to authenticated
  using (session_id in (select s.id from public.chatbot_sessions s));

create policy "Anyone can read the knowledge base" on public.knowledge_articles
  for select to anon, authenticated using (true);
create policy "Business managers can add articles to their business" on public.knowledge_articles
  for insert to authenticated
  with check (business_id = any ((select private.business_ids_with_permission('business.manage'))::uuid[]));
create policy "Business managers can edit their business's articles" on public.knowledge_articles
  for update to authenticated
  using (business_id = any ((select private.business_ids_with_permission('business.manage'))::uuid[]))
  with check (business_id = any ((select private.business_ids_with_permission('business.manage'))::uuid[]));
create policy "Business managers can delete their business's articles" on public.knowledge_articles
  for delete to authenticated
  using (business_id = any ((select private.business_ids_with_permission('business.manage'))::uuid[]));

-- ============================================================================
-- Grants
-- ============================================================================
grant select on public.chatbot_sessions to authenticated;
grant insert (business_id, visitor_name, visitor_email, visitor_phone) on public.chatbot_sessions to authenticated;
grant update (visitor_name, visitor_email, visitor_phone) on public.chatbot_sessions to authenticated;

grant select on public.chatbot_messages to authenticated;

grant select on public.knowledge_articles to anon, authenticated;
grant insert (business_id, title, body, tags, language) on public.knowledge_articles to authenticated;
grant update (title, body, tags, language) on public.knowledge_articles to authenticated;
grant delete on public.knowledge_articles to authenticated;

-- Not ALL: TRUNCATE would skip the row triggers; REFERENCES and TRIGGER are schema rights.
grant select, insert, update, delete on public.chatbot_sessions, public.chatbot_messages, public.knowledge_articles
  to service_role;

-- ============================================================================
-- Idempotent messages: a retried request is posted once
-- ============================================================================
-- A client sends an idempotency key with a message (`client_id` in the body or the
-- Idempotency-Key header). The session a keyed first message opened, and the message itself,
-- carry the key, so a retry finds them instead of posting again; the reply points at the
-- question it answers and keeps its sources, so a retry of an answered message is replayed.
alter table public.chatbot_sessions
  add column client_id text check (char_length(client_id) between 8 and 200);
comment on column public.chatbot_sessions.client_id is
  'Idempotency key of the message that opened the session: a retry of it continues this session instead of opening another.';
create unique index chatbot_sessions_client_id_key on public.chatbot_sessions (user_id, client_id);
grant insert (client_id) on public.chatbot_sessions to authenticated;

alter table public.chatbot_messages
  add column client_id text check (char_length(client_id) between 8 and 200),
  add column reply_to uuid references public.chatbot_messages (id) on delete cascade,
  add column sources jsonb check (jsonb_typeof(sources) = 'array');
comment on column public.chatbot_messages.client_id is
  'Idempotency key of a user message, unique in its session: a retried request finds it instead of posting it again.';
comment on column public.chatbot_messages.reply_to is 'On an assistant message: the user message it answers (one answer each).';
comment on column public.chatbot_messages.sources is 'On an assistant message: the products and articles it was grounded on, as the client was shown them.';
create unique index chatbot_messages_client_id_key on public.chatbot_messages (session_id, client_id);
create unique index chatbot_messages_reply_to_key on public.chatbot_messages (reply_to);
