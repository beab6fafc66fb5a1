-- Care watch: elderly people living alone, their home meters, alerts from the detector and
-- what grid workers did about them.
--
-- Who sees what: a care subject and everything about them (meters, readings, alerts,
-- follow-ups, absences) is visible to the grid workers of the subject's grid and to the
-- supervisors of that grid's street; the resident sees their own record and absences.
-- Nobody else (other citizens, workers of other grids, department staff) sees anything.
-- Readings, subjects and meters are written by the service role only (meter ingestion,
-- administration); alerts by the detector through `record_care_alerts` (service role).
--
-- RPCs (PT400 bad argument, PT403 caller may not, PT404 not found or not visible, PT409 state):
--   record_care_followup(alert, action, outcome, note, resolution)  worker/supervisor: one follow-up,
--                                     then keep the alert open, close it or escalate it
--   log_care_visit(subject, outcome, note)      worker/supervisor: a home visit (sets last_visit_at)
--   register_care_absence(subject, starts_at, ends_at, note)  worker/supervisor or the resident:
--                                     planned absence (travel): the detector raises no inactivity alert then
--   ingest_meter_readings(readings)   service role: bulk insert, idempotent on (meter_id, read_at)
--   care_scan_input(since, until)     service role: hourly use per subject and meter kind, for the detector
--   record_care_alerts(alerts, at)    service role: new alerts, one open per subject and kind, routed
--                                     to the grid's on-duty worker with a notification
--   run_care_escalations(at)          service role: open alerts without a follow-up for 30 min go to
--                                     the street's supervisors (the scheduler runs it)

-- Types ------------------------------------------------------------------
create type public.meter_kind as enum ('water', 'electricity', 'gas');
comment on type public.meter_kind is 'Utility of a home meter: water (litres), electricity (kWh), gas (m3).';
create type public.care_alert_kind as enum ('inactivity', 'continuous_use', 'routine_break');
comment on type public.care_alert_kind is 'What the detector saw: far less use than usual, use that does not stop (tap, stove, leak), an unusual routine.';
create type public.care_alert_status as enum ('open', 'escalated', 'closed');
comment on type public.care_alert_status is 'open (with the grid worker), escalated (to the supervisor), closed (followed up).';
create type public.care_followup_action as enum ('called_person', 'called_family', 'visited', 'sent_to_120');
comment on type public.care_followup_action is 'What the worker did.';
create type public.care_followup_outcome as enum ('safe', 'needs_help', 'sent_to_120', 'unreachable');
comment on type public.care_followup_outcome is 'What the worker found.';

-- Tables -----------------------------------------------------------------
create table public.care_subjects (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid unique references auth.users (id) on delete set null,
  name text not null check (length(name) between 1 and 100),
  phone text check (length(phone) <= 32),
  address text check (length(address) <= 300),
  grid_id uuid not null references public.areas (id),
  family_contacts jsonb not null default '[]'::jsonb check (jsonb_typeof(family_contacts) = 'array'),
  consent_at date not null,
  last_visit_at timestamptz,
  created_at timestamptz not null default now()
);
comment on table public.care_subjects is 'A resident living alone who consented to the care watch. Written by the service role; read by their grid''s workers and street supervisors.';
comment on column public.care_subjects.family_contacts is 'JSON array of {name, phone, relation}.';
comment on column public.care_subjects.consent_at is 'When the resident (or guardian) consented to having their meters watched.';

create table public.meters (
  id text primary key check (length(id) between 1 and 64),
  subject_id uuid not null references public.care_subjects (id) on delete cascade,
  kind public.meter_kind not null,
  interval_minutes smallint not null default 60 check (interval_minutes in (15, 60)),
  created_at timestamptz not null default now()
);
comment on table public.meters is 'A home meter of a care subject (the utility''s meter number), read hourly or every 15 minutes.';

-- meter_id is checked by statement-level triggers (below) instead of a foreign key: the
-- per-row check of a foreign key made bulk loads three times slower; a set-based check per
-- statement keeps the same guarantee (no reading of an unknown meter; readings go with their meter).
create table public.meter_readings (
  meter_id text not null,
  read_at timestamptz not null,
  value real not null check (value >= 0 and value < 1e7),
  primary key (meter_id, read_at)
);
comment on table public.meter_readings is 'Use during the interval that ends at read_at (litres, kWh or m3). Written by the service role only; a repeated (meter_id, read_at) is ignored.';

