-- Roles, memberships and per-role settings of Supabase's Postgres image.
-- mirrors: supabase/postgres migrations/db/init-scripts/00000000000000-initial-schema.sql,
--          migrations/db/migrations/20230529180330_alter_api_roles_for_inherit.sql
do $$
declare
  spec record;
begin
  for spec in select * from (values
    ('postgres', 'login nosuperuser createdb createrole replication bypassrls inherit'),
    ('anon', 'nologin noinherit'),
    ('authenticated', 'nologin noinherit'),
    ('service_role', 'nologin noinherit bypassrls'),
    ('authenticator', 'login noinherit'),
    ('supabase_auth_admin', 'login noinherit createrole'),
    ('supabase_storage_admin', 'login noinherit createrole'),
    ('supabase_realtime_admin', 'nologin noinherit'),
    ('supabase_functions_admin', 'login noinherit createrole'),
    ('supabase_replication_admin', 'login replication'),
    ('supabase_read_only_user', 'login bypassrls'),
    ('dashboard_user', 'nologin createdb createrole replication')
  ) as s(name, attrs) loop
    if not exists (select 1 from pg_roles where rolname = spec.name) then
      execute format('create role %I', spec.name);
    end if;
    execute format('alter role %I %s', spec.name, spec.attrs);
  end loop;
end
$$;

-- Local passwords match `supabase start`.
alter role supabase_admin password 'postgres';
alter role postgres password 'postgres';
alter role authenticator password 'postgres';
alter role supabase_auth_admin password 'postgres';
alter role supabase_storage_admin password 'postgres';
alter role supabase_functions_admin password 'postgres';

-- mirrors: 20230529180330_alter_api_roles_for_inherit.sql (the API roles inherit since 2023).
alter role anon inherit;
alter role authenticated inherit;
alter role service_role inherit;

-- mirrors: initial-schema.sql (authenticator switches to the API roles per request).
grant anon, authenticated, service_role to authenticator;
-- mirrors: 20230201083204_grant_auth_roles_to_postgres.sql
grant anon, authenticated, service_role to postgres with admin option;
-- The Storage API switches to the caller's role inside its transactions.
grant anon, authenticated, service_role to supabase_storage_admin;
grant pg_read_all_data to supabase_read_only_user;

-- mirrors: initial-schema.sql and 20221028101028_set_authenticator_timeout.sql
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role supabase_admin set search_path = public, extensions;
alter role supabase_auth_admin set search_path = auth;
alter role supabase_storage_admin set search_path = storage;
alter role supabase_auth_admin set idle_in_transaction_session_timeout = '60s';

-- Migrations run as postgres, and the Supabase CLI creates schema supabase_migrations.
grant all on database postgres to postgres with grant option;
grant connect on database postgres to authenticator, supabase_auth_admin, supabase_storage_admin,
  supabase_functions_admin, supabase_read_only_user, supabase_replication_admin;

-- mirrors: initial-schema.sql. On Supabase the public schema belongs to the database owner
-- role; postgres owns it here so migrations can manage it.
alter schema public owner to postgres;
grant usage on schema public to anon, authenticated, service_role;
grant all on schema public to postgres;
-- Deliberately no `alter default privileges ... grant ... to anon, authenticated, service_role`
-- in public: since 2026-10-30 new public tables, sequences and functions are not exposed to the
-- API roles automatically (config [api] auto_expose_new_tables = false).
