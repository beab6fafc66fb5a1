-- The city brain at city size (issue 15, "Scale"): one rollup row per case, kept by the database in
-- the same transaction as every step, so rpc/performance, rpc/city_summary and rpc/city_trend read
-- only the cases of their period (and the open ones) instead of rebuilding every case's facts from
-- case_events on each call (private.case_facts, 1150: ~1 s at 2k cases, past the 8 s statement
-- timeout from 100k).
--
-- One home for the definitions: private.case_rollup_source is private.case_facts' per-case SQL
-- (1150; definitions there and in docs/city-brain.md) without the period, and both the triggers
-- (one case) and the backfill (every case) write the rollup from it, so they cannot disagree.
-- Only the transfers depend on the period: the RPCs count them from case_events_kind_idx.
--
-- Kept by: case_events AFTER INSERT/UPDATE (each step recomputes its own case: a few index probes
-- into that case's steps, O(steps of the case), not of the city); reports AFTER UPDATE of the
-- columns the facts read (street, grid, source; deadline, department and category only stand in
-- for steps older than 1140); tasks AFTER INSERT/UPDATE of the assignee (only older cases read the
-- task). A per-case advisory lock orders concurrent steps of one case, so the last writer reads
-- every committed step (read committed: the upsert after the lock takes a fresh snapshot).
--
-- Nobody reads or writes the table but these security definer functions: RLS on, no policy, no grant.

-- Tables -----------------------------------------------------------------
create table private.case_rollups (
  report_id uuid primary key references public.reports (id) on delete cascade,
  street_id uuid,
  grid_id uuid,
  source public.report_source,
  received_at timestamptz not null,
  first_resolved_at timestamptz,
  resolved_on_time boolean,
  reopened boolean not null,
  first_response_minutes double precision,
  rating smallint,
  rated_at timestamptz,
  transfers integer not null,
  status public.report_status not null,
  due_at timestamptz,
  department_code text,
  worker_id uuid,
  category_code text,
  older boolean not null
);
comment on table private.case_rollups is 'One row per case (a report with at least one case_events step): its facts as private.case_rollup_source computes them from case_events, kept by triggers in the same transaction as every step. Read only by the figures RPCs (performance, city_summary, city_trend).';
comment on column private.case_rollups.received_at is 'Its first step (filing).';
comment on column private.case_rollups.first_resolved_at is 'Its first step to resolved; resolved_on_time: that step came before the deadline in force at it.';
comment on column private.case_rollups.transfers is 'Its transfer steps (transfers and category changes) over its whole life; the RPCs count a period''s from case_events.';
comment on column private.case_rollups.status is 'The status its latest step left; due_at the deadline in force after it.';
comment on column private.case_rollups.department_code is 'The department (worker_id, category_code: the worker, the taxonomy item) holding it at its first resolution, else now.';
comment on column private.case_rollups.older is 'A figure of the case rests on a step older than the typed columns (1140): the report''s current values stand in.';

-- Indexes ----------------------------------------------------------------
-- The RPCs select by period (received, first resolved, rated), the open cases and the older ones,
-- combined by a bitmap OR; the scope columns narrow what a supervisor, a department or a worker sees.
create index case_rollups_received_at_idx on private.case_rollups (received_at);
create index case_rollups_first_resolved_at_idx on private.case_rollups (first_resolved_at) where first_resolved_at is not null;
create index case_rollups_rated_at_idx on private.case_rollups (rated_at) where rated_at is not null;
create index case_rollups_open_idx on private.case_rollups (due_at) where private.is_open_status(status);
create index case_rollups_older_idx on private.case_rollups (report_id) where older;
create index case_rollups_street_id_idx on private.case_rollups (street_id, received_at);
create index case_rollups_department_code_idx on private.case_rollups (department_code, received_at);
create index case_rollups_worker_id_idx on private.case_rollups (worker_id) where worker_id is not null;

-- Functions --------------------------------------------------------------
create view private.case_rollup_source as
  select r.id as report_id, r.street_id, r.grid_id, r.source,
         first_step.created_at as received_at,
         fr.created_at as first_resolved_at,
         case when fr.id is not null
              then fr.created_at < coalesce(case when fr.typed then fr.due_at else r.due_at end, 'infinity') end
           as resolved_on_time,
         exists (select 1 from public.case_events e where e.report_id = r.id and e.to_status = 'reopened') as reopened,
         extract(epoch from (response.created_at - dispatch.created_at)) / 60 as first_response_minutes,
         rated.rating, rated.created_at as rated_at,
         (select count(*) from public.case_events e
          where e.report_id = r.id and e.to_status = 'transferred'
            and private.legacy_event_kind(e.from_status, e.to_status, e.note, e.actor_role, e.kind)
                in ('transferred', 'category_changed'))::integer as transfers,
         latest.to_status as status,
         case when latest.typed then latest.due_at else r.due_at end as due_at,
         case when held.typed then held.department_code else r.department_code end as department_code,
         case when held.typed then held.assignee_id
              else (select t.assignee_id from public.tasks t where t.report_id = r.id
                    order by t.created_at desc, t.id limit 1) end as worker_id,
         case when held.typed then held.category_code else r.category_code end as category_code,
         not held.typed or (fr.id is not null and not fr.typed) as older
  from public.reports r
  join lateral (select e.created_at from public.case_events e where e.report_id = r.id order by e.id limit 1) first_step on true
  join lateral (select e.* from public.case_events e where e.report_id = r.id order by e.id desc limit 1) latest on true
  left join lateral (select e.* from public.case_events e
                     where e.report_id = r.id and e.to_status = 'resolved' and e.from_status is distinct from 'resolved'
                     order by e.id limit 1) fr on true
  left join lateral (select e.created_at, e.id from public.case_events e
                     where e.report_id = r.id and e.to_status = 'dispatched' order by e.id limit 1) dispatch on true
  left join lateral (select e.created_at from public.case_events e
                     where e.report_id = r.id and e.id > dispatch.id and e.actor_role <> 'system'
                       and private.legacy_event_kind(e.from_status, e.to_status, e.note, e.actor_role, e.kind)
                           in ('accepted', 'info_requested', 'transferred')
                     order by e.id limit 1) response on true
  left join lateral (select coalesce(e.rating, substring(e.note from '^rated ([1-5])/5$')::smallint) as rating, e.created_at
                     from public.case_events e
                     where e.report_id = r.id
                       and private.legacy_event_kind(e.from_status, e.to_status, e.note, e.actor_role, e.kind) = 'rated'
                     order by e.id limit 1) rated on true
  cross join lateral (select coalesce(fr.typed, latest.typed) as typed,
                             case when fr.id is not null then fr.department_code else latest.department_code end as department_code,
                             case when fr.id is not null then fr.assignee_id else latest.assignee_id end as assignee_id,
                             case when fr.id is not null then fr.category_code else latest.category_code end as category_code) held;
comment on view private.case_rollup_source is 'Every case''s rollup row computed from its case_events (private.case_facts'' definitions, 1150, without the period): what the triggers write for one case and the backfill for all; a test compares the table with it.';

create function private.refresh_case_rollup(case_id uuid) returns void
language plpgsql
security definer set search_path = ''
-- One generic plan per session: the statement is the same index probes for every case, and planning
-- it (about 5 ms) would otherwise cost more than running it (under 1 ms) on each of a session's first steps.
set plan_cache_mode = force_generic_plan
as $$
begin
  -- Concurrent steps of one case wait here; the statements below then see every committed step.
  perform pg_advisory_xact_lock(1400, hashtext(case_id::text));
  insert into private.case_rollups
  select s.* from private.case_rollup_source s where s.report_id = case_id
  on conflict (report_id) do update set
    street_id = excluded.street_id, grid_id = excluded.grid_id, source = excluded.source,
    received_at = excluded.received_at, first_resolved_at = excluded.first_resolved_at,
    resolved_on_time = excluded.resolved_on_time, reopened = excluded.reopened,
    first_response_minutes = excluded.first_response_minutes, rating = excluded.rating,
    rated_at = excluded.rated_at, transfers = excluded.transfers, status = excluded.status,
    due_at = excluded.due_at, department_code = excluded.department_code, worker_id = excluded.worker_id,
    category_code = excluded.category_code, older = excluded.older;
  if not found then
    delete from private.case_rollups c where c.report_id = case_id;
  end if;
end
$$;
comment on function private.refresh_case_rollup(uuid) is 'Rewrites one case''s rollup row from its case_events (private.case_rollup_source); removes it when the case has no step.';

create function private.backfill_case_rollups() returns bigint
language plpgsql
security definer set search_path = ''
as $$
declare
  written bigint;
begin
  lock table private.case_rollups in exclusive mode;
  delete from private.case_rollups;
  insert into private.case_rollups select s.* from private.case_rollup_source s;
  get diagnostics written = row_count;
  return written;
end
$$;
comment on function private.backfill_case_rollups() is 'Rewrites every case''s rollup row from case_events: run by this migration and after loading case_events with triggers off (bench/city_scale.py).';

create function private.case_events_keep_rollup() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  perform private.refresh_case_rollup(new.report_id);
  return null;
end
$$;
comment on function private.case_events_keep_rollup() is 'case_events AFTER INSERT or UPDATE: the step''s case gets its rollup row rewritten in the same transaction.';

create function private.reports_keep_rollup() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  -- Street, grid and source are always the report's; deadline, department and category only stand in
  -- for steps older than 1140, i.e. for an older case.
  if (old.street_id, old.grid_id, old.source) is distinct from (new.street_id, new.grid_id, new.source)
     or exists (select 1 from private.case_rollups c where c.report_id = new.id and c.older) then
    perform private.refresh_case_rollup(new.id);
  end if;
  return null;
end
$$;
comment on function private.reports_keep_rollup() is 'reports AFTER UPDATE of the columns the facts read: rewrites the case''s rollup row when they matter to it.';

create function private.tasks_keep_rollup() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  -- Only a case resting on steps older than 1140 takes its worker from the task.
  if exists (select 1 from private.case_rollups c where c.report_id = new.report_id and c.older) then
    perform private.refresh_case_rollup(new.report_id);
  end if;
  return null;
end
$$;
comment on function private.tasks_keep_rollup() is 'tasks AFTER INSERT or UPDATE of the assignee: rewrites an older case''s rollup row (its worker comes from the task).';

-- The caller's figures scope, the same as private.case_in_scope (1150) but computed once per call
-- and compared per row by this inlined expression (plain SQL, no security definer: it reads nothing).
create function private.in_figures_scope(scope_role text, streets uuid[], departments text[], me uuid,
                                         street uuid, department text, worker uuid) returns boolean
language sql immutable
as $$
  select case scope_role
           when 'admin' then true
           when 'supervisor' then street is null or street = any(streets)
           when 'dept_staff' then department = any(departments)
           when 'grid_worker' then worker = me
           else false
         end
$$;
comment on function private.in_figures_scope(text, uuid[], text[], uuid, uuid, text, uuid) is 'Whether a case counts in figures whose caller has this scope (private.case_in_scope''s rule with the caller''s role, streets, departments and id passed in, so they are read once per call).';

create or replace function public.performance(from_date date, to_date date, group_by text)
returns table (group_code text, group_name text, received bigint, resolved bigint, on_time_rate numeric,
               first_response_minutes_p50 numeric, one_time_rate numeric, reopen_rate numeric,
               satisfaction_rate numeric, rated bigint, transfers bigint, overdue_open bigint, older_events bigint)
language plpgsql stable
security definer set search_path = ''
as $$
declare
  since timestamptz;
  until timestamptz;
  scope_role text;
  streets uuid[];
  departments text[];
  me uuid := auth.uid();
begin
  perform private.require_figures_role();
  if from_date is null or to_date is null or from_date > to_date then
    raise exception 'give from_date and to_date, from_date not after to_date' using errcode = 'PT400';
  end if;
  if to_date - from_date > 3660 then
    raise exception 'a period is at most ten years' using errcode = 'PT400';
  end if;
  if group_by is null or group_by not in ('department', 'street', 'grid', 'worker', 'category') then
    raise exception 'group_by is one of department, street, grid, worker, category' using errcode = 'PT400';
  end if;
  since := from_date::timestamp at time zone private.city_time_zone();
  until := (to_date + 1)::timestamp at time zone private.city_time_zone();
  scope_role := case when private.is_service() then 'admin' else private.user_role() end;
  streets := case when scope_role = 'supervisor' then private.supervised_street_ids() end;
  departments := case when scope_role = 'dept_staff' then private.staff_departments() end;
  return query
    with f as (
      -- Every case a figure of the period can count: received, first resolved or rated in it, open
      -- and overdue now, or older (older_events counts a group's older cases of any period).
      select c.*, case group_by when 'department' then c.department_code when 'street' then c.street_id::text
                                when 'grid' then c.grid_id::text when 'worker' then c.worker_id::text
                                else c.category_code end as g
      from private.case_rollups c
      where ((c.received_at >= since and c.received_at < until)
             or (c.first_resolved_at >= since and c.first_resolved_at < until)
             or (c.rated_at >= since and c.rated_at < until)
             or (private.is_open_status(c.status) and c.status <> 'needs_info' and c.due_at < now())
             or c.older)
        and private.in_figures_scope(scope_role, streets, departments, me, c.street_id, c.department_code, c.worker_id)
    ),
    moved as (
      -- The period's transfer steps (typed rows by kind; older rows by what their statuses and notes say).
      select e.report_id from public.case_events e
      where e.kind in ('transferred', 'category_changed') and e.to_status = 'transferred'
        and e.created_at >= since and e.created_at < until
      union all
      select e.report_id from public.case_events e
      where e.kind is null and e.to_status = 'transferred' and e.created_at >= since and e.created_at < until
        and private.legacy_event_kind(e.from_status, e.to_status, e.note, e.actor_role, e.kind)
            in ('transferred', 'category_changed')
    ),
    moved_by_group as (
      select case group_by when 'department' then c.department_code when 'street' then c.street_id::text
                           when 'grid' then c.grid_id::text when 'worker' then c.worker_id::text
                           else c.category_code end as g,
             count(*) as n
      from moved m join private.case_rollups c on c.report_id = m.report_id
      where private.in_figures_scope(scope_role, streets, departments, me, c.street_id, c.department_code, c.worker_id)
      group by 1
    ),
    by_group as (
      select f.g,
             count(*) filter (where f.received_at >= since and f.received_at < until) as received,
             count(*) filter (where f.first_resolved_at >= since and f.first_resolved_at < until) as resolved,
             count(*) filter (where f.first_resolved_at >= since and f.first_resolved_at < until and f.resolved_on_time) as on_time,
             count(*) filter (where f.first_resolved_at >= since and f.first_resolved_at < until and f.reopened) as reopened,
             percentile_cont(0.5) within group (order by f.first_response_minutes)
               filter (where f.received_at >= since and f.received_at < until) as p50,
             count(*) filter (where f.rated_at >= since and f.rated_at < until) as rated,
             count(*) filter (where f.rated_at >= since and f.rated_at < until and f.rating >= 4) as satisfied,
             count(*) filter (where private.is_open_status(f.status) and f.status <> 'needs_info' and f.due_at < now())
               as overdue_open,
             count(*) filter (where f.older) as older
      from f group by f.g
    ),
    agg as (
      -- A group with transfers only has no row in by_group (null keys: worker or street unknown).
      select u.g, sum(u.received)::bigint as received, sum(u.resolved)::bigint as resolved,
             sum(u.on_time)::bigint as on_time, sum(u.reopened)::bigint as reopened, max(u.p50) as p50,
             sum(u.rated)::bigint as rated, sum(u.satisfied)::bigint as satisfied,
             sum(u.transfers)::bigint as transfers, sum(u.overdue_open)::bigint as overdue_open,
             sum(u.older)::bigint as older
      from (select b.g, b.received, b.resolved, b.on_time, b.reopened, b.p50, b.rated, b.satisfied,
                   0::bigint as transfers, b.overdue_open, b.older
            from by_group b
            union all
            select m.g, 0, 0, 0, 0, null, 0, 0, m.n, 0, 0 from moved_by_group m) u
      group by u.g
    )
    select coalesce(a.code, agg.g), coalesce(a.name_zh, d.name_zh, k.name_zh, p.display_name),
           agg.received, agg.resolved,
           round(agg.on_time::numeric / nullif(agg.resolved, 0), 4),
           round(agg.p50::numeric, 1),
           round((agg.resolved - agg.reopened)::numeric / nullif(agg.resolved, 0), 4),
           round(agg.reopened::numeric / nullif(agg.resolved, 0), 4),
           round(agg.satisfied::numeric / nullif(agg.rated, 0), 4),
           agg.rated, agg.transfers, agg.overdue_open, agg.older
    from agg
    left join public.areas a on group_by in ('street', 'grid') and a.id::text = agg.g
    left join public.departments d on group_by = 'department' and d.code = agg.g
    left join public.categories k on group_by = 'category' and k.code = agg.g
    left join public.profiles p on group_by = 'worker' and p.id::text = agg.g
    where agg.received + agg.resolved + agg.rated + agg.transfers + agg.overdue_open > 0
    order by 1 nulls last;
end
$$;
comment on function public.performance(date, date, text) is 'Performance figures (考核) per department, street, grid, worker or category for the city dates from_date..to_date (inclusive), from case_events (through the per-case rollup kept from them, 1400), scoped by role; rates null when nothing to divide; older_events: cases whose figures rest on steps older than the typed columns.';

create or replace function public.city_summary() returns jsonb
language plpgsql stable
security definer set search_path = ''
as $$
declare
  today_start timestamptz := (now() at time zone private.city_time_zone())::date::timestamp at time zone private.city_time_zone();
  scope_role text := case when private.is_service() then 'admin' else private.user_role() end;
  streets uuid[];
  departments text[];
  me uuid := auth.uid();
  result jsonb;
begin
  perform private.require_figures_role();
  streets := case when scope_role = 'supervisor' then private.supervised_street_ids() end;
  departments := case when scope_role = 'dept_staff' then private.staff_departments() end;
  with open_cases as (
    select c.grid_id, c.status <> 'needs_info' and c.due_at < now() as is_overdue
    from private.case_rollups c
    where private.is_open_status(c.status)
      and private.in_figures_scope(scope_role, streets, departments, me, c.street_id, c.department_code, c.worker_id)
  ),
  today as (
    select c.source, c.received_at >= today_start as received, c.first_resolved_at >= today_start as resolved
    from private.case_rollups c
    where (c.received_at >= today_start or c.first_resolved_at >= today_start)
      and private.in_figures_scope(scope_role, streets, departments, me, c.street_id, c.department_code, c.worker_id)
  )
  select jsonb_build_object(
    'open', (select count(*) from open_cases),
    'overdue', (select count(*) from open_cases o where o.is_overdue),
    'received_today', (select count(*) from today t where t.received),
    'resolved_today', (select count(*) from today t where t.resolved),
    'received_today_by_source', (select coalesce(jsonb_object_agg(s.source, s.n), '{}'::jsonb)
                                 from (select t.source, count(*) as n from today t where t.received
                                       group by t.source) s),
    'sos_open', (select count(*) from public.sos_alerts a
                 where a.status in ('sent', 'acknowledged', 'on_the_way')
                   and case scope_role
                         when 'admin' then true
                         when 'supervisor' then a.street_id is null or a.street_id = any(streets)
                         when 'grid_worker' then a.grid_id = any(private.worker_grid_ids())
                         else false end),
    'care_alerts_open', (select count(*) from public.care_alerts ca join public.care_subjects s on s.id = ca.subject_id
                         where ca.status <> 'closed'
                           and case scope_role
                                 when 'admin' then true
                                 when 'supervisor' then private.street_of(s.grid_id) = any(streets)
                                 when 'grid_worker' then s.grid_id = any(private.worker_grid_ids())
                                 else false end),
    -- Open hotspots the caller may see, as rpc/hotspots lists them (migration 20261201001300).
    'hotspots_open', (select count(*) from public.hotspots()),
    'grids', (select coalesce(jsonb_agg(jsonb_build_object('grid_id', g.grid_id, 'grid_code', a.code, 'open', g.open,
                                                           'overdue', g.overdue) order by a.code), '[]'::jsonb)
              from (select o.grid_id, count(*) as open, count(*) filter (where o.is_overdue) as overdue
                    from open_cases o where o.grid_id is not null group by o.grid_id) g
              join public.areas a on a.id = g.grid_id)
  ) into result;
  return result;
end
$$;
comment on function public.city_summary() is 'The caller''s scope now: open and overdue cases, received and resolved today (city date), today''s intake by source, open SOS and care alerts, open hotspots (as rpc/hotspots lists them), and per grid open and overdue cases, all from case_events (through the per-case rollup kept from them, 1400).';

create or replace function public.city_trend(days integer default 14)
returns table (day date, received bigint, resolved bigint)
language plpgsql stable
security definer set search_path = ''
as $$
declare
  tz text := private.city_time_zone();
  first_day date := (now() at time zone tz)::date - (least(greatest(coalesce(days, 14), 1), 92) - 1);
  since timestamptz := first_day::timestamp at time zone tz;
  scope_role text := case when private.is_service() then 'admin' else private.user_role() end;
  streets uuid[];
  departments text[];
  me uuid := auth.uid();
begin
  perform private.require_figures_role();
  streets := case when scope_role = 'supervisor' then private.supervised_street_ids() end;
  departments := case when scope_role = 'dept_staff' then private.staff_departments() end;
  return query
  with facts as (
    select c.received_at, c.first_resolved_at as resolved_at
    from private.case_rollups c
    where (c.received_at >= since or c.first_resolved_at >= since)
      and private.in_figures_scope(scope_role, streets, departments, me, c.street_id, c.department_code, c.worker_id)
  ),
  per_day as (
    select x.d, sum(x.received)::bigint as received, sum(x.resolved)::bigint as resolved
    from (select (facts.received_at at time zone tz)::date as d, 1 as received, 0 as resolved from facts
          where facts.received_at >= since
          union all
          select (facts.resolved_at at time zone tz)::date, 0, 1 from facts where facts.resolved_at >= since) x
    group by x.d
  )
  select days_shown.d::date, coalesce(p.received, 0), coalesce(p.resolved, 0)
  from generate_series(first_day, (now() at time zone tz)::date, interval '1 day') as days_shown(d)
  left join per_day p on p.d = days_shown.d::date
  order by 1;
end
$$;
comment on function public.city_trend(integer) is 'Cases received and first resolved per city day over the last `days` days (1-92, default 14), in the caller''s scope as rpc/performance counts them (from the per-case rollup, 1400).';

comment on function private.is_open_status(public.report_status) is 'The one list of closed states: a case is open unless resolved, closed, rejected or withdrawn. Plain immutable SQL without security definer or search_path (it reads nothing): so the planner inlines it, in queries and in the partial indexes below alike. A migration that changes the list must recreate reports_open_category_idx and case_rollups_open_idx.';

-- Row-level security -------------------------------------------------------
alter table private.case_rollups enable row level security;

-- Grants -----------------------------------------------------------------
revoke all on private.case_rollups, private.case_rollup_source from public, anon, authenticated, service_role;
revoke execute on function private.refresh_case_rollup(uuid), private.backfill_case_rollups(),
  private.case_events_keep_rollup(), private.reports_keep_rollup(), private.tasks_keep_rollup() from public;
revoke execute on function private.in_figures_scope(text, uuid[], text[], uuid, uuid, text, uuid) from public;

-- Triggers ---------------------------------------------------------------
create trigger case_events_keep_rollup after insert or update on public.case_events
  for each row execute function private.case_events_keep_rollup();
create trigger reports_keep_rollup
  after update of street_id, grid_id, source, due_at, department_code, category_code on public.reports
  for each row execute function private.reports_keep_rollup();
create trigger tasks_keep_rollup after insert or update of assignee_id on public.tasks
  for each row execute function private.tasks_keep_rollup();

-- Backfill ---------------------------------------------------------------
select private.backfill_case_rollups();
