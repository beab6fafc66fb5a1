-- Local-only shim, part 5: change capture for Realtime's postgres_changes.
-- Hosted Supabase reads the WAL through a logical replication slot; locally a row
-- trigger on every table in publication `supabase_realtime` sends the change to
-- the gateway with pg_notify (delivered at commit, in commit order). Migrations
-- never reference any of this: they only `alter publication supabase_realtime add table ...`.

create schema if not exists cityloop_realtime;
revoke all on schema cityloop_realtime from public;
grant usage on schema cityloop_realtime to authenticator;
comment on schema cityloop_realtime is 'Local stack only: change capture for /realtime/v1 (never in migrations).';

-- NOTIFY payloads must stay under 8000 bytes: a bigger change is kept here and the
-- notification carries its id and the row's primary key. The gateway reads it back;
-- rows older than ten minutes are swept by the next oversized change.
create unlogged table if not exists cityloop_realtime.stash (
  id bigint generated always as identity primary key,
  created_at timestamptz not null default now(),
  payload json not null
);
create index if not exists stash_created_at_idx on cityloop_realtime.stash (created_at);
revoke all on cityloop_realtime.stash from public;
grant select on cityloop_realtime.stash to authenticator;

-- Security definer: writers (e.g. `authenticated` through /rest/v1) may not write the stash themselves.
create or replace function cityloop_realtime.capture() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  -- Numbers the changes of one transaction: NOTIFY drops identical payloads within a transaction.
  seq integer := coalesce(nullif(current_setting('cityloop_realtime.seq', true), ''), '0')::integer + 1;
  head json;
  body text;
  stash_id bigint;
  pk json;
begin
  perform set_config('cityloop_realtime.seq', seq::text, true);
  head := json_build_object(
    'schema', tg_table_schema, 'table', tg_table_name, 'type', tg_op,
    'commit_timestamp', to_char(clock_timestamp() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'xid', pg_current_xact_id()::text, 'seq', seq);
  body := left(head::text, -1)
    || case when tg_op <> 'DELETE' then ', "record" : ' || to_json(new)::text else '' end
    || case when tg_op <> 'INSERT' then ', "old_record" : ' || to_json(old)::text else '' end
    || '}';
  if octet_length(body) >= 7900 then
    insert into cityloop_realtime.stash (payload) values (body::json) returning id into stash_id;
    delete from cityloop_realtime.stash where created_at < now() - interval '10 minutes';
    select json_object_agg(a.attname, to_jsonb(case when tg_op = 'DELETE' then old else new end) -> a.attname)
      into pk
      from pg_catalog.pg_index i
      cross join lateral unnest(i.indkey) as k(attnum)
      join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
      where i.indrelid = tg_relid and i.indisprimary;
    body := left(head::text, -1) || ', "stash" : ' || stash_id || ', "pk" : ' || coalesce(pk::text, 'null') || '}';
  end if;
  perform pg_notify('cityloop_realtime', body);
  return null;
end
$$;
revoke execute on function cityloop_realtime.capture() from public;

-- Puts the capture trigger on every table of the publication and takes it off tables
-- that left it. Idempotent; called by the event trigger below, after migrations and
-- by the gateway when its change listener (re)connects.
create or replace function cityloop_realtime.sync_triggers() returns void
language plpgsql security definer set search_path = ''
as $$
declare
  rel regclass;
begin
  for rel in
    select c.oid::regclass
    from pg_catalog.pg_publication_tables pt
    join pg_catalog.pg_namespace n on n.nspname = pt.schemaname
    join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = pt.tablename
    where pt.pubname = 'supabase_realtime' and c.relkind in ('r', 'p')
      and not exists (select from pg_catalog.pg_trigger t
                      where t.tgrelid = c.oid and t.tgname = 'cityloop_realtime_capture')
  loop
    execute format('create trigger cityloop_realtime_capture after insert or update or delete on %s '
                   'for each row execute function cityloop_realtime.capture()', rel);
  end loop;
  for rel in
    select t.tgrelid::regclass
    from pg_catalog.pg_trigger t
    join pg_catalog.pg_class c on c.oid = t.tgrelid
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where t.tgname = 'cityloop_realtime_capture' and t.tgparentid = 0
      and not exists (select from pg_catalog.pg_publication_tables pt
                      where pt.pubname = 'supabase_realtime' and pt.schemaname = n.nspname
                        and pt.tablename = c.relname)
  loop
    execute format('drop trigger cityloop_realtime_capture on %s', rel);
  end loop;
end
$$;
revoke execute on function cityloop_realtime.sync_triggers() from public;
grant execute on function cityloop_realtime.sync_triggers() to authenticator;

-- After DDL that can change what is published or who may read it: sync the triggers,
-- and tell the gateway to drop its cached table shapes, grants and policies.
create or replace function cityloop_realtime.on_ddl() returns event_trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform cityloop_realtime.sync_triggers();
  perform pg_notify('cityloop_realtime', '{"kind": "catalog"}');
end
$$;
revoke execute on function cityloop_realtime.on_ddl() from public;

drop event trigger if exists cityloop_realtime_sync;
create event trigger cityloop_realtime_sync on ddl_command_end
  when tag in ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE', 'DROP TABLE',
               'CREATE PUBLICATION', 'ALTER PUBLICATION', 'DROP PUBLICATION',
               'CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'GRANT', 'REVOKE')
  execute function cityloop_realtime.on_ddl();

select cityloop_realtime.sync_triggers();
