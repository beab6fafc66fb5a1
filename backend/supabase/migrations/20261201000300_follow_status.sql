-- Following a case gives status, not the case.
--
-- A resident who finds the problem already reported follows that case instead of filing
-- a duplicate. What they must know is whether it is being handled: its category, its
-- status, the status steps and their times, and roughly where it is (rounded to about
-- 100 m). Following is not a link both sides agreed to, so it opens nothing else: not the
-- description, photos, exact address or point, reporter, notes, tasks, assignee, ratings,
-- contact, nor the right to comment.
--
--   * private.can_read_report no longer counts followers; with it the tasks, case_events
--     and ratings policies, the photos in Storage, lock_case (so comment_report and every
--     case RPC), report_contact and transfer_workers close to them. The reports policy
--     "Followers can read the reports they follow" is dropped.
--   * followed_reports() and followed_report_status(report) are the followers' read path:
--     exactly the fields above, the steps without actor or note.
--   * nearby_open_reports (the report form's "follow that case" offer) answers within at most
--     200 m (a larger radius is a PT400, not silently clamped: the caller asked for something
--     else), returns no address and a distance rounded to 10 m, says which cases are the
--     caller's own, and is throttled per person (PT429, hint 'nearby_lookups').
--   * follow_report on one's own case records nothing: a reporter never "follows" their case.
--   * A status change tells the reporter "your report" and the followers "a case you follow".
-- Limits live in private.limits (one row each; shared/limits.py mirrors it, a test compares).

-- Tables -----------------------------------------------------------------
create table private.limits (
  name text primary key,
  value integer not null check (value > 0),
  per interval,
  comment text not null
);
comment on table private.limits is 'Every limit a user can hit, one row each: a count per window (per set) or a plain value (per null). The SQL reads them here; shared/limits.py mirrors them. Not exposed through the API.';

insert into private.limits (name, value, per, comment) values
  ('nearby_radius_m', 200, null, 'largest radius of nearby_open_reports, in metres'),
  ('nearby_lookups', 60, interval '1 hour', 'nearby_open_reports calls per person');

create table private.nearby_lookups (
  user_id uuid not null references auth.users (id) on delete cascade,
  looked_at timestamptz not null default now()
);
comment on table private.nearby_lookups is 'Calls of nearby_open_reports, for its per-person throttle. Not exposed through the API.';

-- Indexes ----------------------------------------------------------------
create index nearby_lookups_user_time on private.nearby_lookups (user_id, looked_at);

-- Functions --------------------------------------------------------------
create function private.limit_value(name text) returns integer
language sql stable
security definer set search_path = ''
as $$
  select l.value from private.limits l where l.name = limit_value.name
$$;
comment on function private.limit_value(text) is 'The value of a limit of private.limits (null when there is no such limit).';

create function private.limit_window(name text) returns interval
language sql stable
security definer set search_path = ''
as $$
  select l.per from private.limits l where l.name = limit_window.name
$$;
comment on function private.limit_window(text) is 'The window of a counted limit of private.limits.';

create or replace function private.can_read_report(report uuid) returns boolean
language sql stable
security definer set search_path = ''
as $$
  -- Followers are not here on purpose: following gives status (followed_report_status), not the case.
  select exists (
    select 1 from public.reports r
    where r.id = report and (
      r.reporter_id = auth.uid()
      or r.grid_id = any(private.worker_grid_ids())
      or (private.user_role() = 'grid_worker'
          and exists (select 1 from public.tasks t where t.report_id = r.id and t.assignee_id = auth.uid()))
      or r.department_code = any(private.staff_departments())
      or (private.user_role() = 'supervisor' and (r.street_id is null or r.street_id = any(private.supervised_street_ids())))
      or private.user_role() = 'admin'))
$$;
comment on function private.can_read_report(uuid) is 'Whether the caller may see a report: reporter, worker of its grid or of its task, staff of its department, supervisor of its street, admin. Not its followers.';

create or replace function private.record_change(r public.reports, to_status public.report_status, note text)
returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  changed public.reports;
  follower uuid;
begin
  update public.reports set status = to_status where id = r.id returning * into changed;
  insert into public.case_events (report_id, actor_id, actor_role, from_status, to_status, note)
  values (r.id, auth.uid(), private.actor_role(), r.status, to_status, note);
  if to_status is distinct from r.status then
    if r.reporter_id is not null and r.reporter_id is distinct from auth.uid() then
      perform private.notify(r.reporter_id, 'report_status', '您的上报状态已更新', 'Your report has changed',
                             r.id, jsonb_build_object('from', r.status, 'to', to_status));
    end if;
    for follower in
      select f.user_id from public.report_followers f
      where f.report_id = r.id and f.user_id is distinct from r.reporter_id and f.user_id is distinct from auth.uid()
    loop
      -- The status only: a follower's notice carries nothing of the case's content.
      perform private.notify(follower, 'followed_report_status', '您关注的案件状态已更新', 'A case you follow has changed',
                             r.id, jsonb_build_object('from', r.status, 'to', to_status));
    end loop;
  end if;
  return changed;
end
$$;
comment on function private.record_change(public.reports, public.report_status, text) is 'Sets the status, writes the one case_events row, notifies the reporter (report_status) and the followers (followed_report_status, status only).';

create or replace function public.follow_report(report uuid) returns boolean
language plpgsql
security definer set search_path = ''
as $$
begin
  if auth.uid() is null then
    raise exception 'sign in to follow a case' using errcode = 'PT401';
  end if;
  if not exists (select 1 from public.reports r where r.id = report and r.status not in ('closed', 'rejected')) then
    raise exception 'no open report %', report using errcode = 'PT404';
  end if;
  -- One's own case is one's own, never "a case you follow".
  insert into public.report_followers (report_id, user_id)
  select report, auth.uid()
  where not exists (select 1 from public.reports r where r.id = report and r.reporter_id = auth.uid())
  on conflict do nothing;
  return true;
end
$$;
comment on function public.follow_report(uuid) is 'Follow an open case (offered instead of filing a duplicate): its status, through followed_reports and followed_report_status; idempotent; nothing is recorded for one''s own case.';

create function public.followed_reports()
returns table (id uuid, category_code text, status public.report_status, approx_lat double precision,
               approx_lon double precision, created_at timestamptz, updated_at timestamptz, followed_at timestamptz)
language sql stable
security definer set search_path = ''
as $$
  select r.id, r.category_code, r.status, round(r.lat::numeric, 3)::double precision,
         round(r.lon::numeric, 3)::double precision, r.created_at, r.updated_at, f.created_at
  from public.report_followers f
  join public.reports r on r.id = f.report_id
  where f.user_id = auth.uid() and r.reporter_id is distinct from auth.uid()
  order by f.created_at desc
  limit 200
$$;
comment on function public.followed_reports() is 'The cases the caller follows (not their own): category, status, times and a location rounded to 0.001 degrees (about 100 m). Nothing else of the case.';

create function public.followed_report_status(report uuid)
returns table (id uuid, category_code text, status public.report_status, approx_lat double precision,
               approx_lon double precision, created_at timestamptz, updated_at timestamptz, followed_at timestamptz,
               steps jsonb)
language plpgsql stable
security definer set search_path = ''
as $$
begin
  if not exists (select 1 from public.report_followers f where f.report_id = report and f.user_id = auth.uid()) then
    raise exception 'you do not follow case %', report using errcode = 'PT404';
  end if;
  return query
    select r.id, r.category_code, r.status, round(r.lat::numeric, 3)::double precision,
           round(r.lon::numeric, 3)::double precision, r.created_at, r.updated_at, f.created_at,
           coalesce((select jsonb_agg(jsonb_build_object('from_status', e.from_status, 'to_status', e.to_status,
                                                         'at', e.created_at) order by e.id)
                     from public.case_events e
                     -- status steps only: notes, comments and escalations keep the status and stay out
                     where e.report_id = r.id and e.from_status is distinct from e.to_status), '[]'::jsonb)
    from public.reports r
    join public.report_followers f on f.report_id = r.id and f.user_id = auth.uid()
    where r.id = report;
end
$$;
comment on function public.followed_report_status(uuid) is 'A followed case''s status: category, status, times, a location rounded to about 100 m and its status steps [{from_status, to_status, at}] (no actor, no note). PT404 unless the caller follows it.';

drop function public.nearby_open_reports(double precision, double precision, text, double precision);
create function public.nearby_open_reports(lat double precision, lon double precision, category text default null,
                                           radius_m double precision default 50)
returns table (id uuid, category_code text, status public.report_status, distance_m double precision,
               mine boolean, created_at timestamptz)
language plpgsql volatile
security definer set search_path = ''
as $$
declare
  widest integer := private.limit_value('nearby_radius_m');
  most integer := private.limit_value('nearby_lookups');
  lookups integer;
begin
  perform private.check_location(lat, lon, null);
  if radius_m is null or radius_m = 'NaN'::double precision or radius_m <= 0 or radius_m > widest then
    raise exception 'the radius is a distance in metres, more than 0 and at most %', widest using errcode = 'PT400',
      hint = 'nearby_radius_m';
  end if;
  if auth.uid() is not null then
    perform pg_advisory_xact_lock(hashtext('cityloop.nearby_lookups'), hashtext(auth.uid()::text));
    select count(*) into lookups from private.nearby_lookups n
    where n.user_id = auth.uid() and n.looked_at > now() - private.limit_window('nearby_lookups');
    if lookups >= most then
      raise exception 'too many look-ups of nearby cases: at most % in % minutes; try again later', most,
          extract(epoch from private.limit_window('nearby_lookups'))::integer / 60
        using errcode = 'PT429', hint = 'nearby_lookups';
    end if;
    insert into private.nearby_lookups (user_id) values (auth.uid());
  end if;
  return query
    select r.id, r.category_code, r.status, round(d.m / 10) * 10, r.reporter_id is not distinct from auth.uid(),
           r.created_at
    from public.reports r
    cross join lateral (select extensions.earth_distance(extensions.ll_to_earth(nearby_open_reports.lat, nearby_open_reports.lon),
                                                         extensions.ll_to_earth(r.lat, r.lon)) as m) d
    where r.status not in ('resolved', 'closed', 'rejected')
      and (category is null or r.category_code = category)
      and r.lat between nearby_open_reports.lat - radius_m / 111000.0 and nearby_open_reports.lat + radius_m / 111000.0
      and d.m <= radius_m
    order by d.m
    limit 20;
end
$$;
comment on function public.nearby_open_reports(double precision, double precision, text, double precision) is 'Open cases of a category within radius_m (default 50 m, at most private.limits nearby_radius_m = 200 m, else PT400) of a point, nearest first: offered as "follow that case". Distance rounded to 10 m, whether the case is the caller''s own; no address, reporter or description. Throttled per person (PT429, hint nearby_lookups).';

-- Only the security-definer functions (their owner) read the limits; no API role needs them.
revoke execute on function private.limit_value(text), private.limit_window(text) from public;
revoke execute on function public.followed_reports(), public.followed_report_status(uuid),
  public.nearby_open_reports(double precision, double precision, text, double precision) from public, anon;
grant execute on function public.followed_reports(), public.followed_report_status(uuid),
  public.nearby_open_reports(double precision, double precision, text, double precision) to authenticated, service_role;

-- Row-level security ------------------------------------------------------
drop policy "Followers can read the reports they follow" on public.reports;

-- Grants -----------------------------------------------------------------
revoke all on private.limits, private.nearby_lookups from public, anon, authenticated;
