-- Supervision (督办, issue 15 item 2).
--   * Overdue levels: a case past its deadline goes to its street's supervisors (level 1, the
--     step 0800 made once); when the same time again has passed (deadline + (deadline - the start
--     of its clock: filing, or the latest reopening)) it goes to the admins (level 2). A reopened
--     case starts again at level 0 with its new deadline. A case waiting for the resident
--     (needs_info) does not escalate. Each step is one case_events row (kind escalated, status
--     unchanged, actor system) and a notification to each person told (case_overdue,
--     case_overdue_admin). The level of a case is the number of escalated steps since its clock
--     started, so nothing else stores it.
--   * Supervision orders: a supervisor of the case's street (or an admin) opens one on any open
--     case: supervise_report(report, due_at, note): one case_events row (kind supervised), the
--     holders of the task are told (case_supervised); the order is on the case for its staff
--     (public.supervision_orders). An order still open at its due time while the case is open
--     escalates one level up, to the admins: one case_events row (kind supervision_escalated)
--     and a notification (supervision_overdue).
--   * escalate_report (0-1100) is the handler asking for help: 上报, not 督办; 督办 is the order.
--   * private.run_escalations(at) takes the time (default now()), so tests can run a pass at
--     any instant: the SOS part keeps the real clock.

-- Tables -----------------------------------------------------------------
create table public.supervision_orders (
  id uuid primary key default gen_random_uuid(),
  report_id uuid not null references public.reports (id) on delete cascade,
  supervisor_id uuid references auth.users (id) on delete set null,
  note text not null check (length(note) between 1 and 2000),
  due_at timestamptz not null,
  escalated_at timestamptz,
  created_at timestamptz not null default now()
);
comment on table public.supervision_orders is 'A supervision order (督办) on a case: what the supervisor asks and by when. Written by supervise_report; escalated by the escalation pass when the case is still open at due_at.';
comment on column public.supervision_orders.escalated_at is 'When the overdue order went one level up (to the admins); null while it is not overdue.';

-- Indexes ----------------------------------------------------------------
create index supervision_orders_report_id_idx on public.supervision_orders (report_id);
create index supervision_orders_supervisor_id_idx on public.supervision_orders (supervisor_id);
create index supervision_orders_due_idx on public.supervision_orders (due_at) where escalated_at is null;

-- Functions --------------------------------------------------------------
create function private.escalation_level(report uuid) returns integer
language sql stable
security definer set search_path = ''
as $$
  select count(*)::integer from public.case_events e
  where e.report_id = report
    and private.legacy_event_kind(e.from_status, e.to_status, e.note, e.actor_role, e.kind) = 'escalated'
    and e.id > coalesce((select max(o.id) from public.case_events o where o.report_id = report and o.to_status = 'reopened'
                         and o.from_status is distinct from 'reopened'), 0)
$$;
comment on function private.escalation_level(uuid) is 'How many overdue levels a case reached since its clock started (filing or its latest reopening): 0, 1 (supervisors) or 2 (admins).';

create function private.clock_started_at(report uuid) returns timestamptz
language sql stable
security definer set search_path = ''
as $$
  select coalesce((select max(e.created_at) from public.case_events e where e.report_id = report and e.to_status = 'reopened'
                    and e.from_status is distinct from 'reopened'),
                  (select r.created_at from public.reports r where r.id = report))
$$;
comment on function private.clock_started_at(uuid) is 'When the case''s current clock started: its latest reopening, else its filing.';

create function private.notify_admins(kind text, title_zh text, title_en text, report uuid, payload jsonb) returns integer
language plpgsql
security definer set search_path = ''
as $$
declare
  recipient uuid;
  told integer := 0;
begin
  for recipient in select p.id from public.profiles p where p.role = 'admin' loop
    perform private.notify(recipient, kind, title_zh, title_en, report, payload);
    told := told + 1;
  end loop;
  return told;
