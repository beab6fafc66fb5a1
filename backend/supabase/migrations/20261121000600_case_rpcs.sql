-- Case actions: every change to a case after dispatch is one of these RPCs.
-- Each one checks, in SQL, who calls it and whether the transition is legal, changes
-- the report and its task, writes exactly one case_events row and notifies; on refusal
-- it raises and changes nothing. The transition is checked first (PT409), then the caller (PT403).
-- Errors (the gateway maps PTxyz to HTTP xyz):
--   PT400 bad argument, PT403 caller may not, PT404 no such report (or not visible), PT409 illegal transition.
--
-- Who handles a case: whoever holds its active task (the grid worker; any staff of the
-- department whose queue holds it; a supervisor of the task's street, or any supervisor
-- for the city-wide queue), a supervisor of the report's street (oversight), or the
-- service role (jobs). The reporter answers requests for information, reopens (within
-- 7 days of the resolution), closes and rates.
--
--   accept_report          dispatched | transferred | reopened        -> accepted      handler
--   start_report           accepted                                   -> in_progress   handler
--   request_report_info    accepted | in_progress                     -> needs_info    handler
--   answer_report_info     needs_info                                 -> in_progress   reporter
--   transfer_report        dispatched | accepted | in_progress | needs_info | transferred | reopened
--                                                                     -> transferred   handler (to a department or a grid worker, with a reason)
--   resolve_report         accepted | in_progress                     -> resolved      handler (note, photos)
--   reject_report          dispatched | accepted | in_progress | needs_info | transferred | reopened
--                                                                     -> rejected      handler (reason, optional duplicate_of)
--   reopen_report          resolved (within 7 days)                   -> reopened      reporter (back to the same handler)
--   close_report           resolved                                   -> closed        reporter, supervisor, service
--   rate_report            resolved | closed                          -> closed        reporter, once (1-5, comment)
--   comment_report         any                                        -> (unchanged)   anyone who can read the report
-- Not case changes (no case_events row): follow_report, nearby_open_reports.

-- Tables -----------------------------------------------------------------
alter table public.reports
  add column resolution_note text check (length(resolution_note) <= 2000),
  add column resolution_photos text[] not null default '{}' check (cardinality(resolution_photos) <= 9),
  add column resolved_at timestamptz;
comment on column public.reports.resolution_note is 'What the handler did, shown to the reporter (set by resolve_report).';
comment on column public.reports.resolution_photos is 'Storage paths of after-photos, at most 9 (set by resolve_report).';

create table public.ratings (
  report_id uuid primary key references public.reports (id) on delete cascade,
  rater_id uuid not null references auth.users (id) on delete cascade,
  score smallint not null check (score between 1 and 5),
  comment text check (length(comment) <= 1000),
  created_at timestamptz not null default now()
);
comment on table public.ratings is 'The reporter''s rating of a handled case (1-5), one per report; written by rate_report.';

-- Indexes ----------------------------------------------------------------
create index ratings_rater_id_idx on public.ratings (rater_id);
create index reports_open_category_idx on public.reports (category_code, lat)
  where status not in ('resolved', 'closed', 'rejected');

-- Functions: helpers -----------------------------------------------------
create function private.is_service() returns boolean
language sql stable
security definer set search_path = ''
as $$
  select coalesce(auth.role() = 'service_role', false)
$$;
comment on function private.is_service() is 'Whether the caller uses the service-role key (jobs, administration).';

create function private.lock_case(report uuid) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports;
begin
  select * into r from public.reports where id = report for update;
  if r.id is null or not (private.is_service() or private.can_read_report(report)) then
    raise exception 'report % not found', report using errcode = 'PT404';
  end if;
  return r;
end
$$;
comment on function private.lock_case(uuid) is 'The report, locked for the rest of the transaction; PT404 when it does not exist or the caller may not see it.';

create function private.active_task(report uuid) returns public.tasks
language sql
security definer set search_path = ''
as $$
  select * from public.tasks where report_id = report and status in ('open', 'accepted', 'in_progress') for update
