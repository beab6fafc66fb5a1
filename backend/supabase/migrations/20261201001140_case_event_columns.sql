-- Typed case_events columns (issue 15, item 3): what each step is and the state it left, so the
-- performance figures (考核, 1150) are computed from the append-only timeline alone.
--   kind             what the step is (below); set on every row from this migration on
--   department_code  the department holding the case after the step
--   assignee_id      the person holding its task after the step (null: a queue nobody took yet)
--   category_code    its taxonomy item after the step
--   due_at           the deadline in force after the step
--   rating           the score (1-5) of a 'rated' step
--   typed            true for rows written with these columns; older rows keep what they had
--                    (kind null or info_added, the rest null) and the figures say when they rest on them
-- A BEFORE INSERT trigger fills the snapshot from the report and its latest task, so every writer
-- (dispatch, the RPCs, the jobs) records it alike and nobody can write another value. The kind
-- comes from the transition (private.transition_kind) unless the writer names it: rated,
-- category_changed, escalation_requested (上报: the handler asks for help), escalated (overdue, by
-- the escalation pass), info_added. private.legacy_event_kind reads the kind of an older row from
-- its statuses and the fixed notes the RPCs wrote.
--
--   filed (null -> submitted)     dispatched      accepted        started (-> in_progress)
--   info_requested (-> needs_info)  info_answered (needs_info -> in_progress)   transferred
--   category_changed   resolved   rejected   reopened   closed   rated   withdrawn   commented
--   info_added   escalation_requested   escalated   supervised (a supervision order, 1160)

-- Tables -----------------------------------------------------------------
alter table public.case_events
  drop constraint case_events_kind_known,
  add constraint case_events_kind_known check (kind in (
    'filed', 'dispatched', 'accepted', 'started', 'info_requested', 'info_answered', 'transferred',
    'category_changed', 'resolved', 'rejected', 'reopened', 'closed', 'rated', 'withdrawn', 'commented',
    'info_added', 'escalation_requested', 'escalated', 'supervised', 'supervision_escalated')),
  add column department_code text,
  add column assignee_id uuid,
  add column category_code text,
  add column due_at timestamptz,
  add column rating smallint constraint case_events_rating_range check (rating between 1 and 5),
  add column typed boolean not null default false;
comment on column public.case_events.kind is 'What the step is (filed, dispatched, accepted, ..., rated, escalated): set on every row since migration 1140; older rows: null for a status change or a comment, info_added for information the reporter added.';
comment on column public.case_events.department_code is 'The department holding the case after the step (no foreign key: history is never rewritten). Null on rows older than migration 1140.';
comment on column public.case_events.assignee_id is 'Who holds the case''s task after the step (null: a queue nobody took yet). No foreign key.';
comment on column public.case_events.category_code is 'The case''s taxonomy item after the step.';
comment on column public.case_events.due_at is 'The deadline in force after the step.';
comment on column public.case_events.rating is 'The reporter''s score (1-5), on a rated step only.';
comment on column public.case_events.typed is 'Whether the row carries the typed columns (written since migration 1140); figures over older rows fall back to the report.';

-- Indexes ----------------------------------------------------------------
create index case_events_kind_idx on public.case_events (kind, created_at);
create index case_events_department_code_idx on public.case_events (department_code);
create index case_events_assignee_id_idx on public.case_events (assignee_id) where assignee_id is not null;

-- Functions --------------------------------------------------------------
create function private.transition_kind(from_status public.report_status, to_status public.report_status) returns text
language sql immutable
as $$
  select case
           when from_status is null then 'filed'
           when from_status = to_status then 'commented'
           when to_status = 'dispatched' then 'dispatched'
           when to_status = 'accepted' then 'accepted'
           when to_status = 'in_progress' and from_status = 'needs_info' then 'info_answered'
           when to_status = 'in_progress' then 'started'
           when to_status = 'needs_info' then 'info_requested'
           else to_status::text  -- transferred, resolved, rejected, reopened, closed, withdrawn
         end
