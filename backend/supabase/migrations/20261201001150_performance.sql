-- Performance (考核) and the city summary (issue 15, items 3 and 4), computed from the append-only
-- case_events (typed since 1140), never from the report's editable columns. The definitions are
-- docs/city-brain.md's (from the domain's): per case,
--   received      its first event falls in the period;
--   resolved      its first resolution (the first step to resolved) falls in the period;
--   on time       that first resolution came before the deadline in force at that step;
--   one time      resolved and never reopened; reopened: resolved and reopened at least once;
--   first response  minutes from its first dispatch to the handler's first accept, question or
--                 transfer (cases received in the period);
--   rated         its rating step falls in the period; satisfied: a rating of 4 or 5;
--   transfers     its transfer steps (to transferred: transfers and category changes) in the period;
--   overdue_open  open now (not resolved, closed, rejected or withdrawn; not waiting for the
--                 resident) and past the deadline in force.
-- A case counts in the department, worker and category that held it at its first resolution (open
-- or never resolved: the current ones, from its latest step); its street and grid are fixed at
-- filing. Periods are city dates, to_date inclusive. A rate with nothing to divide is null.
-- Rows older than 1140 carry no department, assignee, category or deadline: for them the report's
-- current values stand in, and older_events counts the cases of a row that rest on such a step.
--
-- Scope: an admin sees the city; a supervisor their streets (and the cases outside every grid,
-- which every supervisor oversees); department staff their departments; a grid worker the cases
-- they hold (their own rows). Anyone else: PT403; anon may not call (42501).

-- Functions --------------------------------------------------------------
create function private.case_facts(since timestamptz, until timestamptz)
returns table (report_id uuid, street_id uuid, grid_id uuid, source public.report_source,
               received_at timestamptz, resolved_at timestamptz, resolved_on_time boolean, reopened boolean,
               first_response_minutes double precision, rating smallint, rated_at timestamptz,
               transfers bigint, status public.report_status, due_at timestamptz,
               department_code text, worker_id uuid, category_code text, older boolean)
language sql stable
security definer set search_path = ''
as $$
  select r.id, r.street_id, r.grid_id, r.source,
         first_step.created_at,
         fr.created_at,
         fr.created_at < coalesce(case when fr.typed then fr.due_at else r.due_at end, 'infinity'),
         exists (select 1 from public.case_events e where e.report_id = r.id and e.to_status = 'reopened'),
         extract(epoch from (response.created_at - dispatch.created_at)) / 60,
         rated.rating, rated.created_at,
         (select count(*) from public.case_events e
          where e.report_id = r.id and e.to_status = 'transferred' and e.created_at >= since and e.created_at < until
            and private.legacy_event_kind(e.from_status, e.to_status, e.note, e.actor_role, e.kind)
                in ('transferred', 'category_changed')),
         latest.to_status,
         case when latest.typed then latest.due_at else r.due_at end,
         case when held.typed then held.department_code else r.department_code end,
         case when held.typed then held.assignee_id
              else (select t.assignee_id from public.tasks t where t.report_id = r.id
                    order by t.created_at desc, t.id limit 1) end,
         case when held.typed then held.category_code else r.category_code end,
         not held.typed or (fr.id is not null and not fr.typed)
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
                             case when fr.id is not null then fr.category_code else latest.category_code end as category_code) held
$$;
comment on function private.case_facts(timestamptz, timestamptz) is 'One row per case from its case_events: when received, first resolved (on time or not), reopened, first response, rating, transfers in [since, until), its current status and deadline, and who held it at its first resolution (else now); older: a figure rests on a step older than migration 1140.';

create function private.case_in_scope(street uuid, department text, worker uuid) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select case when private.is_service() then true else case private.user_role()
           when 'admin' then true
           when 'supervisor' then street is null or street = any(private.supervised_street_ids())
           when 'dept_staff' then department = any(private.staff_departments())
           when 'grid_worker' then worker = auth.uid()
           else false
         end end
$$;
comment on function private.case_in_scope(uuid, text, uuid) is 'Whether a case counts in the caller''s figures: admin (and the service role) the city, supervisor their streets (and outside every grid), department staff their departments, a grid worker the cases they hold.';

create function private.require_figures_role() returns void
language plpgsql stable
security definer set search_path = ''
as $$
begin
  if not private.is_service()
     and (private.user_role() is null or private.user_role() not in ('admin', 'supervisor', 'dept_staff', 'grid_worker')) then
    raise exception 'only staff see performance figures' using errcode = 'PT403';
  end if;
end
$$;
comment on function private.require_figures_role() is 'PT403 unless the caller is staff (the figures are scoped by role) or the service role (exports, the city).';

create function public.performance(from_date date, to_date date, group_by text)
returns table (group_code text, group_name text, received bigint, resolved bigint, on_time_rate numeric,
               first_response_minutes_p50 numeric, one_time_rate numeric, reopen_rate numeric,
               satisfaction_rate numeric, rated bigint, transfers bigint, overdue_open bigint, older_events bigint)