create table public.care_absences (
  id uuid primary key default gen_random_uuid(),
  subject_id uuid not null references public.care_subjects (id) on delete cascade,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  note text check (length(note) <= 500),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  check (ends_at > starts_at and ends_at - starts_at <= interval '180 days')
);
comment on table public.care_absences is 'Planned absence (travel, hospital stay): no inactivity alert while it lasts. Written by register_care_absence.';

create table public.care_alerts (
  id uuid primary key default gen_random_uuid(),
  subject_id uuid not null references public.care_subjects (id) on delete cascade,
  kind public.care_alert_kind not null,
  severity smallint not null check (severity between 1 and 3),
  meter_kind public.meter_kind,
  onset_at timestamptz not null,
  detected_at timestamptz not null,
  evidence jsonb not null default '{}'::jsonb check (jsonb_typeof(evidence) = 'object'),
  status public.care_alert_status not null default 'open',
  assigned_to uuid references auth.users (id) on delete set null,
  escalated_at timestamptz,
  closed_at timestamptz,
  created_at timestamptz not null default now(),
  unique (subject_id, kind, onset_at)
);
comment on table public.care_alerts is 'An alert of the care watch: one open per subject and kind; (subject, kind, onset) never repeats. Written by the detector and the follow-up RPC.';
comment on column public.care_alerts.severity is '1 low, 2 medium, 3 high (gas left on, very long inactivity).';
comment on column public.care_alerts.evidence is 'Expected vs observed: {meter_kind, hours, observed, expected, band_low, band_high, score, threshold}.';
comment on column public.care_alerts.onset_at is 'Start of the unusual period (first silent hour, first hour of continuous use).';

create table public.care_followups (
  id uuid primary key default gen_random_uuid(),
  subject_id uuid not null references public.care_subjects (id) on delete cascade,
  alert_id uuid references public.care_alerts (id) on delete cascade,
  actor_id uuid references auth.users (id) on delete set null,
  action public.care_followup_action not null,
  outcome public.care_followup_outcome not null,
  note text check (length(note) <= 2000),
  created_at timestamptz not null default now()
);
comment on table public.care_followups is 'What a worker did about an alert (or a routine visit without one). Append-only, written by the RPCs.';

-- Indexes ----------------------------------------------------------------
create index care_subjects_grid_id_idx on public.care_subjects (grid_id);
create index meters_subject_id_idx on public.meters (subject_id);
create index care_absences_subject_id_idx on public.care_absences (subject_id, ends_at);
create index care_alerts_subject_id_idx on public.care_alerts (subject_id);
create index care_alerts_assigned_to_idx on public.care_alerts (assigned_to);
create unique index care_alerts_one_open_per_kind on public.care_alerts (subject_id, kind) where status <> 'closed';
create index care_alerts_unescalated_idx on public.care_alerts (created_at) where status = 'open' and escalated_at is null;
create index care_followups_subject_id_idx on public.care_followups (subject_id);
create index care_followups_alert_id_idx on public.care_followups (alert_id);

-- Functions --------------------------------------------------------------
create function private.can_watch_grid(grid uuid) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select private.is_worker_of_grid(grid) or private.street_of(grid) = any(private.supervised_street_ids())
$$;
comment on function private.can_watch_grid(uuid) is 'Whether the caller is a grid worker of that grid or a supervisor of its street.';

create function private.can_watch_subject(subject uuid) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select exists (select 1 from public.care_subjects s where s.id = subject and private.can_watch_grid(s.grid_id))
$$;
comment on function private.can_watch_subject(uuid) is 'Whether the caller may see and follow up this care subject.';

create function private.can_read_meter(meter text) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select exists (select 1 from public.meters m join public.care_subjects s on s.id = m.subject_id
                 where m.id = meter and private.can_watch_grid(s.grid_id))
$$;
comment on function private.can_read_meter(text) is 'Whether the caller may read this meter''s readings.';