end
$$;
comment on function private.notify_admins(text, text, text, uuid, jsonb) is 'One notification to each admin; returns how many.';

drop function private.run_escalations();
create function private.run_escalations(at timestamptz default now()) returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts;
  t record;
  o record;
  recipient uuid;
  sos_steps integer := 0;
  task_steps integer := 0;
  order_steps integer := 0;
begin
  perform pg_advisory_xact_lock(hashtext('cityloop.run_escalations'));

  for a in
    select * from public.sos_alerts s
    where s.status = 'sent' and s.escalation_level < 2
      and coalesce(s.escalated_at, s.created_at) <= now() - interval '60 seconds'
    order by s.created_at
    for update
  loop
    perform private.escalate_sos(a);
    sos_steps := sos_steps + 1;
  end loop;

  for t in
    select c.*, c.due_at + (c.due_at - c.started) as second_at
    from (select r.id as report_id, r.status, r.street_id, r.due_at, r.category_code,
                 private.escalation_level(r.id) as level, private.clock_started_at(r.id) as started
          from public.reports r
          where r.due_at < at and private.is_open_status(r.status) and r.paused_at is null
            and exists (select 1 from public.tasks tk where tk.report_id = r.id
                        and tk.status in ('open', 'accepted', 'in_progress'))) c
    where c.level = 0 or (c.level = 1 and c.due_at > c.started and c.due_at + (c.due_at - c.started) < at)
    order by c.due_at
  loop
    perform 1 from public.reports r where r.id = t.report_id for update;
    if t.level = 0 then
      update public.tasks set escalated_at = coalesce(escalated_at, at)
      where report_id = t.report_id and status in ('open', 'accepted', 'in_progress');
      insert into public.case_events (report_id, actor_id, actor_role, from_status, to_status, note, kind)
      values (t.report_id, null, 'system', t.status, t.status, 'overdue: escalated to the supervisor', 'escalated');
      for recipient in
        select distinct ss.user_id from public.supervisor_streets ss where t.street_id is null or ss.street_id = t.street_id
      loop
        perform private.notify(recipient, 'case_overdue', '事件已超期，请督办', 'A case is overdue: please follow up',
                               t.report_id, jsonb_build_object('due_at', t.due_at, 'category_code', t.category_code,
                                                               'level', 1));
      end loop;
    else
      insert into public.case_events (report_id, actor_id, actor_role, from_status, to_status, note, kind)
      values (t.report_id, null, 'system', t.status, t.status, 'overdue twice over: escalated to the admins', 'escalated');
      perform private.notify_admins('case_overdue_admin', '事件严重超期，请督办', 'A case is long overdue: please step in',
                                    t.report_id, jsonb_build_object('due_at', t.due_at, 'category_code', t.category_code,
                                                                    'level', 2));
    end if;
    task_steps := task_steps + 1;
  end loop;

  for o in
    select so.id, so.report_id, so.due_at, r.status
    from public.supervision_orders so join public.reports r on r.id = so.report_id
    where so.escalated_at is null and so.due_at < at and private.is_open_status(r.status)
    order by so.due_at
    for update of so
  loop
    update public.supervision_orders set escalated_at = at where id = o.id;
    insert into public.case_events (report_id, actor_id, actor_role, from_status, to_status, note, kind)
    values (o.report_id, null, 'system', o.status, o.status, 'supervision order overdue: escalated to the admins',
            'supervision_escalated');
    perform private.notify_admins('supervision_overdue', '督办事项已超期', 'A supervision order is overdue',
                                  o.report_id, jsonb_build_object('order_id', o.id, 'due_at', o.due_at));
    order_steps := order_steps + 1;
  end loop;

  return jsonb_build_object('sos_escalated', sos_steps, 'tasks_escalated', task_steps, 'orders_escalated', order_steps);
