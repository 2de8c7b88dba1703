-- Foundation: the private schema for internals and the project's default privileges.
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

-- ============================================================================
-- Default privileges
-- ============================================================================
-- Global, not per schema: per-schema default privileges can only add to the global ones.
alter default privileges for role postgres revoke execute on functions from public;