create function private.notify_care(recipient uuid, kind text, title_zh text, title_en text, alert public.care_alerts)
returns void
language sql
security definer set search_path = ''
as $$
  insert into public.notifications (user_id, kind, title_zh, title_en, payload)
  values (recipient, kind, title_zh, title_en,
          jsonb_build_object('care_alert_id', alert.id, 'subject_id', alert.subject_id, 'alert_kind', alert.kind,
                             'severity', alert.severity))
$$;
comment on function private.notify_care(uuid, text, text, text, public.care_alerts) is 'One notification about a care alert.';

create function private.escalate_care_alert(a public.care_alerts, reason text, at timestamptz) returns public.care_alerts
language plpgsql
security definer set search_path = ''
as $$
declare
  recipient uuid;
  result public.care_alerts;
begin
  update public.care_alerts set status = 'escalated', escalated_at = at where id = a.id returning * into result;
  for recipient in
    select distinct ss.user_id from public.care_subjects s
    join public.supervisor_streets ss on ss.street_id = private.street_of(s.grid_id)
    where s.id = a.subject_id
  loop
    perform private.notify_care(recipient, 'care_alert_escalated', '独居老人预警需督办：' || reason,
                                'Care alert escalated: ' || reason, result);
  end loop;
  return result;
end
$$;
comment on function private.escalate_care_alert(public.care_alerts, text, timestamptz) is 'Marks an alert escalated and tells the supervisors of the subject''s street.';

create function public.record_care_followup(alert uuid, action public.care_followup_action,
                                            outcome public.care_followup_outcome, note text default null,
                                            resolution text default 'close')
returns public.care_alerts
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.care_alerts;
begin
  if resolution is null or resolution not in ('keep', 'close', 'escalate') then
    raise exception 'resolution must be keep, close or escalate' using errcode = 'PT400';
  end if;
  if length(note) > 2000 then
    raise exception 'note is longer than 2000 characters' using errcode = 'PT400';
  end if;
  select * into a from public.care_alerts c where c.id = alert for update;
  if a.id is null or not private.can_watch_subject(a.subject_id) then
    raise exception 'care alert % not found', alert using errcode = 'PT404';
  end if;
  if a.status = 'closed' then
    raise exception 'care alert % is already closed', alert using errcode = 'PT409';
  end if;
  insert into public.care_followups (subject_id, alert_id, actor_id, action, outcome, note)
  values (a.subject_id, a.id, auth.uid(), action, outcome, nullif(btrim(note), ''));
  if action = 'visited' then
    update public.care_subjects set last_visit_at = now() where id = a.subject_id;
  end if;
  if resolution = 'close' then
    update public.care_alerts set status = 'closed', closed_at = now() where id = a.id returning * into a;
  elsif resolution = 'escalate' then
    a := private.escalate_care_alert(a, coalesce(nullif(btrim(note), ''), outcome::text), now());
  end if;
  return a;
end
$$;
comment on function public.record_care_followup(uuid, public.care_followup_action, public.care_followup_outcome, text, text)
  is 'A worker or supervisor records what they did about an alert, then keeps it open, closes or escalates it.';

create function public.log_care_visit(subject uuid, outcome public.care_followup_outcome default 'safe',
                                      note text default null)
returns public.care_subjects
language plpgsql
security definer set search_path = ''
as $$
declare
  s public.care_subjects;
begin
  if length(note) > 2000 then
    raise exception 'note is longer than 2000 characters' using errcode = 'PT400';
  end if;
  if not private.can_watch_subject(subject) then
    raise exception 'care subject % not found', subject using errcode = 'PT404';
  end if;
  insert into public.care_followups (subject_id, actor_id, action, outcome, note)
  values (subject, auth.uid(), 'visited', outcome, nullif(btrim(note), ''));
  update public.care_subjects set last_visit_at = now() where id = subject returning * into s;
  return s;
end
$$;
comment on function public.log_care_visit(uuid, public.care_followup_outcome, text) is 'A routine home visit: one follow-up row and the subject''s last visit.';

create function public.register_care_absence(subject uuid, starts_at timestamptz, ends_at timestamptz,
                                             note text default null)