$$;
comment on function private.active_task(uuid) is 'The report''s active task (open, accepted or in progress), locked; null when none.';

create function private.may_handle(r public.reports, t public.tasks) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select private.is_service()
    or (t.id is not null and (
          (t.queue = 'worker' and t.assignee_id = auth.uid() and private.user_role() = 'grid_worker')
          or (t.queue = 'department' and t.department_code = any(private.staff_departments()))
          or (t.queue = 'supervisor' and private.user_role() = 'supervisor'
              and (t.street_id is null or t.street_id = any(private.supervised_street_ids())))))
    or (private.user_role() = 'supervisor' and (r.street_id is null or r.street_id = any(private.supervised_street_ids())))
$$;
comment on function private.may_handle(public.reports, public.tasks) is 'Whether the caller holds the case''s task, supervises its street, or is the service role.';

create function private.require_status(r public.reports, allowed public.report_status[], action text) returns void
language plpgsql
security definer set search_path = ''
as $$
begin
  if not r.status = any(allowed) then
    raise exception 'cannot % a report that is %', action, r.status using errcode = 'PT409';
  end if;
end
$$;
comment on function private.require_status(public.reports, public.report_status[], text) is 'PT409 unless the report is in one of the allowed states.';

create function private.require_handler(r public.reports, t public.tasks, action text) returns void
language plpgsql
security definer set search_path = ''
as $$
begin
  if not private.may_handle(r, t) then
    raise exception 'only the handler of this case may %', action using errcode = 'PT403';
  end if;
end
$$;
comment on function private.require_handler(public.reports, public.tasks, text) is 'PT403 unless the caller may handle the case (see private.may_handle).';

create function private.require_text(value text, what text) returns text
language plpgsql
security definer set search_path = ''
as $$
begin
  if value is null or length(btrim(value)) = 0 then
    raise exception '% is required', what using errcode = 'PT400';
  end if;
  if length(value) > 2000 then
    raise exception '% is longer than 2000 characters', what using errcode = 'PT400';
  end if;
  return btrim(value);
end
$$;
comment on function private.require_text(text, text) is 'PT400 unless the text is present and at most 2000 characters; returns it trimmed.';

create function private.record_change(r public.reports, to_status public.report_status, note text)
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
    for follower in
      select r.reporter_id where r.reporter_id is not null
      union
      select f.user_id from public.report_followers f where f.report_id = r.id
    loop
      if follower is distinct from auth.uid() then
        perform private.notify(follower, 'report_status', '您关注的事件状态已更新', 'A case you follow has changed',
                               r.id, jsonb_build_object('from', r.status, 'to', to_status));
      end if;
    end loop;
  end if;
  return changed;
end
$$;
comment on function private.record_change(public.reports, public.report_status, text) is 'Sets the status, writes the one case_events row, notifies the reporter and followers.';

create function private.notify_holders(t public.tasks, kind text, title_zh text, title_en text) returns void
language plpgsql
security definer set search_path = ''
as $$
declare
  recipient uuid;
begin
  for recipient in
    select t.assignee_id where t.queue = 'worker'
    union
    select ds.user_id from public.department_staff ds where t.queue = 'department' and ds.department_code = t.department_code
    union
    select ss.user_id from public.supervisor_streets ss
      where t.queue = 'supervisor' and (t.street_id is null or ss.street_id = t.street_id)
  loop
    if recipient is distinct from auth.uid() then
      perform private.notify(recipient, kind, title_zh, title_en, t.report_id, jsonb_build_object('queue', t.queue));
    end if;
  end loop;
end
$$;
comment on function private.notify_holders(public.tasks, text, text, text) is 'Notifies whoever holds a task: the worker, the department''s staff or the supervisors.';

-- Functions: the RPCs ----------------------------------------------------
create function public.accept_report(report uuid) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  t public.tasks := private.active_task(report);
begin
  perform private.require_status(r, '{dispatched,transferred,reopened}', 'accept');
  perform private.require_handler(r, t, 'accept it');
  update public.tasks set status = 'accepted', assignee_id = coalesce(assignee_id, auth.uid()) where id = t.id;
  return private.record_change(r, 'accepted', null);
