-- SOS: one-key emergency help. A person raises an SOS from where they are; it goes to
-- the on-duty grid workers of that grid (level 0), records the caller's emergency
-- contacts, and must be acknowledged within 60 s or it escalates (level 1: the next
-- on-duty worker, level 2: the street's supervisors; see 20261121000800_escalations.sql).
--
--   raise_sos            (new)                          -> sent          any signed-in person (one open SOS each:
--                                                                        a second raise returns the open one)
--   acknowledge_sos      sent                           -> acknowledged  a worker of its grid, a supervisor of its street,
--                                                                        anyone it was escalated to, the service role
--   mark_sos_on_the_way  acknowledged                   -> on_the_way    whoever acknowledged it, a supervisor, service
--   resolve_sos          acknowledged | on_the_way      -> resolved      whoever acknowledged it, a supervisor, service
--   cancel_sos           sent | acknowledged | on_the_way -> cancelled   the caller (false alarm)
--   update_sos_location  sent | acknowledged | on_the_way (unchanged)   the caller
--
-- Every status change and every escalation step is one append-only sos_events row.
-- Location trail: a child table sos_locations (one row per fix, the first written by
-- raise_sos); sos_alerts.lat/lon/accuracy_m keep the latest fix for lists and maps.
-- Location updates are not events (they would flood the timeline).
-- Notifications reuse public.notifications with the new column sos_alert_id.
-- Errors: PT400 bad argument, PT401 not signed in, PT403 caller may not, PT404 no such
-- SOS (or not visible), PT409 illegal transition. The transition is checked first.
-- Nobody writes these tables directly: everything goes through the RPCs.

-- Types ------------------------------------------------------------------
create type public.sos_status as enum ('sent', 'acknowledged', 'on_the_way', 'resolved', 'cancelled');
comment on type public.sos_status is 'SOS lifecycle: sent -> acknowledged -> on_the_way -> resolved; cancelled by the caller (false alarm).';

-- Tables -----------------------------------------------------------------
create table public.sos_alerts (
  id uuid primary key default gen_random_uuid(),
  caller_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  grid_id uuid references public.areas (id),
  street_id uuid references public.areas (id),
  status public.sos_status not null default 'sent',
  note text check (length(note) <= 500),
  lat double precision not null check (lat between -90 and 90),
  lon double precision not null check (lon between -180 and 180),
  accuracy_m double precision check (accuracy_m >= 0),
  emergency_contacts jsonb not null default '[]'::jsonb check (jsonb_typeof(emergency_contacts) = 'array'),
  notified_ids uuid[] not null default '{}',
  assigned_to uuid references auth.users (id) on delete set null,
  acknowledged_by uuid references auth.users (id) on delete set null,
  acknowledged_by_name text,
  acknowledged_at timestamptz,
  on_the_way_at timestamptz,
  resolved_at timestamptz,
  resolved_by uuid references auth.users (id) on delete set null,
  resolution_note text check (length(resolution_note) <= 2000),
  cancelled_at timestamptz,
  escalation_level smallint not null default 0 check (escalation_level between 0 and 2),
  escalated_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.sos_alerts is 'An emergency call for help. Written only by the SOS RPCs and the escalation job; the caller, the workers of its grid, the supervisors of its street and whoever it was escalated to read it.';
comment on column public.sos_alerts.grid_id is 'The grid containing the first location; null outside every grid (then every supervisor is told at once).';
comment on column public.sos_alerts.lat is 'Latest location (the whole trail is in sos_locations).';
comment on column public.sos_alerts.emergency_contacts is 'Snapshot of the caller''s profiles.emergency_contacts when raised: [{name, phone, relation}].';
comment on column public.sos_alerts.notified_ids is 'Everyone told so far (workers at raise, the next worker, supervisors); escalation picks people not in it; they may read and acknowledge it.';
comment on column public.sos_alerts.assigned_to is 'The worker the SOS was escalated to at level 1.';
comment on column public.sos_alerts.acknowledged_by_name is 'Display name of whoever acknowledged, so the caller sees who is coming.';
comment on column public.sos_alerts.escalation_level is '0: the grid''s on-duty workers; 1: the next on-duty worker; 2: the street''s supervisors.';
comment on column public.sos_alerts.escalated_at is 'When the last escalation step happened (the next one is due 60 s later if still unacknowledged).';

create table public.sos_locations (
  id bigint generated always as identity primary key,
  alert_id uuid not null references public.sos_alerts (id) on delete cascade,
  lat double precision not null check (lat between -90 and 90),
  lon double precision not null check (lon between -180 and 180),
  accuracy_m double precision check (accuracy_m >= 0),
  at timestamptz not null default now()
);
comment on table public.sos_locations is 'Location trail of an SOS, one row per fix sent by the caller while it is open.';

create table public.sos_events (
  id bigint generated always as identity primary key,
  alert_id uuid not null references public.sos_alerts (id) on delete cascade,
  actor_id uuid,
  actor_role text not null,
  from_status public.sos_status,
  to_status public.sos_status not null,
  escalation_level smallint not null default 0,
  note text,
  payload jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
comment on table public.sos_events is 'Append-only timeline of an SOS: one row per status change or escalation step. Never updated or deleted.';
comment on column public.sos_events.actor_id is 'Who acted (null: system). No foreign key: the history outlives a deleted account.';
comment on column public.sos_events.payload is 'For the raise: the emergency contacts and who was notified; for an escalation: who was notified.';

alter table public.notifications
  add column sos_alert_id uuid references public.sos_alerts (id) on delete cascade;
comment on column public.notifications.sos_alert_id is 'The SOS a notification is about, if any.';

-- Indexes ----------------------------------------------------------------
create unique index sos_alerts_one_open_per_caller on public.sos_alerts (caller_id)
  where status in ('sent', 'acknowledged', 'on_the_way');
create index sos_alerts_caller_id_idx on public.sos_alerts (caller_id);
create index sos_alerts_grid_id_idx on public.sos_alerts (grid_id);
create index sos_alerts_street_id_idx on public.sos_alerts (street_id);
create index sos_alerts_notified_ids_idx on public.sos_alerts using gin (notified_ids);
create index sos_alerts_unacknowledged_idx on public.sos_alerts (created_at) where status = 'sent';
create index sos_locations_alert_id_idx on public.sos_locations (alert_id, at);
create index sos_events_alert_id_idx on public.sos_events (alert_id, created_at);
create index notifications_sos_alert_id_idx on public.notifications (sos_alert_id);

-- Functions: helpers -----------------------------------------------------
create function private.can_read_sos(alert uuid) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select exists (
    select 1 from public.sos_alerts a
    where a.id = alert and (
      a.caller_id = auth.uid()
      or a.grid_id = any(private.worker_grid_ids())
      or auth.uid() = any(a.notified_ids)
      or (private.user_role() = 'supervisor' and (a.street_id is null or a.street_id = any(private.supervised_street_ids())))
      or private.user_role() = 'admin'))
$$;
comment on function private.can_read_sos(uuid) is 'Whether the caller may see an SOS: its caller, a worker of its grid, anyone it was sent to, a supervisor of its street, admin.';

create function private.lock_sos(alert uuid) returns public.sos_alerts
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts;
begin
  select * into a from public.sos_alerts where id = alert for update;
  if a.id is null or not (private.is_service() or private.can_read_sos(alert)) then
    raise exception 'SOS % not found', alert using errcode = 'PT404';
  end if;
  return a;
end
$$;
comment on function private.lock_sos(uuid) is 'The SOS, locked for the rest of the transaction; PT404 when it does not exist or the caller may not see it.';

create function private.may_respond_sos(a public.sos_alerts) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select private.is_service()
    or private.is_worker_of_grid(a.grid_id)
    or (auth.uid() = any(a.notified_ids) and private.user_role() in ('grid_worker', 'supervisor'))
    or (private.user_role() = 'supervisor' and (a.street_id is null or a.street_id = any(private.supervised_street_ids())))
$$;
comment on function private.may_respond_sos(public.sos_alerts) is 'Whether the caller may acknowledge an SOS: a worker of its grid, someone it was escalated to, a supervisor of its street, the service role.';

create function private.may_follow_up_sos(a public.sos_alerts) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select private.is_service()
    or a.acknowledged_by = auth.uid()
    or (private.user_role() = 'supervisor' and (a.street_id is null or a.street_id = any(private.supervised_street_ids())))
$$;
comment on function private.may_follow_up_sos(public.sos_alerts) is 'Whether the caller may mark an SOS on the way or resolved: whoever acknowledged it, a supervisor of its street, the service role.';

create function private.require_sos_status(a public.sos_alerts, allowed public.sos_status[], action text) returns void
language plpgsql
security definer set search_path = ''
as $$
begin
  if not a.status = any(allowed) then
    raise exception 'cannot % an SOS that is %', action, a.status using errcode = 'PT409';
  end if;
end
$$;
comment on function private.require_sos_status(public.sos_alerts, public.sos_status[], text) is 'PT409 unless the SOS is in one of the allowed states.';

create function private.check_location(lat double precision, lon double precision, accuracy_m double precision)
returns void
language plpgsql
security definer set search_path = ''
as $$
begin
  if lat is null or lon is null or lat not between -90 and 90 or lon not between -180 and 180
     or lat = 'NaN'::double precision or lon = 'NaN'::double precision then
    raise exception 'a location needs a latitude (-90..90) and a longitude (-180..180)' using errcode = 'PT400';
  end if;
  if accuracy_m is not null and (accuracy_m < 0 or accuracy_m = 'NaN'::double precision) then
    raise exception 'the accuracy is a distance in metres, 0 or more' using errcode = 'PT400';
  end if;
end
$$;
comment on function private.check_location(double precision, double precision, double precision) is 'PT400 unless (lat, lon) is a point on Earth and the accuracy is not negative.';

create function private.notify_sos(recipient uuid, kind text, title_zh text, title_en text, alert uuid,
                                   payload jsonb default '{}'::jsonb) returns void
language sql
security definer set search_path = ''
as $$
  insert into public.notifications (user_id, kind, title_zh, title_en, sos_alert_id, payload)
  values (recipient, kind, title_zh, title_en, alert, payload || jsonb_build_object('sos_alert_id', alert))
$$;
comment on function private.notify_sos(uuid, text, text, text, uuid, jsonb) is 'Adds one notification about an SOS.';

create function private.record_sos_change(a public.sos_alerts, to_status public.sos_status, note text,
                                          payload jsonb default '{}'::jsonb) returns void
language sql
security definer set search_path = ''
as $$
  insert into public.sos_events (alert_id, actor_id, actor_role, from_status, to_status, escalation_level, note, payload)
  values (a.id, auth.uid(), private.actor_role(), a.status, to_status, a.escalation_level, note, payload)
$$;
comment on function private.record_sos_change(public.sos_alerts, public.sos_status, text, jsonb) is 'Writes the one sos_events row of a status change.';

create function private.notify_sos_caller(a public.sos_alerts, to_status public.sos_status, title_zh text, title_en text)
returns void
language plpgsql
security definer set search_path = ''
as $$
begin
  if a.caller_id is distinct from auth.uid() then
    perform private.notify_sos(a.caller_id, 'sos_' || to_status::text, title_zh, title_en, a.id,
                               jsonb_build_object('status', to_status, 'by_name', a.acknowledged_by_name));
  end if;
end
$$;
comment on function private.notify_sos_caller(public.sos_alerts, public.sos_status, text, text) is 'Tells the caller their SOS changed (unless they made the change).';

-- Functions: the RPCs ----------------------------------------------------
create function public.raise_sos(lat double precision, lon double precision, note text default null)
returns public.sos_alerts
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts;
  grid uuid;
  street uuid;
  contacts jsonb;
  caller_name text;
  caller_phone text;
  responders uuid[];
  recipient uuid;
  why text := nullif(btrim(raise_sos.note), '');
begin
  if auth.uid() is null then
    raise exception 'sign in to call for help' using errcode = 'PT401';
  end if;
  perform private.check_location(lat, lon, null);
  if length(why) > 500 then
    raise exception 'the note is longer than 500 characters' using errcode = 'PT400';
  end if;
  -- One open SOS per caller: pressing again returns the open one.
  select * into a from public.sos_alerts s
  where s.caller_id = auth.uid() and s.status in ('sent', 'acknowledged', 'on_the_way');
  if a.id is not null then
    return a;
  end if;

  grid := private.grid_for_point(lon, lat);
  street := case when grid is not null then private.street_of(grid) end;
  select coalesce(p.emergency_contacts, '[]'::jsonb), p.display_name, p.phone into contacts, caller_name, caller_phone
  from public.profiles p where p.id = auth.uid();
  contacts := coalesce(contacts, '[]'::jsonb);
  if grid is not null then
    select coalesce(array_agg(wg.worker_id order by wg.worker_id), '{}') into responders
    from public.worker_grids wg join public.worker_duty d on d.worker_id = wg.worker_id and d.on_duty
    where wg.grid_id = grid and wg.worker_id <> auth.uid();
  else
    -- Outside every grid: no grid worker to call, every supervisor is told at once.
    select coalesce(array_agg(distinct ss.user_id), '{}') into responders
    from public.supervisor_streets ss where ss.user_id <> auth.uid();
  end if;

  insert into public.sos_alerts as s (caller_id, grid_id, street_id, note, lat, lon, emergency_contacts, notified_ids)
  values (auth.uid(), grid, street, why, raise_sos.lat, raise_sos.lon, contacts, responders)
  on conflict (caller_id) where status in ('sent', 'acknowledged', 'on_the_way') do nothing
  returning s.* into a;
  if a.id is null then  -- raised at the same moment by another request of the same caller
    select * into a from public.sos_alerts s
    where s.caller_id = auth.uid() and s.status in ('sent', 'acknowledged', 'on_the_way');
    return a;
  end if;
  insert into public.sos_locations (alert_id, lat, lon) values (a.id, a.lat, a.lon);
  insert into public.sos_events (alert_id, actor_id, actor_role, from_status, to_status, escalation_level, note, payload)
  values (a.id, auth.uid(), private.actor_role(), null, 'sent', 0, why,
          jsonb_build_object('emergency_contacts', contacts, 'notified', to_jsonb(responders)));
  foreach recipient in array responders loop
    perform private.notify_sos(recipient, 'sos_raised', '紧急求助！请立即响应', 'SOS: someone needs help now', a.id,
                               jsonb_build_object('lat', a.lat, 'lon', a.lon, 'grid_id', grid, 'note', why,
                                                  'caller_name', caller_name, 'caller_phone', caller_phone,
                                                  'emergency_contacts', contacts, 'escalation_level', 0));
  end loop;
  return a;
end
$$;
comment on function public.raise_sos(double precision, double precision, text) is 'Call for help from (lat, lon): the grid''s on-duty workers are told, the emergency contacts recorded. One open SOS per person: raising again returns it.';

create function public.update_sos_location(alert_id uuid, lat double precision, lon double precision,
                                           accuracy_m double precision default null) returns public.sos_alerts
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts := private.lock_sos(alert_id);
begin
  perform private.require_sos_status(a, '{sent,acknowledged,on_the_way}', 'update the location of');
  if a.caller_id is distinct from auth.uid() then
    raise exception 'only the caller sends the location of an SOS' using errcode = 'PT403';
  end if;
  perform private.check_location(lat, lon, accuracy_m);
  insert into public.sos_locations (alert_id, lat, lon, accuracy_m)
  values (a.id, update_sos_location.lat, update_sos_location.lon, update_sos_location.accuracy_m);
  update public.sos_alerts s
  set lat = update_sos_location.lat, lon = update_sos_location.lon, accuracy_m = update_sos_location.accuracy_m
  where s.id = a.id returning s.* into a;
  return a;
end
$$;
comment on function public.update_sos_location(uuid, double precision, double precision, double precision) is 'The caller sends a new location fix while the SOS is open.';

create function public.acknowledge_sos(alert_id uuid) returns public.sos_alerts
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts := private.lock_sos(alert_id);
  recipient uuid;
begin
  perform private.require_sos_status(a, '{sent}', 'acknowledge');
  if a.caller_id = auth.uid() or not private.may_respond_sos(a) then
    raise exception 'only a responder of this SOS may acknowledge it' using errcode = 'PT403';
  end if;
  perform private.record_sos_change(a, 'acknowledged', null);
  update public.sos_alerts s
  set status = 'acknowledged', acknowledged_by = auth.uid(), acknowledged_at = now(),
      acknowledged_by_name = (select coalesce(p.display_name, '') from public.profiles p where p.id = auth.uid())
  where s.id = a.id returning s.* into a;
  perform private.notify_sos_caller(a, 'acknowledged', '已有人响应您的求助', 'Someone has answered your SOS');
  -- The others who were called can stand down.
  foreach recipient in array a.notified_ids loop
    if recipient is distinct from auth.uid() then
      perform private.notify_sos(recipient, 'sos_taken', '求助已有人响应', 'An SOS was answered', a.id,
                                 jsonb_build_object('by_name', a.acknowledged_by_name));
    end if;
  end loop;
  return a;
end
$$;
comment on function public.acknowledge_sos(uuid) is 'A responder (worker of the grid, supervisor of the street, or whoever it was escalated to) takes the SOS; the caller sees who.';

create function public.mark_sos_on_the_way(alert_id uuid) returns public.sos_alerts
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts := private.lock_sos(alert_id);
begin
  perform private.require_sos_status(a, '{acknowledged}', 'mark on the way');
  if not private.may_follow_up_sos(a) then
    raise exception 'only whoever acknowledged this SOS may mark it on the way' using errcode = 'PT403';
  end if;
  perform private.record_sos_change(a, 'on_the_way', null);
  update public.sos_alerts s set status = 'on_the_way', on_the_way_at = now() where s.id = a.id returning s.* into a;
  perform private.notify_sos_caller(a, 'on_the_way', '救助人员正在赶来', 'Help is on the way');
  return a;
end
$$;
comment on function public.mark_sos_on_the_way(uuid) is 'Whoever acknowledged the SOS is on the way.';

create function public.resolve_sos(alert_id uuid, note text) returns public.sos_alerts
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts := private.lock_sos(alert_id);
  what text;
begin
  perform private.require_sos_status(a, '{acknowledged,on_the_way}', 'resolve');
  if not private.may_follow_up_sos(a) then
    raise exception 'only whoever acknowledged this SOS may resolve it' using errcode = 'PT403';
  end if;
  what := private.require_text(note, 'the note');
  perform private.record_sos_change(a, 'resolved', what);
  update public.sos_alerts s set status = 'resolved', resolved_at = now(), resolved_by = auth.uid(), resolution_note = what
  where s.id = a.id returning s.* into a;
  perform private.notify_sos_caller(a, 'resolved', '您的求助已处理完毕', 'Your SOS was resolved');
  return a;
end
$$;
comment on function public.resolve_sos(uuid, text) is 'The responder closes the SOS with what happened.';

create function public.cancel_sos(alert_id uuid, reason text default null) returns public.sos_alerts
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts := private.lock_sos(alert_id);
  why text := coalesce(nullif(btrim(reason), ''), 'false alarm');
  recipient uuid;
begin
  perform private.require_sos_status(a, '{sent,acknowledged,on_the_way}', 'cancel');
  if a.caller_id is distinct from auth.uid() then
    raise exception 'only the caller may cancel an SOS' using errcode = 'PT403';
  end if;
  if length(why) > 2000 then
    raise exception 'the reason is longer than 2000 characters' using errcode = 'PT400';
  end if;
  perform private.record_sos_change(a, 'cancelled', why);
  update public.sos_alerts s set status = 'cancelled', cancelled_at = now() where s.id = a.id returning s.* into a;
  for recipient in
    select unnest(a.notified_ids) union select a.acknowledged_by where a.acknowledged_by is not null
  loop
    perform private.notify_sos(recipient, 'sos_cancelled', '求助已被呼叫人取消', 'The caller cancelled the SOS', a.id,
                               jsonb_build_object('reason', why));
  end loop;
  return a;
end
$$;
comment on function public.cancel_sos(uuid, text) is 'The caller cancels the SOS (false alarm); everyone who was called is told.';

revoke execute on function private.can_read_sos(uuid) from public;
grant execute on function private.can_read_sos(uuid) to authenticated, service_role;
revoke execute on function private.lock_sos(uuid), private.may_respond_sos(public.sos_alerts),
  private.may_follow_up_sos(public.sos_alerts), private.require_sos_status(public.sos_alerts, public.sos_status[], text),
  private.check_location(double precision, double precision, double precision),
  private.notify_sos(uuid, text, text, text, uuid, jsonb),
  private.record_sos_change(public.sos_alerts, public.sos_status, text, jsonb),
  private.notify_sos_caller(public.sos_alerts, public.sos_status, text, text) from public;
revoke execute on function public.raise_sos(double precision, double precision, text),
  public.update_sos_location(uuid, double precision, double precision, double precision),
  public.acknowledge_sos(uuid), public.mark_sos_on_the_way(uuid), public.resolve_sos(uuid, text),
  public.cancel_sos(uuid, text) from public, anon;
grant execute on function public.raise_sos(double precision, double precision, text),
  public.update_sos_location(uuid, double precision, double precision, double precision),
  public.acknowledge_sos(uuid), public.mark_sos_on_the_way(uuid), public.resolve_sos(uuid, text),
  public.cancel_sos(uuid, text) to authenticated, service_role;

-- Row-level security ------------------------------------------------------
alter table public.sos_alerts enable row level security;
alter table public.sos_locations enable row level security;
alter table public.sos_events enable row level security;

create policy "Callers can read their own SOS alerts" on public.sos_alerts for select to authenticated
  using (caller_id = (select auth.uid()));
create policy "Grid workers can read SOS alerts in their grids" on public.sos_alerts for select to authenticated
  using (grid_id = any((select private.worker_grid_ids())::uuid[]));
create policy "Responders can read SOS alerts they were called to" on public.sos_alerts for select to authenticated
  using ((select auth.uid()) = any(notified_ids));
create policy "Supervisors can read SOS alerts in their streets and outside every grid" on public.sos_alerts
  for select to authenticated
  using ((select private.user_role()) = 'supervisor'
         and (street_id is null or street_id = any((select private.supervised_street_ids())::uuid[])));
create policy "Admins can read every SOS alert" on public.sos_alerts for select to authenticated
  using ((select private.user_role()) = 'admin');

create policy "People can read the location trail of SOS alerts they can read" on public.sos_locations
  for select to authenticated
  using (private.can_read_sos(alert_id));
create policy "People can read the timeline of SOS alerts they can read" on public.sos_events
  for select to authenticated
  using (private.can_read_sos(alert_id));

-- Grants -----------------------------------------------------------------
-- Anon may select but no policy lets it see a row. Every change goes through the RPCs.
revoke all on public.sos_alerts, public.sos_locations, public.sos_events from anon, authenticated;
grant select on public.sos_alerts, public.sos_locations, public.sos_events to anon, authenticated;
grant all on public.sos_alerts, public.sos_locations to service_role;
grant select, insert on public.sos_events to service_role;

-- Triggers ---------------------------------------------------------------
create trigger sos_alerts_touch_updated_at before update on public.sos_alerts
  for each row execute function private.touch_updated_at();
create trigger sos_events_append_only before update or delete on public.sos_events
  for each row execute function private.refuse_change();
create trigger sos_events_no_truncate before truncate on public.sos_events
  for each statement execute function private.refuse_change();

-- Realtime ---------------------------------------------------------------
alter publication supabase_realtime add table public.sos_alerts, public.sos_locations, public.sos_events;
