-- The city-brain screen's own reads (/brain in the grid app): the intake trend and the ticker's
-- first rows. Its counters are rpc/city_summary, its table rpc/performance, its hotspots
-- rpc/hotspots; live changes arrive through Realtime (case_events, sos_alerts, hotspots),
-- each subscriber seeing what RLS lets it see.

-- Functions --------------------------------------------------------------
-- city_summary as 20261201001150 wrote it, now counting the open hotspots in scope.
create or replace function public.city_summary() returns jsonb
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
    -- Open hotspots the caller may see, as rpc/hotspots lists them (migration 20261201001300).
    'hotspots_open', (select count(*) from public.hotspots()),
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
comment on function public.city_summary() is 'The caller''s scope now: open and overdue cases, received and resolved today (city date), today''s intake by source, open SOS and care alerts, open hotspots (as rpc/hotspots lists them), and per grid open and overdue cases, all from case_events.';

create function public.city_trend(days integer default 14)
returns table (day date, received bigint, resolved bigint)
language plpgsql stable
security definer set search_path = ''
as $$
declare
  tz text := private.city_time_zone();
  first_day date := (now() at time zone tz)::date - (least(greatest(coalesce(days, 14), 1), 92) - 1);
begin
  perform private.require_figures_role();
  return query
  with facts as (
    select f.received_at, f.resolved_at
    from private.case_facts((first_day::timestamp at time zone tz), now() + interval '1 second') f
    where private.case_in_scope(f.street_id, f.department_code, f.worker_id)
      and (f.received_at >= (first_day::timestamp at time zone tz) or f.resolved_at >= (first_day::timestamp at time zone tz))
  )
  select d::date,
         (select count(*) from facts where (facts.received_at at time zone tz)::date = d::date),
         (select count(*) from facts where (facts.resolved_at at time zone tz)::date = d::date)
  from generate_series(first_day, (now() at time zone tz)::date, interval '1 day') as d
  order by 1;
end
$$;
comment on function public.city_trend(integer) is 'Cases received and first resolved per city day over the last `days` days (1-92, default 14), in the caller''s scope as rpc/performance counts them.';

create function public.city_ticker(max_rows integer default 30)
returns table (id bigint, report_id uuid, case_number text, category_code text, from_status public.report_status,
               to_status public.report_status, kind text, actor_role text, created_at timestamptz)
language sql stable
security invoker set search_path = ''
as $$
  -- Security invoker: RLS on case_events and reports decides, as it does for the live rows.
  select e.id, e.report_id, r.case_number, r.category_code, e.from_status, e.to_status, e.kind, e.actor_role, e.created_at
  from public.case_events e join public.reports r on r.id = e.report_id
  order by e.id desc
  limit least(greatest(coalesce(max_rows, 30), 1), 100)
$$;
comment on function public.city_ticker(integer) is 'The newest case steps the caller may read (at most 100), newest first: the ticker''s first rows before live ones arrive.';

-- Grants -----------------------------------------------------------------
revoke execute on function public.city_trend(integer), public.city_ticker(integer) from public, anon;
grant execute on function public.city_trend(integer), public.city_ticker(integer) to authenticated, service_role;