end
$$;
comment on function public.accept_report(uuid) is 'The handler accepts a dispatched, transferred or reopened case.';

create function public.start_report(report uuid) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  t public.tasks := private.active_task(report);
begin
  perform private.require_status(r, '{accepted}', 'start');
  perform private.require_handler(r, t, 'start work on it');
  update public.tasks set status = 'in_progress' where id = t.id;
  return private.record_change(r, 'in_progress', null);
end
$$;
comment on function public.start_report(uuid) is 'The handler starts work on an accepted case.';

create function public.request_report_info(report uuid, note text) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  t public.tasks := private.active_task(report);
begin
  perform private.require_status(r, '{accepted,in_progress}', 'ask for information on');
  perform private.require_handler(r, t, 'ask for information');
  return private.record_change(r, 'needs_info', private.require_text(note, 'the question'));
end
$$;
comment on function public.request_report_info(uuid, text) is 'The handler asks the reporter for more information.';

create function public.answer_report_info(report uuid, note text) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  t public.tasks := private.active_task(report);
  answer text;
begin
  perform private.require_status(r, '{needs_info}', 'answer');
  if r.reporter_id is distinct from auth.uid() then
    raise exception 'only the reporter may answer' using errcode = 'PT403';
  end if;
  answer := private.require_text(note, 'the answer');
  if t.id is not null then
    perform private.notify_holders(t, 'info_answered', '上报人已补充信息', 'The reporter answered');
  end if;
  return private.record_change(r, 'in_progress', answer);
end
$$;
comment on function public.answer_report_info(uuid, text) is 'The reporter answers a request for information; work goes on.';

create function public.transfer_report(report uuid, reason text, to_department text default null,
                                       to_worker uuid default null) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  t public.tasks := private.active_task(report);
  why text;
  fresh public.tasks;
begin
  perform private.require_status(r, '{dispatched,accepted,in_progress,needs_info,transferred,reopened}', 'transfer');
  perform private.require_handler(r, t, 'transfer it');
  why := private.require_text(reason, 'the reason');
  if (to_department is null) = (to_worker is null) then
    raise exception 'transfer to either a department or a grid worker' using errcode = 'PT400';
  end if;
  if to_department is not null and not exists (select 1 from public.departments d where d.code = to_department) then
    raise exception 'no department %', to_department using errcode = 'PT400';
  end if;
  if to_worker is not null and not exists (
      select 1 from public.profiles p where p.id = to_worker and p.role = 'grid_worker'
        and exists (select 1 from public.worker_grids wg where wg.worker_id = to_worker)) then
    raise exception 'no grid worker %', to_worker using errcode = 'PT400';
  end if;
  update public.tasks set status = 'cancelled' where id = t.id;
  insert into public.tasks (report_id, queue, assignee_id, department_code)
  values (r.id, case when to_worker is not null then 'worker' else 'department' end::public.task_queue,
          to_worker, to_department)
  returning * into fresh;
  update public.reports set department_code = coalesce(to_department, 'city_mgmt') where id = r.id;
  perform private.notify_holders(fresh, 'task_assigned', '转派给您的事件', 'A case was transferred to you');
  return private.record_change(r, 'transferred', why);
end
$$;
comment on function public.transfer_report(uuid, text, text, uuid) is 'The handler passes the case to a department or a grid worker, with a reason.';

create function public.resolve_report(report uuid, note text, photos text[] default '{}') returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  t public.tasks := private.active_task(report);
  what text;
begin
  perform private.require_status(r, '{accepted,in_progress}', 'resolve');
  perform private.require_handler(r, t, 'resolve it');
  what := private.require_text(note, 'the note');
  if cardinality(coalesce(resolve_report.photos, '{}')) > 9 then
    raise exception 'at most 9 photos' using errcode = 'PT400';
  end if;
  update public.tasks set status = 'done' where id = t.id;
  update public.reports set resolution_note = what, resolution_photos = coalesce(resolve_report.photos, '{}'), resolved_at = now()
  where id = r.id;
  return private.record_change(r, 'resolved', what);
