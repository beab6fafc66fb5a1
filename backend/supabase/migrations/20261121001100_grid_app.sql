-- Grid app: what the worker's tablet needs beyond the case RPCs (0600).
--   * reports filed by a grid worker for a resident keep the resident's name and phone;
--   * report_contact(report): the reporter's (or resident's) name and phone, for the staff
--     who can see the case (grid worker, department staff, supervisor, admin), never for
--     residents: profiles are otherwise readable only by their owner;
--   * change_report_category(report, category, reason): re-categorise an open case; it is
--     routed again as dispatch routes a new report (department queue, least-loaded on-duty
--     worker of the grid, else the supervisors) and its due time follows the new item;
--   * escalate_report(report, reason): the handler asks the street's supervisors to step in;
--   * sos_contact(alert): the SOS caller's name and phone, for the responders who can see the alert;
--   * transfer_workers(report): the grid workers of the report's street (name, grids, on duty), to
--     pick whom to transfer a case to (workers cannot read each other's profiles otherwise).
-- Both case changes check the transition (PT409) then the caller (PT403, private.may_handle)
-- and write exactly one case_events row, like every RPC of 0600.

-- Tables -----------------------------------------------------------------
alter table public.reports
  add column resident_name text check (length(resident_name) between 1 and 100),
  add column resident_phone text check (resident_phone ~ '^\+?[0-9 -]{3,32}$'),
  add constraint reports_resident_only_from_grid_app
    check ((resident_name is null and resident_phone is null) or source = 'grid_app');
comment on column public.reports.resident_name is 'For a report a grid worker filed on behalf of a resident (source grid_app): the resident''s name.';
comment on column public.reports.resident_phone is 'For a report filed on behalf of a resident: the resident''s phone, shown to the handlers through report_contact.';

-- Functions --------------------------------------------------------------
create function public.report_contact(report uuid)
returns table (display_name text, phone text, on_behalf boolean)
language plpgsql stable
security definer set search_path = ''
as $$
begin
  if private.user_role() is null or private.user_role() not in ('grid_worker', 'dept_staff', 'supervisor', 'admin') then
    raise exception 'only staff handling cases may see who reported them' using errcode = 'PT403';
  end if;
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
comment on function public.report_contact(uuid) is 'Name and phone of whoever reported a case (the resident for a report filed on their behalf), for staff who can see it.';

create function public.sos_contact(alert uuid)
returns table (display_name text, phone text)
language plpgsql stable
security definer set search_path = ''
as $$
begin
  if private.user_role() is null or private.user_role() not in ('grid_worker', 'dept_staff', 'supervisor', 'admin') then
    raise exception 'only responders may see who called for help' using errcode = 'PT403';
  end if;
  if not private.can_read_sos(alert) then
    raise exception 'SOS alert % not found', alert using errcode = 'PT404';
  end if;
  return query
    select p.display_name, p.phone from public.sos_alerts a left join public.profiles p on p.id = a.caller_id
    where a.id = alert;
end
$$;
comment on function public.sos_contact(uuid) is 'Name and phone of whoever raised an SOS, for the responders who can see the alert (to call them).';

create function public.transfer_workers(report uuid)
returns table (id uuid, display_name text, grid_codes text[], on_duty boolean)
language plpgsql stable
security definer set search_path = ''
as $$
begin
  if private.user_role() is null or private.user_role() not in ('grid_worker', 'dept_staff', 'supervisor', 'admin') then
    raise exception 'only staff handling cases may list grid workers' using errcode = 'PT403';
  end if;
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
comment on function public.transfer_workers(uuid) is 'Grid workers of a report''s street (name, grid codes, on duty), for the staff who can see it: whom a case can be transferred to.';

create function private.route_again(r public.reports) returns public.tasks
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
    select wg.worker_id into worker
    from public.worker_grids wg
    join public.worker_duty d on d.worker_id = wg.worker_id and d.on_duty
    where wg.grid_id = r.grid_id
    order by (select count(*) from public.tasks t
              where t.assignee_id = wg.worker_id and t.status in ('open', 'accepted', 'in_progress')),
             d.since, wg.worker_id
    limit 1;
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
comment on function private.route_again(public.reports) is 'A new task for a report, chosen as dispatch_report chooses one (the old task must be closed first).';

create function public.change_report_category(report uuid, category text, reason text) returns public.reports
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
      due_at = case when item.sla_hours is not null then r.created_at + make_interval(hours => item.sla_hours) end
  where id = r.id returning * into changed;
  fresh := private.route_again(changed);
  perform private.notify_holders(fresh, 'task_assigned', '改派给您的事件', 'A case was re-dispatched to you');
  return private.record_change(changed, 'transferred', format('category %s -> %s: %s', r.category_code, item.code, why));
end
$$;
comment on function public.change_report_category(uuid, text, text) is 'The handler re-categorises an open case with a reason; it is dispatched again by the new item.';

create function public.escalate_report(report uuid, reason text) returns public.reports
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
  return private.record_change(r, r.status, 'escalated to the supervisor: ' || why);
end
$$;
comment on function public.escalate_report(uuid, text) is 'The handler asks the street''s supervisors to step in (notified; one case_events row, status unchanged).';

revoke execute on function private.route_again(public.reports) from public;
revoke execute on function public.report_contact(uuid), public.sos_contact(uuid), public.transfer_workers(uuid),
  public.change_report_category(uuid, text, text), public.escalate_report(uuid, text) from public, anon;
grant execute on function public.report_contact(uuid), public.sos_contact(uuid), public.transfer_workers(uuid),
  public.change_report_category(uuid, text, text), public.escalate_report(uuid, text) to authenticated, service_role;

-- Grants -----------------------------------------------------------------
grant insert (resident_name, resident_phone) on public.reports to authenticated;
