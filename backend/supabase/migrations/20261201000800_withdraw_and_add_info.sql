-- What residents asked for on their own open cases, and what workers need to find the place:
--   * withdraw_report(report, reason): the reporter withdraws an open case (-> withdrawn, a closed
--     state): its active task is cancelled, so it leaves the handler's inbox; the handler is told;
--   * add_report_info(report, note, photos): the reporter adds a note and photos to an open case
--     (status unchanged): one case_events row of kind 'info_added' carrying the photos; the
--     handler is told. The photos follow the report-photos rules of 0900: they lie in the
--     reporter's own folder and are read by whoever can see the case;
--   * reports.landmark: where exactly ("3号楼东侧"), beside the area names of the address.
-- Both RPCs check the transition first (PT409), then the caller (PT403), and write exactly one
-- case_events row, like every RPC of 0600. Only the reporter calls them (for a report filed on a
-- resident's behalf, the worker who filed it).
--
--   withdraw_report   dispatched | accepted | in_progress | needs_info | transferred | reopened -> withdrawn  reporter
--   add_report_info   the same open states                                      -> (unchanged) reporter
--
-- withdrawn is closed: what lists open statuses is redefined here (follow_report,
-- nearby_open_reports and its index, run_escalations) through private.is_open_status.

-- Tables -----------------------------------------------------------------
alter table public.reports
  add column landmark text constraint reports_landmark_length check (length(landmark) between 1 and 100);
comment on column public.reports.landmark is 'Where exactly, in the reporter''s words ("3号楼东侧"), at most 100 characters; shown to the handler with the address.';

alter table public.case_events
  add column kind text constraint case_events_kind_known check (kind in ('info_added')),
  add column photos text[] not null default '{}' constraint case_events_photos_count check (cardinality(photos) <= 9);
comment on column public.case_events.kind is 'What a step that keeps the status is: null for a status change or a comment, info_added for information the reporter added (add_report_info).';
comment on column public.case_events.photos is 'Storage names (report-photos, <actor uid>/...) the step added, at most 9 (add_report_info).';

-- Functions: the list of closed states (before the index that uses it) --------
create function private.is_open_status(status public.report_status) returns boolean
language sql immutable
as $$
  select status not in ('resolved', 'closed', 'rejected', 'withdrawn')
$$;
comment on function private.is_open_status(public.report_status) is 'The one list of closed states: a case is open unless resolved, closed, rejected or withdrawn. Plain immutable SQL without security definer or search_path (it reads nothing): so the planner inlines it, in queries and in the partial index below alike. A migration that changes the list must recreate reports_open_category_idx.';

-- Indexes ----------------------------------------------------------------
drop index public.reports_open_category_idx;
create index reports_open_category_idx on public.reports (category_code, lat) where private.is_open_status(status);
create index case_events_photos_idx on public.case_events using gin (photos) where photos <> '{}';

-- Functions: helpers -----------------------------------------------------

create function private.require_reporter(r public.reports, action text) returns void
language plpgsql
security definer set search_path = ''
as $$
begin
  if r.reporter_id is distinct from auth.uid() or auth.uid() is null then
    raise exception 'only the reporter may %', action using errcode = 'PT403';
  end if;
end
$$;
comment on function private.require_reporter(public.reports, text) is 'PT403 unless the caller filed the report.';

create function private.check_added_photos(photos text[]) returns text[]
language plpgsql stable
security definer set search_path = ''
as $$
declare
  p text;
begin
  if cardinality(coalesce(photos, '{}')) > 9 then
    raise exception 'at most 9 photos' using errcode = 'PT400';
  end if;
  foreach p in array coalesce(photos, '{}') loop
    -- Security definer reads storage.objects: the photo must be the caller's own upload.
    if p is null or (storage.foldername(p))[1] is distinct from auth.uid()::text
       or not exists (select 1 from storage.objects o where o.bucket_id = 'report-photos' and o.name = p) then
      raise exception 'photo % is not one of your uploads', p using errcode = 'PT400';
    end if;
  end loop;
  return coalesce(array(select distinct unnest(photos)), '{}');
end
$$;
comment on function private.check_added_photos(text[]) is 'PT400 unless every name is an upload of the caller in report-photos (at most 9); returns them without repeats.';

-- Functions: the RPCs ----------------------------------------------------
create function public.withdraw_report(report uuid, reason text) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  t public.tasks := private.active_task(report);
  why text;
begin
  perform private.require_status(r, '{dispatched,accepted,in_progress,needs_info,transferred,reopened}', 'withdraw');
  perform private.require_reporter(r, 'withdraw a case');
  why := private.require_text(reason, 'the reason');
  if t.id is not null then
    update public.tasks set status = 'cancelled' where id = t.id;
    perform private.notify_holders(t, 'report_withdrawn', '上报人已撤回事件', 'The reporter withdrew a case');
  end if;
  return private.record_change(r, 'withdrawn', why);
end
$$;
comment on function public.withdraw_report(uuid, text) is 'The reporter withdraws an open case, with a reason: its task is cancelled and the handler told.';

create function public.add_report_info(report uuid, note text, photos text[] default '{}') returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  t public.tasks := private.active_task(report);
  what text;
  added text[];
  changed public.reports;
begin
  perform private.require_status(r, '{dispatched,accepted,in_progress,needs_info,transferred,reopened}', 'add information to');
  perform private.require_reporter(r, 'add information');
  what := private.require_text(note, 'the note');
  added := private.check_added_photos(add_report_info.photos);
  insert into public.case_events (report_id, actor_id, actor_role, from_status, to_status, note, kind, photos)
  values (r.id, auth.uid(), private.actor_role(), r.status, r.status, what, 'info_added', added);
  if t.id is not null then
    perform private.notify_holders(t, 'info_added', '上报人补充了信息', 'The reporter added information');
  end if;
  -- Touch the report, so those watching it (Realtime on reports) fetch the new step.
  update public.reports set updated_at = now() where id = r.id returning * into changed;
  return changed;
end
$$;
comment on function public.add_report_info(uuid, text, text[]) is 'The reporter adds a note and photos (their own uploads) to an open case; the status stays, the handler is told.';

-- Functions: withdrawn is closed -------------------------------------------
create or replace function public.follow_report(report uuid) returns boolean
language plpgsql
security definer set search_path = ''
as $$
begin
  if auth.uid() is null then
    raise exception 'sign in to follow a case' using errcode = 'PT401';
  end if;
  if not exists (select 1 from public.reports r where r.id = report and (private.is_open_status(r.status) or r.status = 'resolved')) then
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

create or replace function public.nearby_open_reports(lat double precision, lon double precision, category text default null,
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
    where private.is_open_status(r.status)
      and (category is null or r.category_code = category)
      and r.lat between nearby_open_reports.lat - radius_m / 111000.0 and nearby_open_reports.lat + radius_m / 111000.0
      and d.m <= radius_m
    order by d.m, r.created_at desc  -- among equally near cases, the newest first
    limit 20;
end
$$;
comment on function public.nearby_open_reports(double precision, double precision, text, double precision) is 'Open cases of a category within radius_m (default 50 m, at most private.limits nearby_radius_m = 200 m, else PT400) of a point, nearest first (then newest): offered as "follow that case". Distance rounded to 10 m, whether the case is the caller''s own; no address, reporter or description. Throttled per person (PT429, hint nearby_lookups).';

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
      and r.due_at < now() and private.is_open_status(r.status)
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

-- Functions: photos added to a case follow the report-photos rules ------------
create or replace function private.can_read_report_photo(object_name text) returns boolean
language sql stable
security definer set search_path = ''
as $$
  -- Security definer to read reports and case_events whatever their policies; the
  -- visibility itself is the caller's: can_read_report reads the caller's JWT claims.
  select exists (
    select 1 from public.reports r
    where r.photos @> array[object_name]
      and (storage.foldername(object_name))[1] = r.reporter_id::text
      and private.can_read_report(r.id))
  or exists (
    select 1 from public.reports r
    where r.resolution_photos @> array[object_name]
      and exists (select 1 from public.case_events e
                  where e.report_id = r.id and e.to_status = 'resolved'
                    and e.actor_id::text = (storage.foldername(object_name))[1])
      and private.can_read_report(r.id))
  or exists (
    select 1 from public.case_events e
    where e.photos @> array[object_name] and e.photos <> '{}'
      and e.actor_id::text = (storage.foldername(object_name))[1]
      and private.can_read_report(e.report_id))
$$;
comment on function private.can_read_report_photo(text) is 'Whether the caller may see a report-photos object because a report they can see carries it (the reporter''s photo, its resolver''s after-photo, or a photo its actor added to the timeline).';

create or replace function private.is_attached_report_photo(object_name text) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select exists (select 1 from public.reports r
                 where r.photos @> array[object_name] or r.resolution_photos @> array[object_name])
      or exists (select 1 from public.case_events e where e.photos @> array[object_name] and e.photos <> '{}')
$$;
comment on function private.is_attached_report_photo(text) is 'Whether any report or timeline step (visible to the caller or not) carries that report-photos object.';

-- Account deletion (20261201000200) also unlinks the photos the person added to timelines.
create or replace function private.forget_account() returns trigger
language plpgsql
security definer set search_path = ''
as $$
declare
  gone uuid := old.id;
  folder text := old.id::text;
begin
  perform set_config('cityloop.forgetting_account', folder, true);
  -- Links where they were the contact end (the inviter's own invitations go with the account).
  update public.emergency_contact_invitations i set status = 'ended', ended_at = now()
  where i.invitee_id = gone and i.status = 'accepted';
  -- Their SOS alerts: the trail goes, the alert stays without who, their words or their contacts.
  delete from public.sos_locations l using public.sos_alerts a where a.id = l.alert_id and a.caller_id = gone;
  delete from public.sms_outbox o using public.sos_alerts a where a.id = o.sos_id and a.caller_id = gone;
  update public.sos_events e set payload = e.payload - 'emergency_contacts' - 'contact_ids'
  from public.sos_alerts a
  where a.id = e.alert_id and a.caller_id = gone and e.payload ?| array['emergency_contacts', 'contact_ids'];
  update public.notifications n set payload = n.payload - 'caller_name' - 'caller_phone' - 'emergency_contacts' - 'note'
  from public.sos_alerts a where a.id = n.sos_alert_id and a.caller_id = gone;
  update public.sos_alerts a set emergency_contacts = '[]', contact_ids = '{}', note = null where a.caller_id = gone;
  update public.sos_alerts a set acknowledged_by_name = null where a.acknowledged_by = gone;
  -- What they did in a timeline stays; that it was them, their notes and their added photos go.
  update public.sos_events e set actor_id = null, note = null where e.actor_id = gone;
  update public.case_events e set actor_id = null, note = null, photos = '{}' where e.actor_id = gone;
  -- Their photos are removed from Storage with the account: reports stop naming them.
  update public.reports r set photos = '{}' where r.reporter_id = gone and r.photos <> '{}';
  update public.reports r
  set resolution_photos = array(select p from unnest(r.resolution_photos) p where split_part(p, '/', 1) <> folder)
  where exists (select 1 from unnest(r.resolution_photos) p where split_part(p, '/', 1) = folder);
  return old;
end
$$;

revoke execute on function private.is_open_status(public.report_status), private.require_reporter(public.reports, text),
  private.check_added_photos(text[]) from public;
grant execute on function private.is_open_status(public.report_status) to authenticated, service_role;
revoke execute on function public.withdraw_report(uuid, text), public.add_report_info(uuid, text, text[]) from public, anon;
grant execute on function public.withdraw_report(uuid, text), public.add_report_info(uuid, text, text[])
  to authenticated, service_role;

-- Grants -----------------------------------------------------------------
grant insert (landmark) on public.reports to authenticated;

-- Triggers ---------------------------------------------------------------
drop trigger case_events_append_only on public.case_events;
create trigger case_events_append_only before update or delete on public.case_events
  for each row execute function private.refuse_change('actor_id', 'note', 'photos');
