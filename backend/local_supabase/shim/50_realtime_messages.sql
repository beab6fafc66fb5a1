-- Local-only shim, part 6: Realtime Authorization's `realtime.messages` and `realtime.topic()`.
-- As supabase/realtime's tenant migrations define them (20240523004032_redefine_authorization_tables,
-- 20241030150047_messages_partitioning, 20241108114728_messages_using_uuid), except that the table
-- is not partitioned by day: locally no row outlives its transaction. The gateway authorises a
-- private channel (`"private": true` in the join config) by inserting and selecting rows here as
-- the caller, with `realtime.topic` set, then rolling back; the project's RLS policies on this
-- table decide. Migrations may add policies on it: hosted Supabase has the same table.

create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone not null default now(),
  inserted_at timestamp without time zone not null default now(),
  id uuid not null default gen_random_uuid(),
  primary key (id, inserted_at)
);
create index if not exists messages_topic_idx on realtime.messages (topic);
comment on table realtime.messages is
  'Realtime Authorization: RLS policies here decide who may read (select) and send (insert) on a private channel.';

alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;

-- The channel's topic (without the `realtime:` prefix) while its access is being checked.
create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text;
$$;
grant execute on function realtime.topic() to anon, authenticated, service_role;
