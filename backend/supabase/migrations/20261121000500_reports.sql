-- Reports and their routing: a report, the task (work order) that carries it,
-- the append-only case_events timeline, notifications and followers.
--
-- Dispatch happens inside the INSERT of a report, in one transaction (all or nothing):
--   1. grid = the grid whose polygon contains (lon, lat); street = that grid's street;
--   2. department, priority and due_at (now + sla_hours) come from the category (an item, level 3);
--   3. the task goes to
--      - the department's queue when the item's department is not city_mgmt
--        (environment, water, market, ... handle their own matters);
--      - otherwise the on-duty grid worker of that grid with the fewest active tasks
--        (open/accepted/in_progress; ties: longest on duty, then id);
--      - the street supervisor's queue when the grid has no worker on duty;
--      - the city-wide supervisor queue (street null, seen by every supervisor) when the
--        point lies outside every grid: such a report is accepted, never refused;
--   4. status becomes dispatched; case_events gets (null -> submitted) by the reporter and
--      (submitted -> dispatched) by the system; the reporter and whoever got the task
--      (the worker, the department's staff or the supervisors) are notified.
-- Nobody updates a report directly: changes go through security-definer RPCs.

-- Types ------------------------------------------------------------------
create type public.report_source as enum ('citizen_app', 'grid_app', 'hotline', 'sensor');
create type public.report_status as enum ('submitted', 'dispatched', 'accepted', 'in_progress', 'needs_info',
  'transferred', 'resolved', 'closed', 'rejected', 'reopened');
create type public.task_status as enum ('open', 'accepted', 'in_progress', 'done', 'cancelled');
create type public.task_queue as enum ('worker', 'department', 'supervisor');
comment on type public.report_status is 'Case lifecycle: submitted -> dispatched -> accepted -> in_progress -> resolved -> closed, with needs_info, transferred, reopened, rejected.';
comment on type public.task_queue is 'Who holds a task: one grid worker, a department''s queue, or a supervisor queue (a street, or city-wide when street_id is null).';

-- Tables -----------------------------------------------------------------
create table public.reports (
  id uuid primary key default gen_random_uuid(),
  reporter_id uuid default auth.uid() references auth.users (id) on delete set null,
  category_code text not null references public.categories (code),
  description text not null check (length(description) between 1 and 2000),
  lat double precision not null check (lat between -90 and 90),
  lon double precision not null check (lon between -180 and 180),
  address text check (length(address) <= 300),
  grid_id uuid references public.areas (id),
  street_id uuid references public.areas (id),
  department_code text references public.departments (code),
  photos text[] not null default '{}' check (cardinality(photos) <= 9),
  source public.report_source not null default 'citizen_app',
  status public.report_status not null default 'submitted',
  priority smallint check (priority between 1 and 4),
  due_at timestamptz,
  duplicate_of uuid references public.reports (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.reports is 'A problem reported by a resident (or a worker, the hotline, a sensor). The client may choose its id, so a retried submission is not filed twice.';
comment on column public.reports.photos is 'Storage paths (bucket reports, <uid>/...), at most 9.';
comment on column public.reports.grid_id is 'Set by dispatch: the grid containing (lon, lat); null outside every grid.';
comment on column public.reports.street_id is 'Set by dispatch: the street of grid_id; supervisors of that street oversee the report.';

create table public.tasks (
  id uuid primary key default gen_random_uuid(),
  report_id uuid not null references public.reports (id) on delete cascade,
  queue public.task_queue not null,
  assignee_id uuid references auth.users (id) on delete set null,
  department_code text references public.departments (code),
  street_id uuid references public.areas (id),
  status public.task_status not null default 'open',
  note text check (length(note) <= 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tasks_worker_has_assignee check (queue <> 'worker' or assignee_id is not null or status in ('done', 'cancelled')),
  constraint tasks_department_has_code check (queue <> 'department' or department_code is not null)
);
comment on table public.tasks is 'Work order for a report: held by one worker, a department queue or a supervisor queue. At most one active task per report. A worker with active tasks cannot be deleted before they are passed on.';

create table public.case_events (
  id bigint generated always as identity primary key,
  report_id uuid not null references public.reports (id) on delete cascade,
  actor_id uuid,
  actor_role text not null,
  from_status public.report_status,
  to_status public.report_status not null,
  note text,
  created_at timestamptz not null default now()
);
comment on table public.case_events is 'Append-only timeline of a case: one row per change, written only by dispatch and the case RPCs. Never updated or deleted.';
comment on column public.case_events.actor_id is 'Who acted (null: system). No foreign key: the history outlives a deleted account and is never rewritten.';
comment on column public.case_events.actor_role is 'citizen, grid_worker, dept_staff, supervisor, admin, service (service role) or system (dispatch, jobs).';

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null,
  title_zh text not null,
  title_en text not null,
  payload jsonb not null default '{}'::jsonb,
  report_id uuid references public.reports (id) on delete cascade,
  read_at timestamptz,
  created_at timestamptz not null default now()
);
comment on table public.notifications is 'In-app notifications; people read theirs and mark them read.';

create table public.report_followers (
  report_id uuid not null references public.reports (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (report_id, user_id)
);
comment on table public.report_followers is 'People who follow someone else''s report (instead of filing a duplicate).';

-- Indexes ----------------------------------------------------------------
create index reports_reporter_id_idx on public.reports (reporter_id);
create index reports_grid_id_idx on public.reports (grid_id);
create index reports_street_id_idx on public.reports (street_id);
create index reports_department_code_idx on public.reports (department_code);
create index reports_status_idx on public.reports (status);
create index reports_category_code_idx on public.reports (category_code);
create index reports_duplicate_of_idx on public.reports (duplicate_of);
create index tasks_report_id_idx on public.tasks (report_id);
create index tasks_assignee_id_idx on public.tasks (assignee_id) where assignee_id is not null;
create index tasks_department_code_idx on public.tasks (department_code);
create index tasks_street_id_idx on public.tasks (street_id);
create unique index tasks_one_active_per_report on public.tasks (report_id)
  where status in ('open', 'accepted', 'in_progress');
create index case_events_report_id_idx on public.case_events (report_id, created_at);
create index case_events_actor_id_idx on public.case_events (actor_id);
create index notifications_user_id_idx on public.notifications (user_id, created_at desc);
create index notifications_report_id_idx on public.notifications (report_id);
create index report_followers_user_id_idx on public.report_followers (user_id);

-- Functions --------------------------------------------------------------
create function private.actor_role() returns text
language sql stable
security definer set search_path = ''
as $$
  select coalesce(private.user_role(), case when auth.role() = 'service_role' then 'service' else 'system' end)
$$;
comment on function private.actor_role() is 'The role written into case_events for the caller.';

create function private.can_read_report(report uuid) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select exists (
    select 1 from public.reports r
    where r.id = report and (
      r.reporter_id = auth.uid()
      or exists (select 1 from public.report_followers f where f.report_id = r.id and f.user_id = auth.uid())
      or r.grid_id = any(private.worker_grid_ids())
      or (private.user_role() = 'grid_worker'
          and exists (select 1 from public.tasks t where t.report_id = r.id and t.assignee_id = auth.uid()))
      or r.department_code = any(private.staff_departments())
      or (private.user_role() = 'supervisor' and (r.street_id is null or r.street_id = any(private.supervised_street_ids())))
      or private.user_role() = 'admin'))
$$;
comment on function private.can_read_report(uuid) is 'Whether the caller may see a report: reporter, follower, worker of its grid or of its task, staff of its department, supervisor of its street, admin.';

create function private.assigned_report_ids() returns uuid[]
language sql stable
security definer set search_path = ''
as $$
  select coalesce(array_agg(distinct t.report_id), '{}') from public.tasks t
  where t.assignee_id = auth.uid() and private.user_role() = 'grid_worker'
$$;
comment on function private.assigned_report_ids() is 'Reports whose task was ever held by the calling grid worker (also outside their grids).';

create function private.followed_report_ids() returns uuid[]
language sql stable
security definer set search_path = ''
as $$
  select coalesce(array_agg(f.report_id), '{}') from public.report_followers f where f.user_id = auth.uid()
$$;
comment on function private.followed_report_ids() is 'Reports the caller follows.';

create function private.notify(recipient uuid, kind text, title_zh text, title_en text, report uuid,
                               payload jsonb default '{}'::jsonb) returns void
language sql
security definer set search_path = ''
as $$
  insert into public.notifications (user_id, kind, title_zh, title_en, report_id, payload)
  values (recipient, kind, title_zh, title_en, report, payload)
$$;
comment on function private.notify(uuid, text, text, text, uuid, jsonb) is 'Adds one notification.';

create function private.route_report() returns trigger
language plpgsql
security definer set search_path = ''
as $$
declare
  item public.categories;
begin
  select * into item from public.categories c where c.code = new.category_code;
  if item.code is null or item.level <> 3 then
    raise exception 'category % is not an item (level 3) of the taxonomy, or does not exist', new.category_code using errcode = '23514';
  end if;
  new.grid_id := private.grid_for_point(new.lon, new.lat);
  new.street_id := case when new.grid_id is not null then private.street_of(new.grid_id) end;
  new.department_code := coalesce(item.department_code, 'city_mgmt');
  new.priority := item.priority;
  new.due_at := case when item.sla_hours is not null then now() + make_interval(hours => item.sla_hours) end;
  new.status := 'dispatched';
  new.duplicate_of := null;
  new.created_at := now();
  new.updated_at := now();
  return new;
end
$$;
comment on function private.route_report() is 'reports BEFORE INSERT: grid, street, department, priority, due time; status dispatched.';

create function private.dispatch_report() returns trigger
language plpgsql
security definer set search_path = ''
as $$
declare
  worker uuid;
  task_queue public.task_queue;
  task_street uuid;
  recipient uuid;
  reporter_role text := coalesce(private.user_role(), case when auth.role() = 'service_role' then 'service' else 'system' end);
begin
  if new.grid_id is null then
    task_queue := 'supervisor';
    task_street := null;
  elsif new.department_code <> 'city_mgmt' then
    task_queue := 'department';
  else
    select wg.worker_id into worker
    from public.worker_grids wg
    join public.worker_duty d on d.worker_id = wg.worker_id and d.on_duty
    where wg.grid_id = new.grid_id
    order by (select count(*) from public.tasks t
              where t.assignee_id = wg.worker_id and t.status in ('open', 'accepted', 'in_progress')),
             d.since, wg.worker_id
    limit 1;
    if worker is not null then
      task_queue := 'worker';
    else
      task_queue := 'supervisor';
      task_street := new.street_id;
    end if;
  end if;

  insert into public.tasks (report_id, queue, assignee_id, department_code, street_id)
  values (new.id, task_queue, worker,
          case when task_queue = 'department' then new.department_code end,
          case when task_queue = 'supervisor' then task_street end);

  insert into public.case_events (report_id, actor_id, actor_role, from_status, to_status, note) values
    (new.id, new.reporter_id, reporter_role, null, 'submitted', null),
    (new.id, null, 'system', 'submitted', 'dispatched',
     case task_queue when 'worker' then 'grid worker' when 'department' then 'department ' || new.department_code
                     else 'supervisor queue' end);

  if new.reporter_id is not null then
    perform private.notify(new.reporter_id, 'report_dispatched', '您的上报已受理并派发', 'Your report was received and dispatched',
                           new.id, jsonb_build_object('status', 'dispatched', 'queue', task_queue));
  end if;
  for recipient in
    select worker where task_queue = 'worker'
    union
    select ds.user_id from public.department_staff ds
      where task_queue = 'department' and ds.department_code = new.department_code
    union
    select ss.user_id from public.supervisor_streets ss
      where task_queue = 'supervisor' and (task_street is null or ss.street_id = task_street)
  loop
    perform private.notify(recipient, 'task_assigned', '新的待办事件', 'New case to handle', new.id,
                           jsonb_build_object('queue', task_queue, 'category_code', new.category_code));
  end loop;
  return null;
end
$$;
comment on function private.dispatch_report() is 'reports AFTER INSERT: the task, the first two case_events, notifications (same transaction).';

create function private.refuse_change() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  raise exception '% is append-only', tg_table_name using errcode = '42501';
end
$$;
comment on function private.refuse_change() is 'Refuses UPDATE, DELETE and TRUNCATE on append-only tables (for every role).';

revoke execute on function private.actor_role(), private.can_read_report(uuid), private.assigned_report_ids(),
  private.followed_report_ids() from public;
grant execute on function private.actor_role(), private.can_read_report(uuid), private.assigned_report_ids(),
  private.followed_report_ids() to authenticated, service_role;
revoke execute on function private.notify(uuid, text, text, text, uuid, jsonb), private.route_report(),
  private.dispatch_report(), private.refuse_change() from public;

-- Row-level security ------------------------------------------------------
alter table public.reports enable row level security;
alter table public.tasks enable row level security;
alter table public.case_events enable row level security;
alter table public.notifications enable row level security;
alter table public.report_followers enable row level security;

create policy "Citizens can file reports as themselves" on public.reports for insert to authenticated
  with check (reporter_id = (select auth.uid()) and (select private.user_role()) = 'citizen' and source = 'citizen_app');
create policy "Grid workers can file reports as themselves" on public.reports for insert to authenticated
  with check (reporter_id = (select auth.uid()) and (select private.user_role()) = 'grid_worker'
              and source in ('grid_app', 'citizen_app'));

create policy "Reporters can read their own reports" on public.reports for select to authenticated
  using (reporter_id = (select auth.uid()));
create policy "Followers can read the reports they follow" on public.reports for select to authenticated
  using (id = any((select private.followed_report_ids())::uuid[]));
create policy "Grid workers can read reports in their grids" on public.reports for select to authenticated
  using (grid_id = any((select private.worker_grid_ids())::uuid[]));
create policy "Grid workers can read reports they were given" on public.reports for select to authenticated
  using (id = any((select private.assigned_report_ids())::uuid[]));
create policy "Department staff can read their department's reports" on public.reports for select to authenticated
  using (department_code = any((select private.staff_departments())::text[]));
create policy "Supervisors can read reports in their streets and outside every grid" on public.reports
  for select to authenticated
  using ((select private.user_role()) = 'supervisor'
         and (street_id is null or street_id = any((select private.supervised_street_ids())::uuid[])));
create policy "Admins can read every report" on public.reports for select to authenticated
  using ((select private.user_role()) = 'admin');

create policy "People can read tasks of reports they can read" on public.tasks for select to authenticated
  using (private.can_read_report(report_id));
create policy "People can read the timeline of reports they can read" on public.case_events for select to authenticated
  using (private.can_read_report(report_id));

create policy "People can read their own notifications" on public.notifications for select to authenticated
  using (user_id = (select auth.uid()));
create policy "People can mark their own notifications read" on public.notifications for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));

create policy "People can read what they follow" on public.report_followers for select to authenticated
  using (user_id = (select auth.uid()));

-- Grants -----------------------------------------------------------------
-- Anon may select but no policy lets it see a row. Everything else a user changes goes through RPCs.
revoke all on public.reports, public.tasks, public.case_events, public.notifications, public.report_followers
  from anon, authenticated;
grant select on public.reports, public.tasks, public.case_events, public.notifications, public.report_followers
  to anon, authenticated;
grant insert (id, category_code, description, lat, lon, address, photos, source) on public.reports to authenticated;
grant update (read_at) on public.notifications to authenticated;
grant all on public.reports, public.tasks, public.notifications, public.report_followers to service_role;
grant select, insert on public.case_events to service_role;

-- Triggers ---------------------------------------------------------------
create trigger reports_route before insert on public.reports
  for each row execute function private.route_report();
create trigger reports_dispatch after insert on public.reports
  for each row execute function private.dispatch_report();
create trigger reports_touch_updated_at before update on public.reports
  for each row execute function private.touch_updated_at();
create trigger tasks_touch_updated_at before update on public.tasks
  for each row execute function private.touch_updated_at();
create trigger case_events_append_only before update or delete on public.case_events
  for each row execute function private.refuse_change();
create trigger case_events_no_truncate before truncate on public.case_events
  for each statement execute function private.refuse_change();

-- Realtime ---------------------------------------------------------------
alter publication supabase_realtime add table public.reports, public.tasks, public.case_events, public.notifications;