end
$$;
comment on function public.resolve_report(uuid, text, text[]) is 'The handler reports what was done, with after-photos.';

create function public.reject_report(report uuid, reason text, duplicate_of uuid default null) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  t public.tasks := private.active_task(report);
  why text;
begin
  perform private.require_status(r, '{dispatched,accepted,in_progress,needs_info,transferred,reopened}', 'reject');
  perform private.require_handler(r, t, 'reject it');
  why := private.require_text(reason, 'the reason');
  if duplicate_of is not null and (duplicate_of = r.id
      or not exists (select 1 from public.reports o where o.id = reject_report.duplicate_of)) then
    raise exception 'no other report %', duplicate_of using errcode = 'PT400';
  end if;
  update public.tasks set status = 'cancelled' where id = t.id;
  update public.reports set duplicate_of = reject_report.duplicate_of where id = r.id;
  return private.record_change(r, 'rejected', why);
end
$$;
comment on function public.reject_report(uuid, text, uuid) is 'The handler rejects an invalid or duplicate report, with a reason the reporter sees.';

create function public.reopen_report(report uuid, note text) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  previous public.tasks;
  fresh public.tasks;
  why text;
begin
  perform private.require_status(r, '{resolved}', 'reopen');
  if r.reporter_id is distinct from auth.uid() then
    raise exception 'only the reporter may reopen a case' using errcode = 'PT403';
  end if;
  if r.resolved_at < now() - interval '7 days' then
    raise exception 'a case can be reopened within 7 days of its resolution' using errcode = 'PT409';
  end if;
  why := private.require_text(note, 'the reason');
  select * into previous from public.tasks where report_id = r.id and status = 'done' order by updated_at desc, created_at desc
  limit 1;
  insert into public.tasks (report_id, queue, assignee_id, department_code, street_id)
  values (r.id, coalesce(previous.queue, 'supervisor'), previous.assignee_id, previous.department_code,
          case when previous.id is null then r.street_id else previous.street_id end)
  returning * into fresh;
  perform private.notify_holders(fresh, 'case_reopened', '事件被上报人重新打开', 'A case was reopened by its reporter');
  -- Its supervisors see every reopened case.
  perform private.notify(ss.user_id, 'case_reopened', '事件被上报人重新打开', 'A case was reopened by its reporter', r.id)
  from public.supervisor_streets ss where ss.street_id = r.street_id and ss.user_id is distinct from fresh.assignee_id;
  return private.record_change(r, 'reopened', why);
end
$$;
comment on function public.reopen_report(uuid, text) is 'The reporter is not satisfied (within 7 days): back to the same handler; the supervisor is told.';

create function public.close_report(report uuid) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
begin
  perform private.require_status(r, '{resolved}', 'close');
  if r.reporter_id is distinct from auth.uid() and not private.is_service()
     and not (private.user_role() = 'supervisor'
              and (r.street_id is null or r.street_id = any(private.supervised_street_ids()))) then
    raise exception 'only the reporter or a supervisor may close a case' using errcode = 'PT403';
  end if;
  return private.record_change(r, 'closed', null);
end
$$;
comment on function public.close_report(uuid) is 'The reporter (or a supervisor, or a job) closes a resolved case.';

create function public.rate_report(report uuid, score integer, comment text default null) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
begin
  perform private.require_status(r, '{resolved,closed}', 'rate');
  if r.reporter_id is distinct from auth.uid() then
    raise exception 'only the reporter may rate a case' using errcode = 'PT403';
  end if;
  if score is null or score not between 1 and 5 then
    raise exception 'the score is 1 to 5' using errcode = 'PT400';
  end if;
  if length(comment) > 1000 then
    raise exception 'the comment is longer than 1000 characters' using errcode = 'PT400';
  end if;
  if exists (select 1 from public.ratings g where g.report_id = r.id) then
    raise exception 'this case is already rated' using errcode = 'PT409';
  end if;
  insert into public.ratings (report_id, rater_id, score, comment) values (r.id, auth.uid(), rate_report.score, nullif(btrim(rate_report.comment), ''));
  return private.record_change(r, 'closed', format('rated %s/5', score));