$$;
comment on function private.transition_kind(public.report_status, public.report_status) is 'The kind of a step from its statuses alone (the default the trigger writes).';

create function private.legacy_event_kind(from_status public.report_status, to_status public.report_status,
                                          note text, actor_role text, kind text) returns text
language sql immutable
as $$
  select case
           when kind is not null then kind
           when actor_role = 'system' and from_status = to_status and note = 'overdue: escalated to the supervisor' then 'escalated'
           when from_status = to_status and note like 'escalated to the supervisor: %' then 'escalation_requested'
           when from_status is distinct from 'closed' and to_status = 'closed' and note ~ '^rated [1-5]/5$' then 'rated'
           when from_status = 'closed' and to_status = 'closed' and note ~ '^rated [1-5]/5$' and actor_role = 'citizen' then 'rated'
           when to_status = 'transferred' and note ~ '^category [0-9.]+ -> [0-9.]+: ' then 'category_changed'
           else private.transition_kind(from_status, to_status)
         end
$$;
comment on function private.legacy_event_kind(public.report_status, public.report_status, text, text, text) is 'The kind of any row: its own, or for a row older than migration 1140 what its statuses and the RPCs'' fixed notes say.';

create function private.fill_case_event() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  select r.department_code, r.category_code, r.due_at into new.department_code, new.category_code, new.due_at
  from public.reports r where r.id = new.report_id;
  new.assignee_id := (select t.assignee_id from public.tasks t where t.report_id = new.report_id
                      order by t.status in ('open', 'accepted', 'in_progress') desc, t.created_at desc, t.id limit 1);
  new.kind := coalesce(new.kind, private.transition_kind(new.from_status, new.to_status));
  new.rating := case when new.kind = 'rated' then (select g.score from public.ratings g where g.report_id = new.report_id) end;
  new.typed := true;
  return new;
end
$$;
comment on function private.fill_case_event() is 'case_events BEFORE INSERT: the kind (unless the writer named it) and the state after the step, read from the report and its latest task.';

create function private.record_change(r public.reports, to_status public.report_status, note text, kind text)
returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  changed public.reports;
  follower uuid;
begin
  -- The clock: it stops while the case waits for the resident and runs on from where it stopped;
  -- a reopened case gets a new deadline, counted from the reopening.
  update public.reports p
  set status = to_status,
      paused_at = case when to_status = 'needs_info' then coalesce(p.paused_at, now()) end,
      due_at = case
                 when to_status = 'reopened' and r.status is distinct from 'reopened'
                   then private.case_deadline((select c from public.categories c where c.code = p.category_code), now())
                 when p.paused_at is not null and to_status <> 'needs_info' then p.due_at + (now() - p.paused_at)
                 else p.due_at
               end
  where p.id = r.id returning * into changed;
  insert into public.case_events (report_id, actor_id, actor_role, from_status, to_status, note, kind)
  values (r.id, auth.uid(), private.actor_role(), r.status, to_status, note, kind);
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

create or replace function public.change_report_category(report uuid, category text, reason text) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  t public.tasks := private.active_task(report);
  item public.categories;
  why text;
  changed public.reports;
  fresh public.tasks;
begin
  perform private.require_status(r, '{dispatched,accepted,in_progress,needs_info,transferred,reopened}',
                                 'change the category of');
  perform private.require_handler(r, t, 'change its category');
  why := private.require_text(reason, 'the reason');
  select * into item from public.categories c where c.code = category and c.level = 3;
  if item.code is null then
    raise exception 'category % is not an item (level 3) of the taxonomy', category using errcode = 'PT400';
  end if;
  if item.code = r.category_code then
    raise exception 'the case already has category %', category using errcode = 'PT400';
  end if;
  if t.id is not null then
    update public.tasks set status = 'cancelled' where id = t.id;
  end if;
  update public.reports
  set category_code = item.code, department_code = coalesce(item.department_code, 'city_mgmt'),
      priority = item.priority,
      due_at = private.case_deadline(item, r.created_at)
  where id = r.id returning * into changed;
  fresh := private.route_again(changed);
  perform private.notify_holders(fresh, 'task_assigned', '改派给您的事件', 'A case was re-dispatched to you');
  return private.record_change(changed, 'transferred', format('category %s -> %s: %s', r.category_code, item.code, why),
                              'category_changed');