end
$$;
comment on function private.run_escalations(timestamptz) is 'One escalation pass at `at` (default now): SOS not acknowledged in 60 s; overdue cases by level (supervisors at the deadline, admins when the same time again has passed, again after a reopen); overdue supervision orders to the admins. Idempotent; pg_cron or the local scheduler runs it.';

create function public.supervise_report(report uuid, due_at timestamptz, note text) returns public.supervision_orders
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  t public.tasks := private.active_task(report);
  what text;
  made public.supervision_orders;
begin
  perform private.require_status(r, '{dispatched,accepted,in_progress,needs_info,transferred,reopened}', 'supervise');
  if not (private.user_role() = 'admin'
          or (private.user_role() = 'supervisor'
              and (r.street_id is null or r.street_id = any(private.supervised_street_ids())))) then
    raise exception 'only a supervisor of the case''s street or an admin may open a supervision order' using errcode = 'PT403';
  end if;
  what := private.require_text(note, 'the note');
  if supervise_report.due_at is null or supervise_report.due_at <= now()
     or supervise_report.due_at > now() + interval '90 days' then
    raise exception 'the due time must be in the future, at most 90 days ahead' using errcode = 'PT400';
  end if;
  insert into public.supervision_orders (report_id, supervisor_id, note, due_at)
  values (r.id, auth.uid(), what, supervise_report.due_at) returning * into made;
  if t.id is not null then
    perform private.notify_holders(t, 'case_supervised', '事件被督办，请按时办理', 'A supervisor follows this case up');
  end if;
  perform private.record_change(r, r.status, what, 'supervised');
  return made;
end
$$;
comment on function public.supervise_report(uuid, timestamptz, text) is 'A supervisor of the case''s street (or an admin) opens a supervision order (督办) on an open case: by due_at, with a note; the handler is told.';

create or replace function public.escalate_report(report uuid, reason text) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  t public.tasks := private.active_task(report);
  why text;
begin
  perform private.require_status(r, '{dispatched,accepted,in_progress,needs_info,transferred,reopened}', 'escalate');
  perform private.require_handler(r, t, 'escalate it');
  why := private.require_text(reason, 'the reason');
  perform private.notify(ss.user_id, 'case_escalated', '处置人员上报事件，请求协助', 'A handler asks a supervisor for help', r.id,
                         jsonb_build_object('reason', why))
  from (select distinct s.user_id from public.supervisor_streets s
        where (r.street_id is null or s.street_id = r.street_id) and s.user_id is distinct from auth.uid()) ss;
  if t.id is not null then
    -- Marks when the supervisors first heard of the task (the overdue levels count on their own).
    update public.tasks set escalated_at = coalesce(escalated_at, now()) where id = t.id;
  end if;
  return private.record_change(r, r.status, 'escalated to the supervisor: ' || why, 'escalation_requested');
end
$$;

revoke execute on function private.escalation_level(uuid), private.clock_started_at(uuid),
  private.notify_admins(text, text, text, uuid, jsonb), private.run_escalations(timestamptz) from public;
grant execute on function private.run_escalations(timestamptz) to service_role;
revoke execute on function public.supervise_report(uuid, timestamptz, text) from public, anon;
grant execute on function public.supervise_report(uuid, timestamptz, text) to authenticated, service_role;

-- Row-level security ------------------------------------------------------
alter table public.supervision_orders enable row level security;

create policy "Staff can read the supervision orders of cases they can read" on public.supervision_orders
  for select to authenticated
  using ((select private.user_role()) in ('grid_worker', 'dept_staff', 'supervisor', 'admin')
         and private.can_read_report(report_id));

-- Grants -----------------------------------------------------------------
revoke all on public.supervision_orders from anon, authenticated;
grant select on public.supervision_orders to anon, authenticated;
grant all on public.supervision_orders to service_role;

-- Realtime ---------------------------------------------------------------
alter publication supabase_realtime add table public.supervision_orders;