end
$$;
comment on function public.rate_report(uuid, integer, text) is 'The reporter rates the handling (1-5), once; a resolved case is closed by it.';

create function public.comment_report(report uuid, note text) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
begin
  return private.record_change(r, r.status, private.require_text(note, 'the comment'));
end
$$;
comment on function public.comment_report(uuid, text) is 'Anyone who can see the case adds a note to its timeline; the status stays.';

create function public.follow_report(report uuid) returns boolean
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
  insert into public.report_followers (report_id, user_id) values (report, auth.uid()) on conflict do nothing;
  return true;
end
$$;
comment on function public.follow_report(uuid) is 'Follow an open case (offered instead of filing a duplicate); idempotent.';

create function public.nearby_open_reports(lat double precision, lon double precision, category text default null,
                                           radius_m double precision default 50)
returns table (id uuid, category_code text, status public.report_status, distance_m double precision,
               address text, created_at timestamptz)
language sql stable
security definer set search_path = ''
as $$
  select r.id, r.category_code, r.status, d.m, r.address, r.created_at
  from public.reports r
  cross join lateral (select extensions.earth_distance(extensions.ll_to_earth(nearby_open_reports.lat, nearby_open_reports.lon),
                                                       extensions.ll_to_earth(r.lat, r.lon)) as m) d
  where r.status not in ('resolved', 'closed', 'rejected')
    and (category is null or r.category_code = category)
    and r.lat between nearby_open_reports.lat - least(radius_m, 5000) / 111000.0
                  and nearby_open_reports.lat + least(radius_m, 5000) / 111000.0
    and d.m <= least(radius_m, 5000)
  order by d.m
  limit 20
$$;
comment on function public.nearby_open_reports(double precision, double precision, text, double precision) is 'Open cases of a category within radius_m (default 50 m, at most 5 km) of a point, nearest first: offered as "follow that case". No reporter or description is returned.';

revoke execute on function private.is_service(), private.lock_case(uuid), private.active_task(uuid),
  private.may_handle(public.reports, public.tasks), private.require_handler(public.reports, public.tasks, text),
  private.require_status(public.reports, public.report_status[], text),
  private.require_text(text, text), private.record_change(public.reports, public.report_status, text),
  private.notify_holders(public.tasks, text, text, text) from public;
revoke execute on function public.accept_report(uuid), public.start_report(uuid), public.request_report_info(uuid, text),
  public.answer_report_info(uuid, text), public.transfer_report(uuid, text, text, uuid),
  public.resolve_report(uuid, text, text[]), public.reject_report(uuid, text, uuid), public.reopen_report(uuid, text),
  public.close_report(uuid), public.rate_report(uuid, integer, text), public.comment_report(uuid, text),
  public.follow_report(uuid), public.nearby_open_reports(double precision, double precision, text, double precision)
  from public, anon;
grant execute on function public.accept_report(uuid), public.start_report(uuid), public.request_report_info(uuid, text),
  public.answer_report_info(uuid, text), public.transfer_report(uuid, text, text, uuid),
  public.resolve_report(uuid, text, text[]), public.reject_report(uuid, text, uuid), public.reopen_report(uuid, text),
  public.close_report(uuid), public.rate_report(uuid, integer, text), public.comment_report(uuid, text),
  public.follow_report(uuid), public.nearby_open_reports(double precision, double precision, text, double precision)
  to authenticated, service_role;

-- Row-level security ------------------------------------------------------
alter table public.ratings enable row level security;

create policy "People can read ratings of reports they can read" on public.ratings for select to authenticated
  using (private.can_read_report(report_id));

-- Grants -----------------------------------------------------------------
revoke all on public.ratings from anon, authenticated;
grant select on public.ratings to anon, authenticated;
grant all on public.ratings to service_role;