returns public.care_absences
language plpgsql
security definer set search_path = ''
as $$
declare
  result public.care_absences;
begin
  if starts_at is null or ends_at is null or ends_at <= starts_at then
    raise exception 'the absence must end after it starts' using errcode = 'PT400';
  end if;
  if ends_at - starts_at > interval '180 days' then
    raise exception 'an absence lasts at most 180 days' using errcode = 'PT400';
  end if;
  if length(note) > 500 then
    raise exception 'note is longer than 500 characters' using errcode = 'PT400';
  end if;
  if not (private.can_watch_subject(subject)
          or exists (select 1 from public.care_subjects s where s.id = subject and s.profile_id = auth.uid())) then
    raise exception 'care subject % not found', subject using errcode = 'PT404';
  end if;
  insert into public.care_absences (subject_id, starts_at, ends_at, note, created_by)
  values (subject, starts_at, ends_at, nullif(btrim(note), ''), auth.uid())
  returning * into result;
  return result;
end
$$;
comment on function public.register_care_absence(uuid, timestamptz, timestamptz, text) is 'A planned absence: no inactivity alert while it lasts. By the resident or their grid''s workers.';

create function public.ingest_meter_readings(readings jsonb) returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  received integer;
  inserted integer;
  known integer;
  bad integer;
begin
  if not private.is_service() then
    raise exception 'only the service role writes meter readings' using errcode = 'PT403';
  end if;
  if readings is null or jsonb_typeof(readings) <> 'array' then
    raise exception 'readings must be a JSON array of {meter_id, read_at, value}' using errcode = 'PT400';
  end if;
  with incoming as (
    select r.meter_id, r.read_at, r.value
    from jsonb_to_recordset(readings) as r (meter_id text, read_at timestamptz, value real)
  )
  select count(*), count(*) filter (where meter_id is null or read_at is null or value is null or value < 0),
         count(*) filter (where exists (select 1 from public.meters m where m.id = incoming.meter_id))
  into received, bad, known
  from incoming;
  if bad > 0 then
    raise exception '% reading(s) lack meter_id, read_at or a value >= 0', bad using errcode = 'PT400';
  end if;
  insert into public.meter_readings (meter_id, read_at, value)
  select r.meter_id, r.read_at, r.value
  from jsonb_to_recordset(readings) as r (meter_id text, read_at timestamptz, value real)
  join public.meters m on m.id = r.meter_id
  on conflict (meter_id, read_at) do nothing;
  get diagnostics inserted = row_count;
  return jsonb_build_object('received', received, 'inserted', inserted, 'duplicates', known - inserted,
                            'unknown_meter', received - known);
end
$$;
comment on function public.ingest_meter_readings(jsonb) is 'Bulk readings (service role): inserts new ones, ignores repeats, counts readings of unknown meters.';

create function public.care_scan_input(since timestamptz, until timestamptz)
returns table (subject_id uuid, kind public.meter_kind, hour timestamptz, value double precision)
language plpgsql stable
security definer set search_path = ''
as $$
begin
  if not private.is_service() then
    raise exception 'only the service role runs the care watch' using errcode = 'PT403';
  end if;
  -- A reading covers the interval ending at read_at: it belongs to the hour that interval starts in.
  return query
  select m.subject_id, m.kind, date_trunc('hour', r.read_at - make_interval(mins => m.interval_minutes)) as h,
         sum(r.value)::double precision
  from public.meter_readings r join public.meters m on m.id = r.meter_id
  where r.read_at > since and r.read_at <= until
  group by 1, 2, 3;
end
$$;
comment on function public.care_scan_input(timestamptz, timestamptz) is 'Hourly use per subject and meter kind in (since, until] (service role; the care watch''s input).';

create function public.record_care_alerts(alerts jsonb, at timestamptz default now()) returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  item jsonb;
  a public.care_alerts;
  s public.care_subjects;
  worker uuid;
  created integer := 0;
  skipped integer := 0;
