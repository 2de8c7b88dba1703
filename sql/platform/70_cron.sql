-- pg_cron stand-in: the same schema, tables and functions; the local stack's cron worker runs
-- due jobs (scripts/lib/cron-worker.ts) as the role that scheduled them and records each run.
-- mirrors: citusdata/pg_cron pg_cron.sql (cron.job, cron.job_run_details, cron.schedule,
-- cron.unschedule); Supabase enables it as an extension and grants it to postgres
-- (supabase/postgres migrations/db/init-scripts, docs guides/cron).
create schema if not exists cron;
grant usage on schema cron to postgres;

create table if not exists cron.job (
  jobid bigserial primary key,
  schedule text not null,
  command text not null,
  nodename text not null default 'localhost',
  nodeport int not null default 5432,
  database text not null default current_database(),
  username text not null default current_user,
  active boolean not null default true,
  jobname text,
  unique (jobname, username)
);
comment on table cron.job is 'pg_cron: scheduled jobs.';

create table if not exists cron.job_run_details (
  jobid bigint,
  runid bigserial primary key,
  job_pid int,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);
comment on table cron.job_run_details is 'pg_cron: one row per job run.';

-- pg_cron accepts five-field cron expressions and '[1-59] seconds'.
create or replace function cron.valid_schedule(schedule text) returns boolean
language sql immutable
as $$
  select schedule ~ '^\s*[1-5]?[0-9]\s+seconds?\s*$'
      or schedule ~ '^\s*(\S+\s+){4}\S+\s*$'
$$;

create or replace function cron.schedule(job_name text, schedule text, command text) returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  id bigint;
begin
  if not cron.valid_schedule(schedule) then
    raise exception 'invalid schedule: %', schedule;
  end if;
  insert into cron.job (jobname, schedule, command, username)
  values (job_name, schedule, command, session_user)
  on conflict (jobname, username) do update set schedule = excluded.schedule, command = excluded.command, active = true
  returning jobid into id;
  return id;
end
$$;

create or replace function cron.schedule(schedule text, command text) returns bigint
language sql
security definer
set search_path = ''
as $$
  select cron.schedule(null::text, schedule, command)
$$;

create or replace function cron.unschedule(job_name text) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from cron.job where jobname = job_name and username = session_user;
  if not found then
    raise exception 'could not find valid entry for job ''%''', job_name;
  end if;
  return true;
end
$$;

create or replace function cron.unschedule(job_id bigint) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from cron.job where jobid = job_id and username = session_user;
  if not found then
    raise exception 'could not find valid entry for job %', job_id;
  end if;
  return true;
end
$$;

revoke all on function cron.schedule(text, text, text), cron.schedule(text, text), cron.unschedule(text),
  cron.unschedule(bigint) from public;
grant execute on function cron.schedule(text, text, text), cron.schedule(text, text), cron.unschedule(text),
  cron.unschedule(bigint), cron.valid_schedule(text) to postgres;
grant select, update, delete on cron.job to postgres;
grant select, delete on cron.job_run_details to postgres;
