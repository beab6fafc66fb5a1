-- SQL helpers for rules that were written several times (issue 14):
--   * private.on_duty_workers(grid): the on-duty grid workers of a grid with their load (active
--     tasks), in the order dispatch picks them (fewest active tasks, then longest on duty, then id);
--     private.least_loaded_worker(grid) is its first row. Dispatch (dispatch_report), routing again
--     (route_again), the SOS (raise_sos) and the care watch (record_care_alerts) use it.
--   * private.require_staff(action): PT403 unless the caller is staff (grid worker, department
--     staff, supervisor, admin); report_contact, sos_contact and transfer_workers use it.
-- The functions that repeated them are recreated from their latest definitions with only that
-- change; behaviour stays.

-- Functions: helpers -----------------------------------------------------
create function private.on_duty_workers(grid uuid)
returns table (worker_id uuid, since timestamptz, active_tasks bigint, load_rank bigint)
language sql stable
security definer set search_path = ''
as $$
  select w.worker_id, w.since, w.active_tasks,
         row_number() over (order by w.active_tasks, w.since, w.worker_id)
  from (select wg.worker_id, d.since,
               (select count(*) from public.tasks t
                where t.assignee_id = wg.worker_id and t.status in ('open', 'accepted', 'in_progress')) as active_tasks
        from public.worker_grids wg
        join public.worker_duty d on d.worker_id = wg.worker_id and d.on_duty
        where wg.grid_id = grid) w
  order by 4
$$;
comment on function private.on_duty_workers(uuid) is 'The on-duty grid workers of a grid, with their active tasks (open, accepted, in progress); load_rank 1 is the one dispatch picks (fewest active tasks, then longest on duty, then id).';

create function private.least_loaded_worker(grid uuid) returns uuid
language sql stable
security definer set search_path = ''
as $$
  select w.worker_id from private.on_duty_workers(grid) w where w.load_rank = 1
$$;
comment on function private.least_loaded_worker(uuid) is 'The on-duty worker of a grid who gets the next task (see private.on_duty_workers); null when nobody is on duty.';

create function private.require_staff(action text default 'do this') returns void
language plpgsql stable
security definer set search_path = ''
as $$
begin
  if private.user_role() is null or private.user_role() not in ('grid_worker', 'dept_staff', 'supervisor', 'admin') then
    raise exception 'only staff handling cases may %', action using errcode = 'PT403';
  end if;
end
$$;
comment on function private.require_staff(text) is 'PT403 unless the caller is a grid worker, department staff, supervisor or admin.';

revoke execute on function private.on_duty_workers(uuid), private.least_loaded_worker(uuid),
  private.require_staff(text) from public;

-- Functions: their users -------------------------------------------------
create or replace function private.dispatch_report() returns trigger
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
    worker := private.least_loaded_worker(new.grid_id);
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

create or replace function private.route_again(r public.reports) returns public.tasks
language plpgsql
security definer set search_path = ''
as $$
declare
  worker uuid;
  fresh public.tasks;
begin
  if r.grid_id is null then
    insert into public.tasks (report_id, queue) values (r.id, 'supervisor') returning * into fresh;
  elsif r.department_code <> 'city_mgmt' then
    insert into public.tasks (report_id, queue, department_code) values (r.id, 'department', r.department_code)
    returning * into fresh;
  else
    worker := private.least_loaded_worker(r.grid_id);
    if worker is not null then
      insert into public.tasks (report_id, queue, assignee_id) values (r.id, 'worker', worker) returning * into fresh;
    else
      insert into public.tasks (report_id, queue, street_id) values (r.id, 'supervisor', r.street_id)
      returning * into fresh;
    end if;
  end if;
  return fresh;
end
$$;

create or replace function public.raise_sos(lat double precision, lon double precision, note text default null)
returns public.sos_alerts
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts;
  grid uuid;
  street uuid;
  contacts jsonb;
  caller_name text;
  caller_phone text;
  responders uuid[];
  recipient uuid;
  why text := nullif(btrim(raise_sos.note), '');
begin
  if auth.uid() is null then
    raise exception 'sign in to call for help' using errcode = 'PT401';
  end if;
  perform private.check_location(lat, lon, null);
  if length(why) > 500 then
    raise exception 'the note is longer than 500 characters' using errcode = 'PT400';
  end if;
  -- One open SOS per caller: pressing again returns the open one.
  select * into a from public.sos_alerts s
  where s.caller_id = auth.uid() and s.status in ('sent', 'acknowledged', 'on_the_way');
  if a.id is not null then
    return a;
  end if;

  -- Raised again soon after the caller's own cancel: the same alert, open again.
  select * into a from public.sos_alerts s
  where s.caller_id = auth.uid() and s.status = 'cancelled'
    and s.cancelled_at > now() - make_interval(secs => private.limit_value('sos_reopen_seconds'))
  order by s.cancelled_at desc
  limit 1
  for update;
  if a.id is not null then
    return private.reopen_sos(a, raise_sos.lat, raise_sos.lon, why);
  end if;

  grid := private.grid_for_point(lon, lat);
  street := case when grid is not null then private.street_of(grid) end;
  select coalesce(p.emergency_contacts, '[]'::jsonb), p.display_name, p.phone into contacts, caller_name, caller_phone
  from public.profiles p where p.id = auth.uid();
  contacts := coalesce(contacts, '[]'::jsonb);
  if grid is not null then
    select coalesce(array_agg(w.worker_id order by w.worker_id), '{}') into responders
    from private.on_duty_workers(grid) w where w.worker_id <> auth.uid();
  else
    -- Outside every grid: no grid worker to call, every supervisor is told at once.
    select coalesce(array_agg(distinct ss.user_id), '{}') into responders
    from public.supervisor_streets ss where ss.user_id <> auth.uid();
  end if;

  insert into public.sos_alerts as s (caller_id, grid_id, street_id, note, lat, lon, emergency_contacts, notified_ids)
  values (auth.uid(), grid, street, why, raise_sos.lat, raise_sos.lon, contacts, responders)
  on conflict (caller_id) where status in ('sent', 'acknowledged', 'on_the_way') do nothing
  returning s.* into a;
  if a.id is null then  -- raised at the same moment by another request of the same caller
    select * into a from public.sos_alerts s
    where s.caller_id = auth.uid() and s.status in ('sent', 'acknowledged', 'on_the_way');
    return a;
  end if;
  insert into public.sos_locations (alert_id, lat, lon) values (a.id, a.lat, a.lon);
  insert into public.sos_events (alert_id, actor_id, actor_role, from_status, to_status, escalation_level, note, payload)
  values (a.id, auth.uid(), private.actor_role(), null, 'sent', 0, why,
          jsonb_build_object('emergency_contacts', contacts, 'notified', to_jsonb(responders)));
  foreach recipient in array responders loop
    perform private.notify_sos(recipient, 'sos_raised', '紧急求助！请立即响应', 'SOS: someone needs help now', a.id,
                               jsonb_build_object('lat', a.lat, 'lon', a.lon, 'grid_id', grid, 'note', why,
                                                  'caller_name', caller_name, 'caller_phone', caller_phone,
                                                  'emergency_contacts', contacts, 'escalation_level', 0));
  end loop;
  return a;