end
$$;

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
  perform private.notify(ss.user_id, 'case_escalated', '网格员请求督办', 'A handler asks a supervisor to step in', r.id,
                         jsonb_build_object('reason', why))
  from (select distinct s.user_id from public.supervisor_streets s
        where (r.street_id is null or s.street_id = r.street_id) and s.user_id is distinct from auth.uid()) ss;
  if t.id is not null then
    -- The supervisors know now: the overdue job need not tell them again.
    update public.tasks set escalated_at = coalesce(escalated_at, now()) where id = t.id;
  end if;
  return private.record_change(r, r.status, 'escalated to the supervisor: ' || why, 'escalation_requested');
end
$$;

create or replace function public.rate_report(report uuid, score integer, comment text default null) returns public.reports
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
  return private.record_change(r, 'closed', format('rated %s/5', score), 'rated');
end
$$;

create or replace function private.run_escalations() returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts;
  t record;
  recipient uuid;
  sos_steps integer := 0;
  task_steps integer := 0;
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
    select tk.id, tk.report_id, r.status, r.street_id, r.grid_id, r.due_at, r.category_code
    from public.tasks tk join public.reports r on r.id = tk.report_id
    where tk.escalated_at is null and tk.status in ('open', 'accepted', 'in_progress')
      and r.due_at < now() and private.is_open_status(r.status) and r.paused_at is null
      and not exists (select 1 from public.tasks o where o.report_id = tk.report_id and o.escalated_at is not null)
    order by r.due_at
    for update of tk
  loop
    update public.tasks set escalated_at = now() where id = t.id;
    insert into public.case_events (report_id, actor_id, actor_role, from_status, to_status, note, kind)
    values (t.report_id, null, 'system', t.status, t.status, 'overdue: escalated to the supervisor', 'escalated');
    for recipient in
      select distinct ss.user_id from public.supervisor_streets ss where t.street_id is null or ss.street_id = t.street_id
    loop
      perform private.notify(recipient, 'case_overdue', '事件已超期，请督办', 'A case is overdue: please follow up',
                             t.report_id, jsonb_build_object('due_at', t.due_at, 'category_code', t.category_code));
    end loop;
    task_steps := task_steps + 1;
  end loop;

  return jsonb_build_object('sos_escalated', sos_steps, 'tasks_escalated', task_steps);
end
$$;

create or replace function public.transfer_report(report uuid, reason text, to_department text default null,
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
  return private.record_change(r, 'transferred', why, 'transferred');  -- also from transferred: a transfer, not a comment
end
$$;

create or replace function private.record_change(r public.reports, to_status public.report_status, note text)
returns public.reports
language sql
security definer set search_path = ''
as $$
  select private.record_change(r, to_status, note, null)
$$;
comment on function private.record_change(public.reports, public.report_status, text) is 'record_change with the kind the transition gives (see the four-argument form).';
comment on function private.record_change(public.reports, public.report_status, text, text) is 'Sets the status (and the clock), writes the one case_events row of this kind (null: from the transition), notifies the reporter (report_status) and the followers (followed_report_status, status only).';

revoke execute on function private.transition_kind(public.report_status, public.report_status),
  private.legacy_event_kind(public.report_status, public.report_status, text, text, text),
  private.fill_case_event(), private.record_change(public.reports, public.report_status, text, text) from public;

-- Triggers ---------------------------------------------------------------
create trigger case_events_fill before insert on public.case_events
  for each row execute function private.fill_case_event();