begin
  if not private.is_service() then
    raise exception 'only the care watch records alerts' using errcode = 'PT403';
  end if;
  if alerts is null or jsonb_typeof(alerts) <> 'array' then
    raise exception 'alerts must be a JSON array' using errcode = 'PT400';
  end if;
  for item in select * from jsonb_array_elements(alerts) loop
    select * into s from public.care_subjects where id = (item ->> 'subject_id')::uuid;
    if s.id is null then
      raise exception 'care subject % not found', item ->> 'subject_id' using errcode = 'PT404';
    end if;
    -- Routed to the least busy on-duty worker of the subject's grid.
    select wg.worker_id into worker
    from public.worker_grids wg join public.worker_duty d on d.worker_id = wg.worker_id and d.on_duty
    where wg.grid_id = s.grid_id
    order by (select count(*) from public.care_alerts c where c.assigned_to = wg.worker_id and c.status <> 'closed'),
             d.since, wg.worker_id
    limit 1;
    insert into public.care_alerts (subject_id, kind, severity, meter_kind, onset_at, detected_at, evidence,
                                    assigned_to, created_at)
    values (s.id, (item ->> 'kind')::public.care_alert_kind, (item ->> 'severity')::smallint,
            (item ->> 'meter_kind')::public.meter_kind, (item ->> 'onset_at')::timestamptz,
            (item ->> 'detected_at')::timestamptz, coalesce(item -> 'evidence', '{}'::jsonb), worker, at)
    on conflict do nothing
    returning * into a;
    if a.id is null then
      skipped := skipped + 1;
      continue;
    end if;
    created := created + 1;
    if worker is not null then
      perform private.notify_care(worker, 'care_alert', '独居老人用水用电异常，请尽快联系',
                                  'Care alert: unusual use at an elderly resident''s home', a);
    else
      perform private.escalate_care_alert(a, 'no grid worker on duty', at);
    end if;
    a := null;
  end loop;
  return jsonb_build_object('created', created, 'skipped', skipped);
end
$$;
comment on function public.record_care_alerts(jsonb, timestamptz) is 'The detector''s new alerts (service role): skips repeats, routes each to an on-duty grid worker and notifies.';

create function public.run_care_escalations(at timestamptz default now()) returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.care_alerts;
  steps integer := 0;
begin
  if not private.is_service() then
    raise exception 'only the service role runs escalations' using errcode = 'PT403';
  end if;
  perform pg_advisory_xact_lock(hashtext('cityloop.run_care_escalations'));
  for a in
    select * from public.care_alerts c
    where c.status = 'open' and c.escalated_at is null and c.created_at <= at - interval '30 minutes'
      and not exists (select 1 from public.care_followups f where f.alert_id = c.id)
    order by c.created_at
    for update
  loop
    perform private.escalate_care_alert(a, 'no follow-up in 30 min', at);
    steps := steps + 1;
  end loop;
  return jsonb_build_object('care_alerts_escalated', steps);
end
$$;
comment on function public.run_care_escalations(timestamptz) is 'Open care alerts without a follow-up for 30 minutes go to the supervisors (service role; idempotent).';

create function private.check_reading_meters() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  if exists (select 1 from new_readings n where not exists (select 1 from public.meters m where m.id = n.meter_id)) then
    raise exception 'a reading refers to an unknown meter' using errcode = '23503';
  end if;
  return null;
end
$$;
comment on function private.check_reading_meters() is 'meter_readings statement trigger: every new reading''s meter exists (the foreign key, set-based).';

create function private.guard_meter_ids() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    delete from public.meter_readings r using old_meters o where r.meter_id = o.id;
  elsif exists (select 1 from old_meters o where not exists (select 1 from new_meters n where n.id = o.id))
        and exists (select 1 from public.meter_readings r join old_meters o on o.id = r.meter_id
                    where not exists (select 1 from public.meters m where m.id = o.id)) then
    raise exception 'a meter with readings keeps its id' using errcode = '23503';
  end if;
  return null;
end
$$;
comment on function private.guard_meter_ids() is 'meters statement trigger: deleting a meter deletes its readings; a meter with readings keeps its id.';

revoke execute on function private.check_reading_meters(), private.guard_meter_ids() from public;
revoke execute on function private.can_watch_grid(uuid), private.can_watch_subject(uuid), private.can_read_meter(text),
  private.notify_care(uuid, text, text, text, public.care_alerts),
  private.escalate_care_alert(public.care_alerts, text, timestamptz) from public;
