-- Order exports: CSV of a business's order lines for `orders.export` holders.
--
-- Small exports stream straight from the orders-export function (reading as the caller, so
-- RLS applies). Exports above a configurable number of lines run as a job: the function
-- writes the file to the private `exports` bucket through the Storage API and answers with a
-- signed URL; files older than 7 days are removed by a scheduled cleanup (through the Storage
-- API too: SQL deletes on storage.objects would orphan the stored bytes).

-- ============================================================================
-- Types
-- ============================================================================
create type public.export_job_status as enum ('running', 'succeeded', 'failed');
comment on type public.export_job_status is 'running: the file is being written; succeeded: ready to download; failed: see error.';

-- ============================================================================
-- Tables
-- ============================================================================
create table public.export_jobs (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  requested_by uuid references auth.users (id) on delete set null,
  -- The query string's filters as validated by the function: from, to, status, order_id.
  filters jsonb not null default '{}' check (jsonb_typeof(filters) = 'object'),
  status public.export_job_status not null default 'running',
  line_count bigint check (line_count >= 0),
  -- Object name inside the `exports` bucket.
  storage_path text check (storage_path ~ '^[0-9a-f-]{36}/[0-9a-f-]{36}\.csv$'),
  error text check (char_length(error) <= 2000),
  completed_at timestamptz,
  -- After this the file is removed and the job can no longer be downloaded.
  expires_at timestamptz not null default now() + interval '7 days',
  file_removed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((status = 'running') = (completed_at is null))
);
comment on table public.export_jobs is 'CSV exports too large for one request: written to the private exports bucket, downloadable through a signed URL for 7 days.';

-- ============================================================================
-- Indexes
-- ============================================================================
create index export_jobs_business_idx on public.export_jobs (business_id, created_at desc);
create index export_jobs_requested_by_idx on public.export_jobs (requested_by);
create index export_jobs_expiring_idx on public.export_jobs (expires_at) where file_removed_at is null and storage_path is not null;

-- ============================================================================
-- Storage
-- ============================================================================
-- Private, and no storage policy: only the service key (the function) reads or writes it;
-- people download through signed URLs.
insert into storage.buckets (id, name, public, allowed_mime_types)
values ('exports', 'exports', false, array['text/csv'])
on conflict (id) do nothing;

-- ============================================================================
-- Triggers
-- ============================================================================
create trigger set_updated_at before update on public.export_jobs
  for each row execute function private.set_updated_at();

-- ============================================================================
-- Policies
-- ============================================================================
alter table public.export_jobs enable row level security;

create policy "Exporters read their business's export jobs" on public.export_jobs
  for select to authenticated
  using (business_id = any ((select private.business_ids_with_permission('orders.export'))::uuid[]));
-- Written only by the orders-export function (as postgres, after checking the caller).

-- ============================================================================
-- RPCs (private: called by the orders-export function and the scheduler)
-- ============================================================================
-- The cleanup: asks orders-export to remove expired files through the Storage API.
create function private.request_export_cleanup() returns bigint
language sql
set search_path = ''
as $$
  select private.call_function('orders-export/cleanup', '{}'::jsonb, 60000)
$$;
revoke all on function private.request_export_cleanup() from public;

-- Hourly, where pg_cron exists (see private.schedule_job).
select private.schedule_job('remove-expired-exports', '17 * * * *', 'select private.request_export_cleanup()');

-- ============================================================================
-- Grants
-- ============================================================================
grant select on public.export_jobs to authenticated;
grant select, insert, update, delete on public.export_jobs to service_role;

-- ============================================================================
-- Compressed files in parts: a large export fits the upload limit
-- ============================================================================
-- A 1,000,000-line export is about 286 MiB of CSV, above the storage upload limit (50 MiB).
-- The job writes it gzipped, cut into parts of at most EXPORT_PART_BYTES, each a complete
-- .csv.gz: `<storage_path>/part-0001.csv.gz` and on. storage_path names the job's folder.
alter table public.export_jobs
  drop constraint export_jobs_storage_path_check,
  add constraint export_jobs_storage_path_check check (storage_path ~ '^[0-9a-f-]{36}/[0-9a-f-]{36}$'),
  add column part_count int check (part_count between 1 and 9999),
  add constraint export_jobs_parts_with_path check ((storage_path is null) = (part_count is null));
comment on column public.export_jobs.storage_path is 'The job''s folder in the exports bucket; its files are part-0001.csv.gz up to part_count.';
comment on column public.export_jobs.part_count is 'How many gzip parts the export was written in (each at most EXPORT_PART_BYTES, each a complete CSV).';

update storage.buckets set allowed_mime_types = array['application/gzip'] where id = 'exports';
