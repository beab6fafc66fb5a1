-- Escalations: what happens when nobody reacts in time. `private.run_escalations()` does one
-- pass; a scheduler runs it every few seconds:
--   * an SOS still `sent` 60 s after it was raised (or after its last escalation step)
--     escalates: level 0 -> 1 tells the next on-duty grid worker not yet told (first one of
--     the same grid who came on duty since, else one of another grid of the same street);
--     level 1 -> 2 tells the street's supervisors (every supervisor outside every grid).
--     Level 2 is the last step. Each step is one sos_events row (actor_role 'system',
--     status unchanged) and a notification to each person told; a level-1 step that finds
--     nobody on duty is still recorded (note 'no other worker on duty').
--   * a report past its due_at whose task is still active goes to the street's supervisors
--     (every supervisor outside every grid) once: tasks.escalated_at marks it, one
--     case_events row (actor_role 'system', status unchanged) and a notification each.
-- A pass is idempotent: running it again at once changes nothing. Passes are serialised
-- by a transaction-level advisory lock, so several schedulers may run side by side.
--
-- Production (hosted Supabase) schedules it with pg_cron (Database > Extensions > pg_cron):
--   select cron.schedule('escalations', '10 seconds', 'select private.run_escalations()');
-- The local stack's gateway runs it every CITYLOOP_ESCALATION_INTERVAL seconds (default 5,
-- 0 disables) through `public.run_escalations()`, callable by the service role only;
-- `cityloop jobs escalate` runs one pass. This migration does not need pg_cron.

-- Tables -----------------------------------------------------------------
alter table public.tasks add column escalated_at timestamptz;
comment on column public.tasks.escalated_at is 'When the task''s overdue report went to the supervisor (set once by run_escalations).';

-- Indexes ----------------------------------------------------------------
create index tasks_active_unescalated_idx on public.tasks (report_id)
  where escalated_at is null and status in ('open', 'accepted', 'in_progress');

-- Functions --------------------------------------------------------------
create function private.escalate_sos(a public.sos_alerts) returns void
language plpgsql
security definer set search_path = ''
as $$
declare
  told uuid[];
  recipient uuid;
  next_level smallint := a.escalation_level + 1;
begin
  if next_level = 1 then
    select array[wg.worker_id] into told
    from public.worker_grids wg
    join public.worker_duty d on d.worker_id = wg.worker_id and d.on_duty
    join public.areas g on g.id = wg.grid_id
    where wg.worker_id <> a.caller_id and not wg.worker_id = any(a.notified_ids)
      and (wg.grid_id = a.grid_id or (a.street_id is not null and private.street_of(wg.grid_id) = a.street_id))
    order by wg.grid_id is distinct from a.grid_id, d.since, g.code, wg.worker_id
    limit 1;
  else
    select coalesce(array_agg(distinct ss.user_id), '{}') into told
    from public.supervisor_streets ss
    where (a.street_id is null or ss.street_id = a.street_id) and ss.user_id <> a.caller_id;
  end if;
  told := coalesce(told, '{}');

  update public.sos_alerts s
  set escalation_level = next_level, escalated_at = now(),
      notified_ids = array(select distinct x from unnest(s.notified_ids || told) x),
      assigned_to = case when next_level = 1 then told[1] else s.assigned_to end
  where s.id = a.id;
  insert into public.sos_events (alert_id, actor_id, actor_role, from_status, to_status, escalation_level, note, payload)
  values (a.id, null, 'system', a.status, a.status, next_level,
          case when next_level = 1 then case when cardinality(told) > 0 then 'not acknowledged in 60 s: next worker'
                                             else 'not acknowledged in 60 s: no other worker on duty' end
               else 'not acknowledged in 60 s: supervisor' end,
          jsonb_build_object('notified', to_jsonb(told)));
  foreach recipient in array told loop
    perform private.notify_sos(recipient, 'sos_escalated', '紧急求助无人响应，请立即处理', 'Unanswered SOS: please respond now',
                               a.id, jsonb_build_object('lat', a.lat, 'lon', a.lon, 'grid_id', a.grid_id, 'note', a.note,
                                                        'emergency_contacts', a.emergency_contacts,
                                                        'escalation_level', next_level));
  end loop;
end
$$;
comment on function private.escalate_sos(public.sos_alerts) is 'One escalation step of an unacknowledged SOS: the next worker (level 1) or the supervisors (level 2).';

create function private.run_escalations() returns jsonb
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
      and r.due_at < now() and r.status not in ('resolved', 'closed', 'rejected')
      and not exists (select 1 from public.tasks o where o.report_id = tk.report_id and o.escalated_at is not null)
    order by r.due_at
    for update of tk
  loop
    update public.tasks set escalated_at = now() where id = t.id;
    insert into public.case_events (report_id, actor_id, actor_role, from_status, to_status, note)
    values (t.report_id, null, 'system', t.status, t.status, 'overdue: escalated to the supervisor');
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
comment on function private.run_escalations() is 'One escalation pass (SOS not acknowledged in 60 s; overdue cases to the supervisor once). Idempotent; pg_cron or the local scheduler runs it.';

create function public.run_escalations() returns jsonb
language plpgsql
security definer set search_path = ''
as $$
begin
  if not private.is_service() then
    raise exception 'only the service role runs escalations' using errcode = 'PT403';
  end if;
  return private.run_escalations();
end
$$;
comment on function public.run_escalations() is 'One escalation pass, for the scheduler (service role only): returns how many SOS and cases escalated.';

revoke execute on function private.escalate_sos(public.sos_alerts), private.run_escalations() from public;
grant execute on function private.run_escalations() to service_role;
revoke execute on function public.run_escalations() from public, anon, authenticated;
grant execute on function public.run_escalations() to service_role;