grant execute on function private.can_watch_grid(uuid), private.can_watch_subject(uuid), private.can_read_meter(text)
  to authenticated, service_role;
revoke execute on function public.record_care_followup(uuid, public.care_followup_action, public.care_followup_outcome, text, text),
  public.log_care_visit(uuid, public.care_followup_outcome, text),
  public.register_care_absence(uuid, timestamptz, timestamptz, text) from public, anon;
grant execute on function public.record_care_followup(uuid, public.care_followup_action, public.care_followup_outcome, text, text),
  public.log_care_visit(uuid, public.care_followup_outcome, text),
  public.register_care_absence(uuid, timestamptz, timestamptz, text) to authenticated, service_role;
revoke execute on function public.ingest_meter_readings(jsonb), public.care_scan_input(timestamptz, timestamptz),
  public.record_care_alerts(jsonb, timestamptz), public.run_care_escalations(timestamptz) from public, anon, authenticated;
grant execute on function public.ingest_meter_readings(jsonb), public.care_scan_input(timestamptz, timestamptz),
  public.record_care_alerts(jsonb, timestamptz), public.run_care_escalations(timestamptz) to service_role;

-- Row-level security ------------------------------------------------------
alter table public.care_subjects enable row level security;
alter table public.meters enable row level security;
alter table public.meter_readings enable row level security;
alter table public.care_absences enable row level security;
alter table public.care_alerts enable row level security;
alter table public.care_followups enable row level security;

create policy "Grid workers and supervisors can read the care subjects of their grids" on public.care_subjects
  for select to authenticated using (private.can_watch_grid(grid_id));
create policy "Residents can read their own care record" on public.care_subjects
  for select to authenticated using (profile_id = (select auth.uid()));
create policy "Grid workers and supervisors can read the meters of their care subjects" on public.meters
  for select to authenticated using (private.can_watch_subject(subject_id));
create policy "Grid workers and supervisors can read the readings of their care subjects" on public.meter_readings
  for select to authenticated using (private.can_read_meter(meter_id));
create policy "Grid workers and supervisors can read the absences of their care subjects" on public.care_absences
  for select to authenticated using (private.can_watch_subject(subject_id));
create policy "Residents can read their own absences" on public.care_absences
  for select to authenticated
  using (exists (select 1 from public.care_subjects s where s.id = subject_id and s.profile_id = (select auth.uid())));
create policy "Grid workers and supervisors can read the care alerts of their care subjects" on public.care_alerts
  for select to authenticated using (private.can_watch_subject(subject_id));
create policy "Grid workers and supervisors can read the follow-ups of their care subjects" on public.care_followups
  for select to authenticated using (private.can_watch_subject(subject_id));

-- Grants -----------------------------------------------------------------
revoke all on public.care_subjects, public.meters, public.meter_readings, public.care_absences, public.care_alerts,
  public.care_followups from anon, authenticated;
-- Anon may select but no policy lets it see a row: reads answer empty, as for anyone denied.
grant select on public.care_subjects, public.meters, public.meter_readings, public.care_absences, public.care_alerts,
  public.care_followups to anon, authenticated;
grant all on public.care_subjects, public.meters, public.meter_readings, public.care_absences, public.care_alerts,
  public.care_followups to service_role;

-- Triggers ---------------------------------------------------------------
create trigger meter_readings_meter_exists_on_insert after insert on public.meter_readings
  referencing new table as new_readings for each statement execute function private.check_reading_meters();
create trigger meter_readings_meter_exists_on_update after update on public.meter_readings
  referencing new table as new_readings for each statement execute function private.check_reading_meters();
create trigger meters_delete_readings after delete on public.meters
  referencing old table as old_meters for each statement execute function private.guard_meter_ids();
create trigger meters_keep_ids after update on public.meters
  referencing old table as old_meters new table as new_meters for each statement execute function private.guard_meter_ids();

-- Realtime publication ---------------------------------------------------
alter publication supabase_realtime add table public.care_alerts;
