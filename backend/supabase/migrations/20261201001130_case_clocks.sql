-- Case clocks and case numbers (issue 15, item 1).
--   * Deadlines: an urgent item's deadline is hours after filing (categories.sla_hours); every
--     other item's is working days (categories.sla_working_days): the end of the N-th working day
--     after the day the case was received, city time (private.add_working_days, 0-1110). The
--     days follow the 12345 practice (1-2 / 5 / 10-12 working days), from the item's hours:
--       urgent (priority 1, or at most 12 hours)  -> hours, as before
--       24 hours -> 1 working day, 48 -> 2, 72 -> 5, more (enquiries, suggestions) -> 10.
--   * The pause: while a case waits for the resident (needs_info) its clock stands still
--     (reports.paused_at); when it leaves needs_info the deadline moves by the time it waited.
--     A paused case does not escalate.
--   * Reopen: a reopened case gets a new deadline, counted from the reopening like a new case.
--   * Case numbers: every case gets one at filing: <district prefix>-<city date>-<sequence>,
--     e.g. HP-20261201-0042 (areas.case_prefix of the district, else its code; CITY outside every
--     grid); the sequence counts per prefix and day from 0001 (five digits past 9999).
-- All in private.route_report (filing), private.record_change (every status change) and
-- change_report_category (a new item, a new deadline), recreated from their latest definitions.

-- Tables -----------------------------------------------------------------
alter table public.categories
  add column sla_working_days smallint
    constraint categories_working_days_items_only check (sla_working_days is null or (level = 3 and sla_working_days between 1 and 30));
comment on column public.categories.sla_working_days is 'Working days from receipt to the deadline (null: the deadline is sla_hours after filing, for urgent items). Items only.';

alter table public.areas
  add column case_prefix text constraint areas_case_prefix_format check (case_prefix is null or (case_prefix ~ '^[A-Z]{1,6}$' and level = 'district'));
comment on column public.areas.case_prefix is 'The letters that open the case numbers of a district (e.g. HP for 和平区); without it, the district''s code.';

alter table public.reports
  add column case_number text,
  add column paused_at timestamptz;
comment on column public.reports.case_number is 'The short readable number given at filing, e.g. HP-20261201-0042 (district, city date, sequence); shown wherever the case is, used in exports.';
comment on column public.reports.paused_at is 'Since when the case''s clock stands still (waiting for the resident: needs_info); null while it runs.';

create table private.case_number_counters (
  prefix text not null,
  day date not null,
  last_seq integer not null,
  primary key (prefix, day)
);
comment on table private.case_number_counters is 'The last case number given per prefix and city day (not exposed; written by private.next_case_number).';

-- Reference data -----------------------------------------------------------
update public.categories set sla_working_days = case
    when priority = 1 or sla_hours <= 12 then null
    when sla_hours <= 24 then 1
    when sla_hours <= 48 then 2
    when sla_hours <= 72 then 5
    else 10
  end
where level = 3;

-- Functions --------------------------------------------------------------
create function private.case_deadline(item public.categories, received timestamptz) returns timestamptz
language sql stable
security definer set search_path = ''
as $$
  select case
           when item.sla_working_days is not null then private.add_working_days(received, item.sla_working_days)
           when item.sla_hours is not null then received + make_interval(hours => item.sla_hours)
         end
$$;
comment on function private.case_deadline(public.categories, timestamptz) is 'The deadline of a case of this item received at `received`: N working days (the end of the N-th after that day, city time) or, for urgent items, sla_hours later.';

create function private.case_prefix(grid uuid) returns text
language sql stable
security definer set search_path = ''
as $$
  select coalesce((select coalesce(d.case_prefix, d.code)
                   from public.areas s join public.areas d on d.id = s.parent_id
                   where s.id = private.street_of(grid)), 'CITY')
$$;
comment on function private.case_prefix(uuid) is 'The case-number prefix of a grid''s district (its case_prefix, else its code); CITY outside every grid.';

create function private.next_case_number(grid uuid, at timestamptz) returns text
language sql
security definer set search_path = ''
as $$
  with n as (
    insert into private.case_number_counters as c (prefix, day, last_seq)
    values (private.case_prefix(grid), (at at time zone private.city_time_zone())::date, 1)
    on conflict (prefix, day) do update set last_seq = c.last_seq + 1
    returning c.prefix, c.day, c.last_seq
  )
  select n.prefix || '-' || to_char(n.day, 'YYYYMMDD') || '-' || lpad(n.last_seq::text, greatest(4, length(n.last_seq::text)), '0')
  from n
$$;
comment on function private.next_case_number(uuid, timestamptz) is 'The next case number of a grid''s district for the city day of `at` (the counter row locks until the filing commits, so two filings never share one).';

create or replace function private.route_report() returns trigger
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
  new.due_at := private.case_deadline(item, now());
  new.paused_at := null;
  new.case_number := private.next_case_number(new.grid_id, now());
  new.status := 'dispatched';
  new.duplicate_of := null;
  new.created_at := now();
  new.updated_at := now();
  return new;
end
$$;

create or replace function private.record_change(r public.reports, to_status public.report_status, note text)
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
  return private.record_change(changed, 'transferred', format('category %s -> %s: %s', r.category_code, item.code, why));
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

revoke execute on function private.case_deadline(public.categories, timestamptz), private.case_prefix(uuid),
  private.next_case_number(uuid, timestamptz) from public;
revoke all on private.case_number_counters from public, anon, authenticated;

-- Case numbers for the cases filed before this migration, in filing order (updated_at stays).
alter table public.reports disable trigger reports_touch_updated_at;
with numbered as (
  select r.id, private.case_prefix(r.grid_id) as prefix,
         (r.created_at at time zone private.city_time_zone())::date as day,
         row_number() over (partition by private.case_prefix(r.grid_id), (r.created_at at time zone private.city_time_zone())::date
                            order by r.created_at, r.id) as seq
  from public.reports r
)
update public.reports r
set case_number = n.prefix || '-' || to_char(n.day, 'YYYYMMDD') || '-' || lpad(n.seq::text, greatest(4, length(n.seq::text)), '0')
from numbered n where n.id = r.id;
alter table public.reports enable trigger reports_touch_updated_at;
insert into private.case_number_counters (prefix, day, last_seq)
select split_part(case_number, '-', 1), to_date(split_part(case_number, '-', 2), 'YYYYMMDD'), count(*)
from public.reports group by 1, 2;

-- Indexes ----------------------------------------------------------------
alter table public.reports alter column case_number set not null;
create unique index reports_case_number_idx on public.reports (case_number);