language plpgsql stable
security definer set search_path = ''
as $$
declare
  since timestamptz;
  until timestamptz;
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
  return query
    with f as (
      select c.*, case group_by when 'department' then c.department_code when 'street' then c.street_id::text
                                when 'grid' then c.grid_id::text when 'worker' then c.worker_id::text
                                else c.category_code end as g
      from private.case_facts(since, until) c
      where private.case_in_scope(c.street_id, c.department_code, c.worker_id)
    ),
    agg as (
      select f.g,
             count(*) filter (where f.received_at >= since and f.received_at < until) as received,
             count(*) filter (where f.resolved_at >= since and f.resolved_at < until) as resolved,
             count(*) filter (where f.resolved_at >= since and f.resolved_at < until and f.resolved_on_time) as on_time,
             count(*) filter (where f.resolved_at >= since and f.resolved_at < until and f.reopened) as reopened,
             percentile_cont(0.5) within group (order by f.first_response_minutes)
               filter (where f.received_at >= since and f.received_at < until) as p50,
             count(*) filter (where f.rated_at >= since and f.rated_at < until) as rated,
             count(*) filter (where f.rated_at >= since and f.rated_at < until and f.rating >= 4) as satisfied,
             sum(f.transfers) as transfers,
             count(*) filter (where private.is_open_status(f.status) and f.status <> 'needs_info' and f.due_at < now())
               as overdue_open,
             count(*) filter (where f.older) as older
      from f group by f.g
    )
    select coalesce(a.code, agg.g), coalesce(a.name_zh, d.name_zh, k.name_zh, p.display_name),
           agg.received, agg.resolved,
           round(agg.on_time::numeric / nullif(agg.resolved, 0), 4),
           round(agg.p50::numeric, 1),
           round((agg.resolved - agg.reopened)::numeric / nullif(agg.resolved, 0), 4),
           round(agg.reopened::numeric / nullif(agg.resolved, 0), 4),
           round(agg.satisfied::numeric / nullif(agg.rated, 0), 4),
           agg.rated, agg.transfers::bigint, agg.overdue_open, agg.older
    from agg
    left join public.areas a on group_by in ('street', 'grid') and a.id::text = agg.g
    left join public.departments d on group_by = 'department' and d.code = agg.g
    left join public.categories k on group_by = 'category' and k.code = agg.g
    left join public.profiles p on group_by = 'worker' and p.id::text = agg.g
    where agg.received + agg.resolved + agg.rated + agg.transfers + agg.overdue_open > 0
    order by 1 nulls last;
end
$$;
comment on function public.performance(date, date, text) is 'Performance figures (考核) per department, street, grid, worker or category for the city dates from_date..to_date (inclusive), from case_events, scoped by role; rates null when nothing to divide; older_events: cases whose figures rest on steps older than the typed columns.';

create function public.city_summary() returns jsonb
language plpgsql stable
security definer set search_path = ''
as $$
declare
  today_start timestamptz := (now() at time zone private.city_time_zone())::date::timestamp at time zone private.city_time_zone();
  result jsonb;
begin
  perform private.require_figures_role();
  with f as (
    select c.*, private.is_open_status(c.status) as is_open,
           private.is_open_status(c.status) and c.status <> 'needs_info' and c.due_at < now() as is_overdue
    from private.case_facts(today_start, today_start + interval '1 day') c
    where private.case_in_scope(c.street_id, c.department_code, c.worker_id)
  )
  select jsonb_build_object(
    'open', (select count(*) from f where f.is_open),
    'overdue', (select count(*) from f where f.is_overdue),
    'received_today', (select count(*) from f where f.received_at >= today_start),
    'resolved_today', (select count(*) from f where f.resolved_at >= today_start),
    'received_today_by_source', (select coalesce(jsonb_object_agg(s.source, s.n), '{}'::jsonb)
                                 from (select f.source, count(*) as n from f where f.received_at >= today_start
                                       group by f.source) s),
    'sos_open', (select count(*) from public.sos_alerts a
                 where a.status in ('sent', 'acknowledged', 'on_the_way')
                   and case (case when private.is_service() then 'admin' else private.user_role() end)
                         when 'admin' then true
                         when 'supervisor' then a.street_id is null or a.street_id = any(private.supervised_street_ids())
                         when 'grid_worker' then a.grid_id = any(private.worker_grid_ids())
                         else false end),
    'care_alerts_open', (select count(*) from public.care_alerts ca join public.care_subjects s on s.id = ca.subject_id
                         where ca.status <> 'closed'
                           and case (case when private.is_service() then 'admin' else private.user_role() end)
                                 when 'admin' then true
                                 when 'supervisor' then private.street_of(s.grid_id) = any(private.supervised_street_ids())
                                 when 'grid_worker' then s.grid_id = any(private.worker_grid_ids())
                                 else false end),
    'hotspots_open', null,
    'grids', (select coalesce(jsonb_agg(jsonb_build_object('grid_id', g.grid_id, 'grid_code', a.code, 'open', g.open,
                                                           'overdue', g.overdue) order by a.code), '[]'::jsonb)
              from (select f.grid_id, count(*) filter (where f.is_open) as open,
                           count(*) filter (where f.is_overdue) as overdue
                    from f where f.grid_id is not null group by f.grid_id having count(*) filter (where f.is_open) > 0) g
              join public.areas a on a.id = g.grid_id)
  ) into result;
  return result;
end
$$;
comment on function public.city_summary() is 'The caller''s scope now: open and overdue cases, received and resolved today (city date), today''s intake by source, open SOS and care alerts, open hotspots (null until hotspots exist), and per grid open and overdue cases, all from case_events.';

revoke execute on function private.case_facts(timestamptz, timestamptz), private.case_in_scope(uuid, text, uuid),
  private.require_figures_role() from public;
revoke execute on function public.performance(date, date, text), public.city_summary() from public, anon;
grant execute on function public.performance(date, date, text), public.city_summary() to authenticated, service_role;
