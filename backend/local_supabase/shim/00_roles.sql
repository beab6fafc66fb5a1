-- Local-only shim, part 1: the roles hosted Supabase already has.
-- Modelled on supabase/postgres migrations/db/init-scripts/00000000000000-initial-schema.sql.
-- Never part of backend/supabase/migrations: hosted Supabase provides all of this.

do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  -- The gateway's REST login: may only switch to the three API roles.
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit nosuperuser nocreatedb nocreaterole;
  end if;
  -- Auth and Storage services own their schemas, as upstream's GoTrue and storage-api do.
  if not exists (select from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin login noinherit nosuperuser nocreatedb nocreaterole;
  end if;
  if not exists (select from pg_roles where rolname = 'supabase_storage_admin') then
    create role supabase_storage_admin login noinherit nosuperuser nocreatedb nocreaterole;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to supabase_storage_admin;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
-- The service role (jobs, admin tools) runs without a limit, not under the login's 8 s.
alter role service_role set statement_timeout = 0;

create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
create schema if not exists graphql_public;
grant usage on schema graphql_public to anon, authenticated, service_role;

grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