end
$$;

create or replace function public.record_care_alerts(alerts jsonb, at timestamptz default now()) returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  item jsonb;
  a public.care_alerts;
  s public.care_subjects;
  worker uuid;
  created integer := 0;
  skipped integer := 0;
begin
  if not private.is_service() then
    raise exception 'only the care watch records alerts' using errcode = 'PT403';
  end if;
  if alerts is null or jsonb_typeof(alerts) <> 'array' then
    raise exception 'alerts must be a JSON array' using errcode = 'PT400';
  end if;
  for item in select * from jsonb_array_elements(alerts) loop
    select * into s from public.care_subjects where id = (item ->> 'subject_id')::uuid;
    if s.id is null then
      raise exception 'care subject % not found', item ->> 'subject_id' using errcode = 'PT404';
    end if;
    -- Routed to the least busy on-duty worker of the subject's grid.
    select w.worker_id into worker
    from private.on_duty_workers(s.grid_id) w
    order by (select count(*) from public.care_alerts c where c.assigned_to = w.worker_id and c.status <> 'closed'),
             w.since, w.worker_id
    limit 1;
    insert into public.care_alerts (subject_id, kind, severity, meter_kind, onset_at, detected_at, evidence,
                                    assigned_to, created_at)
    values (s.id, (item ->> 'kind')::public.care_alert_kind, (item ->> 'severity')::smallint,
            (item ->> 'meter_kind')::public.meter_kind, (item ->> 'onset_at')::timestamptz,
            (item ->> 'detected_at')::timestamptz, coalesce(item -> 'evidence', '{}'::jsonb), worker, at)
    on conflict do nothing
    returning * into a;
    if a.id is null then
      skipped := skipped + 1;
      continue;
    end if;
    created := created + 1;
    if worker is not null then
      perform private.notify_care(worker, 'care_alert', '独居老人用水用电异常，请尽快联系',
                                  'Care alert: unusual use at an elderly resident''s home', a);
    else
      perform private.escalate_care_alert(a, 'no grid worker on duty', at);
    end if;
    a := null;
  end loop;
  return jsonb_build_object('created', created, 'skipped', skipped);
end
$$;

create or replace function public.report_contact(report uuid)
returns table (display_name text, phone text, on_behalf boolean)
language plpgsql stable
security definer set search_path = ''
as $$
begin
  perform private.require_staff('see who reported a case');
  if not private.can_read_report(report) then
    raise exception 'report % not found', report using errcode = 'PT404';
  end if;
  return query
    select coalesce(r.resident_name, p.display_name), coalesce(r.resident_phone, p.phone),
           r.resident_name is not null or r.resident_phone is not null
    from public.reports r
    left join public.profiles p on p.id = r.reporter_id
    where r.id = report;
end
$$;

create or replace function public.sos_contact(alert uuid)
returns table (display_name text, phone text, home_address text)
language plpgsql stable
security definer set search_path = ''
as $$
begin
  perform private.require_staff('see who called for help');
  if not private.can_read_sos(alert) then
    raise exception 'SOS alert % not found', alert using errcode = 'PT404';
  end if;
  return query
    select p.display_name, p.phone, p.home_address
    from public.sos_alerts a left join public.profiles p on p.id = a.caller_id
    where a.id = alert;
end
$$;

create or replace function public.transfer_workers(report uuid)
returns table (id uuid, display_name text, grid_codes text[], on_duty boolean)
language plpgsql stable
security definer set search_path = ''
as $$
begin
  perform private.require_staff('list grid workers');
  if not private.can_read_report(report) then
    raise exception 'report % not found', report using errcode = 'PT404';
  end if;
  return query
    select p.id, p.display_name, array_agg(a.code order by a.code), coalesce(bool_or(d.on_duty), false)
    from public.reports r
    join public.worker_grids wg on r.street_id is null or private.street_of(wg.grid_id) = r.street_id
    join public.areas a on a.id = wg.grid_id
    join public.profiles p on p.id = wg.worker_id and p.role = 'grid_worker'
    left join public.worker_duty d on d.worker_id = wg.worker_id
    where r.id = report and wg.worker_id is distinct from auth.uid()
    group by p.id, p.display_name
    order by coalesce(bool_or(d.on_duty), false) desc, min(a.code), p.display_name;
end
$$;
