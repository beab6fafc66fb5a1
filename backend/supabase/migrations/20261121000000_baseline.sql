-- Baseline: extensions and the private schema every later migration builds on.
-- Runs unchanged on hosted Supabase (which already has the `extensions` schema)
-- and on the local stack (whose shim creates it).

create extension if not exists pg_trgm with schema extensions;
create extension if not exists cube with schema extensions;
create extension if not exists earthdistance with schema extensions;

-- Helpers that policies call live here: not exposed through the API.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;
comment on schema private is 'Security-definer helpers for RLS policies and triggers; never exposed through /rest/v1.';
