-- Realtime Broadcast/Presence authorization: realtime.messages and its helpers.
-- mirrors: supabase/realtime priv/repo/migrations (tenant) 20240919163303_add_messages_table …
--          20241019105805_add_realtime_topic, realtime.send, realtime.broadcast_changes.
create schema if not exists realtime;
grant usage on schema realtime to postgres, anon, authenticated, service_role;
grant all on schema realtime to supabase_realtime_admin;

-- Partitioned by inserted_at upstream; a plain table is enough for authorization and tests.
create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now(),
  id uuid not null default gen_random_uuid(),
  primary key (id, inserted_at)
);
create index if not exists messages_topic_idx on realtime.messages (topic, inserted_at);
alter table realtime.messages owner to supabase_realtime_admin;
alter table realtime.messages enable row level security;
comment on table realtime.messages is 'Realtime: Broadcast/Presence messages; RLS on it authorizes private channels.';
grant select, insert, update on realtime.messages to anon, authenticated, service_role;
grant all on realtime.messages to postgres;

create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;

create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
begin
  begin
    -- Writes only the broadcast row; the Realtime server fans it out to subscribers.
    insert into realtime.messages (payload, event, topic, private, extension)
    values (payload, event, topic, private, 'broadcast');
  exception when others then
    raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

create or replace function realtime.broadcast_changes(
  topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text default 'ROW'
) returns void
language plpgsql
as $$
declare
  row_data jsonb := case when new is not null then to_jsonb(new) end;
  old_data jsonb := case when old is not null then to_jsonb(old) end;
  payload jsonb;
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  if operation not in ('INSERT', 'UPDATE', 'DELETE') then
    raise exception 'unsupported operation: %', operation;
  end if;
  payload := jsonb_build_object(
    'old_record', old_data, 'record', row_data, 'operation', operation,
    'table', table_name, 'schema', table_schema
  );
  perform realtime.send(payload, event_name, topic_name);
end;
$$;

alter function realtime.topic() owner to supabase_realtime_admin;
alter function realtime.send(jsonb, text, text, boolean) owner to supabase_realtime_admin;
alter function realtime.broadcast_changes(text, text, text, text, text, record, record, text) owner to supabase_realtime_admin;
grant execute on function realtime.topic() to anon, authenticated, service_role, postgres;
grant execute on function realtime.send(jsonb, text, text, boolean) to postgres, service_role, authenticated;
grant execute on function realtime.broadcast_changes(text, text, text, text, text, record, record, text)
  to postgres, service_role, authenticated;

-- Migrations (as postgres) create policies on realtime.messages, as on a hosted project.
grant supabase_realtime_admin to postgres;

-- Local delivery: upstream, Realtime streams inserts into realtime.messages by logical
-- replication (lib/realtime/tenants/replication_connection.ex), so only committed rows reach
-- subscribers. Locally the same guarantee comes from NOTIFY, which Postgres delivers on commit
-- only; the local Realtime server (scripts/lib/realtime-server.ts) listens and reads the rows.
create or replace function realtime.notify_local_server() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform pg_catalog.pg_notify('realtime_local_messages', new.id::text);
  return null;
end;
$$;
alter function realtime.notify_local_server() owner to supabase_realtime_admin;
revoke execute on function realtime.notify_local_server() from public;
drop trigger if exists notify_local_server on realtime.messages;
create trigger notify_local_server after insert on realtime.messages
  for each row execute function realtime.notify_local_server();
