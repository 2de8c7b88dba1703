-- Foundation: the private schema for internals, the project's default privileges, and the
-- generic helpers every capability uses (updated_at, slugs, the signed-in caller, pg_cron
-- jobs, calls to edge functions).
--
-- PostgREST exposes only `public` (and `graphql_public`); everything clients must not call
-- lives in `private`. Postgres grants EXECUTE on every new function to PUBLIC, which would
-- make each new RPC callable by anon: revoke that default so every function's GRANT line
-- is the only way in. Tables need explicit grants anyway (auto_expose_new_tables = false).

-- ============================================================================
-- Schemas
-- ============================================================================
create schema if not exists private;
comment on schema private is 'Sokoni internals: helpers, triggers and jobs. Not exposed by the Data API.';
revoke all on schema private from public;
-- Policies and invoker functions call private helpers as the API roles; each helper's own
-- GRANT decides whether they may.
grant usage on schema private to anon, authenticated, service_role;

-- ============================================================================
-- Default privileges
-- ============================================================================
-- Global, not per schema: per-schema default privileges can only add to the global ones.
alter default privileges for role postgres revoke execute on functions from public;

-- ============================================================================
-- Helpers
-- ============================================================================
create function private.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
revoke all on function private.set_updated_at() from public;

-- A slug from a name: lower-case letters, digits and single hyphens, at most 60 characters;
-- null when nothing is left.
create function private.slugify(input text) returns text
language sql
immutable
set search_path = ''
as $$
  select nullif(left(btrim(regexp_replace(lower(input), '[^a-z0-9]+', '-', 'g'), '-'), 60), '')
$$;
revoke all on function private.slugify(text) from public;

-- The caller's user id; raises 42501 (401 for anon through PostgREST) when the request has no
-- user. Anonymous sign-ins are users; private.require_member_account refuses them as well.
create function private.require_user() returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  caller uuid := (select auth.uid());
begin
  if caller is null then
    raise exception 'Sign in first.' using errcode = '42501';
  end if;
  return caller;
end;
$$;
revoke all on function private.require_user() from public;
-- clear_cart, which runs with its caller's rights, calls it as the caller.
grant execute on function private.require_user() to authenticated, service_role;

-- Schedules a pg_cron job (a job of the same name is replaced) where pg_cron is installed:
-- hosted projects, and the local stack's stand-in. Elsewhere it does nothing and returns null,
-- so the migrations apply on any Postgres. The job runs as the role that calls this.
create function private.schedule_job(job_name text, schedule text, command text) returns bigint
language plpgsql
set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_namespace where nspname = 'cron') then
    return null;
  end if;
  return cron.schedule(job_name, schedule, command);
end;
$$;
revoke all on function private.schedule_job(text, text, text) from public;

-- Calls an edge function after commit (net.http_post is sent by its worker only once the
-- transaction commits), with the functions URL and the service key from Vault, so that no URL
-- or key is written in a migration. Skips with a warning when Vault has neither.
-- SECURITY DEFINER: reads Vault, which only postgres reads.
create function private.call_function(path text, body jsonb, timeout_milliseconds int) returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  base_url text;
  service_key text;
begin
  select s.decrypted_secret into base_url from vault.decrypted_secrets s where s.name = 'functions_base_url';
  select s.decrypted_secret into service_key from vault.decrypted_secrets s where s.name = 'service_role_key';
  if base_url is null or service_key is null then
    raise warning 'Vault secrets functions_base_url and service_role_key are not set: % was not called', path;
    return null;
  end if;
  return net.http_post(
    url := rtrim(base_url, '/') || '/' || path,
    body := body,
    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || service_key),
    timeout_milliseconds := timeout_milliseconds
  );
end;
$$;
revoke all on function private.call_function(text, jsonb, int) from public;
