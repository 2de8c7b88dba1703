-- pg_net stand-in: the same functions and tables; the local stack's delivery worker sends
-- queued requests after commit (it LISTENs on net_http_request_queue) and records responses.
-- mirrors: supabase/pg_net sql/pg_net.sql
create schema if not exists net;
grant usage on schema net to postgres, anon, authenticated, service_role, supabase_functions_admin;

do $$
begin
  if not exists (select 1 from pg_type where typname = 'http_method' and typnamespace = 'net'::regnamespace) then
    create type net.http_method as enum ('GET', 'POST', 'DELETE');
  end if;
end
$$;

create unlogged table if not exists net.http_request_queue (
  id bigserial primary key,
  method net.http_method not null,
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds int not null
);

create unlogged table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out bool,
  error_msg text,
  created timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);


create or replace function net._enqueue(method net.http_method, url text, params jsonb, headers jsonb, body bytea, timeout_milliseconds int)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  request_id bigint;
  query text;
begin
  if url is null or url !~* '^https?://' then
    raise exception 'net: url must start with http:// or https://' using errcode = '22023';
  end if;
  select string_agg(format('%s=%s', key, value), '&') into query from jsonb_each_text(coalesce(params, '{}'));
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method,
          url || case when query is null then '' when position('?' in url) > 0 then '&' || query else '?' || query end,
          coalesce(headers, '{}'), body, coalesce(timeout_milliseconds, 5000))
  returning id into request_id;
  -- Notifications are delivered on commit only: a rolled-back request never leaves.
  perform pg_notify('net_http_request_queue', request_id::text);
  return request_id;
end;
$$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language sql
security definer
set search_path = ''
as $$
  select net._enqueue('GET', url, params, headers, null, timeout_milliseconds)
$$;

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language sql
security definer
set search_path = ''
as $$
  select net._enqueue('POST', url, params, headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
$$;

create or replace function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language sql
security definer
set search_path = ''
as $$
  select net._enqueue('DELETE', url, params, headers, null, timeout_milliseconds)
$$;

revoke all on function net._enqueue(net.http_method, text, jsonb, jsonb, bytea, int) from public;
revoke all on function net.http_get(text, jsonb, jsonb, int), net.http_post(text, jsonb, jsonb, jsonb, int),
  net.http_delete(text, jsonb, jsonb, int) from public;
-- mirrors: supabase/postgres migrations 20240822021428_enable_webhooks_by_default.sql grants
grant execute on function net.http_get(text, jsonb, jsonb, int), net.http_post(text, jsonb, jsonb, jsonb, int),
  net.http_delete(text, jsonb, jsonb, int) to postgres, supabase_functions_admin, service_role;
grant select on net._http_response to postgres, service_role;

-- Database webhooks. mirrors: supabase/postgres init-scripts/00000000000003-post-setup.sql and
-- migrations/db/migrations/20240822021428_enable_webhooks_by_default.sql
create schema if not exists supabase_functions authorization supabase_functions_admin;
grant usage on schema supabase_functions to postgres, anon, authenticated, service_role;

create table if not exists supabase_functions.hooks (
  id bigserial primary key,
  hook_table_id integer not null,
  hook_name text not null,
  created_at timestamptz not null default now(),
  request_id bigint
);
create index if not exists supabase_functions_hooks_request_id_idx on supabase_functions.hooks (request_id);
create index if not exists supabase_functions_hooks_h_table_id_h_name_idx on supabase_functions.hooks (hook_table_id, hook_name);
comment on table supabase_functions.hooks is 'Supabase Functions Hooks: Audit trail for triggered hooks.';

-- TG_ARGV: url, method, headers (json), params (json), timeout_ms.
create or replace function supabase_functions.http_request() returns trigger
language plpgsql
security definer
set search_path = supabase_functions
as $$
declare
  request_id bigint;
  payload jsonb;
  url text := tg_argv[0]::text;
  method text := tg_argv[1]::text;
  headers jsonb default '{}'::jsonb;
  params jsonb default '{}'::jsonb;
  timeout_ms integer default 1000;
begin
  if url is null or url = 'null' then
    raise exception 'url argument is missing';
  end if;
  if method is null or method = 'null' then
    raise exception 'method argument is missing';
  end if;
  if tg_argv[2] is not null and tg_argv[2] <> 'null' then headers := tg_argv[2]::jsonb; end if;
  if tg_argv[3] is not null and tg_argv[3] <> 'null' then params := tg_argv[3]::jsonb; end if;
  if tg_argv[4] is not null and tg_argv[4] <> 'null' then timeout_ms := tg_argv[4]::integer; end if;

  case
    when method = 'GET' then
      select net.http_get(url, params, headers, timeout_ms) into request_id;
    when method = 'POST' then
      payload := jsonb_build_object(
        'old_record', old, 'record', new, 'type', tg_op, 'table', tg_table_name, 'schema', tg_table_schema
      );
      select net.http_post(url, payload, params, headers, timeout_ms) into request_id;
    else
      raise exception 'method argument % is invalid', method;
  end case;

  insert into supabase_functions.hooks (hook_table_id, hook_name, request_id) values (tg_relid, tg_name, request_id);
  return new;
end
$$;

alter table supabase_functions.hooks owner to supabase_functions_admin;
alter function supabase_functions.http_request() owner to supabase_functions_admin;
grant all on supabase_functions.hooks to postgres, service_role;
grant all on all sequences in schema supabase_functions to postgres, service_role;
revoke all on function supabase_functions.http_request() from public;
grant execute on function supabase_functions.http_request() to postgres, anon, authenticated, service_role;
