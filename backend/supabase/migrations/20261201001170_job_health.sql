-- Job health (issue 15, item 7): the escalation pass, the care scan and the payment reconciliation
-- record when they last ran (public.job_runs); one that has gone silent for longer than its
-- max_silence_seconds alarms the admins once per silence (a job_stopped notification), and
-- rpc/job_health() shows the state to supervisors and admins (the /brain screen).
--   * private.run_escalations records itself (pg_cron or the local scheduler run it);
--   * the Python jobs (care scan, reconciliation) call rpc/record_job_run(job) with the service key;
--   * each record checks the others: a stopped job is found by the next run of any other job
--     (the escalation pass runs every few seconds). When every job stops, only the screen shows it.
-- A job that never ran (not deployed, or disabled locally) does not alarm.

-- Tables -----------------------------------------------------------------
create table public.job_runs (
  job text primary key check (job in ('escalations', 'care_scan', 'payment_reconciliation')),
  max_silence_seconds integer not null check (max_silence_seconds > 0),
  last_run_at timestamptz,
  alarmed_at timestamptz
);
comment on table public.job_runs is 'When each scheduled job last ran, and how long it may stay silent before the admins are alarmed. Written by record_job_run; the limits are the service role''s to change.';
comment on column public.job_runs.max_silence_seconds is 'Silence that means the job stopped: escalations 30 s (it runs every 5-10 s and SOS escalation relies on it), care scan 2700 s (three 15-minute scans), reconciliation 180 s (six 30-s passes).';
comment on column public.job_runs.alarmed_at is 'When the admins were told of the current silence (null while the job runs).';

insert into public.job_runs (job, max_silence_seconds) values
  ('escalations', 30), ('care_scan', 2700), ('payment_reconciliation', 180)
on conflict (job) do nothing;

-- Functions --------------------------------------------------------------
create function private.record_job_run(job text) returns void
language plpgsql
security definer set search_path = ''
as $$
declare
  stale public.job_runs;
begin
  update public.job_runs j set last_run_at = now(), alarmed_at = null where j.job = record_job_run.job;
  for stale in
    select * from public.job_runs j
    where j.last_run_at is not null and j.alarmed_at is null
      and j.last_run_at < now() - make_interval(secs => j.max_silence_seconds)
    for update skip locked
  loop
    update public.job_runs j set alarmed_at = now() where j.job = stale.job;
    perform private.notify_admins('job_stopped', '后台任务已停止运行，请检查', 'A scheduled job has stopped: please check',
                                  null, jsonb_build_object('job', stale.job, 'last_run_at', stale.last_run_at));
  end loop;
end
$$;
comment on function private.record_job_run(text) is 'A job ran now; any other job silent past its limit alarms the admins (once per silence).';

create function public.record_job_run(job text) returns jsonb
language plpgsql
security definer set search_path = ''
as $$
begin
  if not private.is_service() then
    raise exception 'only the jobs (service role) record their runs' using errcode = 'PT403';
  end if;
  if job is null or not exists (select 1 from public.job_runs j where j.job = record_job_run.job) then
    raise exception 'no job %: escalations, care_scan or payment_reconciliation', job using errcode = 'PT400';
  end if;
  perform private.record_job_run(job);
  return jsonb_build_object('job', job, 'recorded', true);
end
$$;
comment on function public.record_job_run(text) is 'The care scan and the payment reconciliation (service role) record a run.';

create function public.job_health()
returns table (job text, last_run_at timestamptz, max_silence_seconds integer, silent_seconds double precision,
               stopped boolean)
language plpgsql stable
security definer set search_path = ''
as $$
begin
  if not private.is_service() and coalesce(private.user_role(), '') not in ('supervisor', 'admin') then
    raise exception 'only supervisors and admins see the jobs'' health' using errcode = 'PT403';
  end if;
  return query
    select j.job, j.last_run_at, j.max_silence_seconds, extract(epoch from now() - j.last_run_at)::double precision,
           j.last_run_at is not null and j.last_run_at < now() - make_interval(secs => j.max_silence_seconds)
    from public.job_runs j order by j.job;
end
$$;
comment on function public.job_health() is 'Each job: when it last ran, its limit, how long it has been silent, and whether it stopped (for /brain).';

create or replace function private.run_escalations(at timestamptz default now()) returns jsonb
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

  perform private.record_job_run('escalations');
  return jsonb_build_object('sos_escalated', sos_steps, 'tasks_escalated', task_steps, 'orders_escalated', order_steps);
end
$$;

revoke execute on function private.record_job_run(text) from public;
revoke execute on function public.record_job_run(text) from public, anon, authenticated;
grant execute on function public.record_job_run(text) to service_role;
revoke execute on function public.job_health() from public, anon;
grant execute on function public.job_health() to authenticated, service_role;

-- Row-level security ------------------------------------------------------
alter table public.job_runs enable row level security;
create policy "Supervisors and admins can read the jobs' health" on public.job_runs for select to authenticated
  using ((select private.user_role()) in ('supervisor', 'admin'));

-- Grants -----------------------------------------------------------------
revoke all on public.job_runs from anon, authenticated;
grant select on public.job_runs to anon, authenticated;
grant all on public.job_runs to service_role;
