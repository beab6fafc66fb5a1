-- Hotspots (融合同类诉求热点): many neighbours report the same problem.
--
-- Open reports of the same sub-category, close in place (hotspot_radius_m) and time
-- (hotspot_window_hours), whose descriptions are alike in words (hotspot_likeness_pct)
-- form a hotspot: a stored row with its members, gathered as each report is filed.
-- Likeness is measured on segmented words: Han text is cut into overlapping character
-- bigrams (most Chinese words are two characters; pg_trgm's trigrams score two wordings
-- of the same rubbish pile at about 0.1), Latin text into words, and two descriptions are
-- alike when their shared terms are a large enough share of the shorter one's terms.
--
-- merge_hotspot(hotspot) makes its oldest open member the parent case, handled once: the
-- other members' tasks are cancelled and each member points at the parent, while it stays
-- its reporter's own case with its own timeline, notices and rating. Resolving the parent
-- resolves every member; split_hotspot_member(report) takes one out again and routes it
-- as a case of its own. The figures of bench/hotspots.py set the three values below.

-- Limits (one home: private.limits; shared/limits.py mirrors them) -----------
insert into private.limits (name, value, per, comment) values
  ('hotspot_radius_m', 150, null, 'reports at most this many metres apart may form a hotspot'),
  ('hotspot_window_hours', 72, null, 'reports at most this many hours apart may form a hotspot'),
  ('hotspot_likeness_pct', 35, null, 'share (percent) of the shorter description''s terms two descriptions must share to be alike');

-- Tables -----------------------------------------------------------------
create table public.hotspots (
  id uuid primary key default gen_random_uuid(),
  category_code text not null references public.categories (code),
  grid_id uuid references public.areas (id),
  street_id uuid references public.areas (id),
  lat double precision not null check (lat between -90 and 90),
  lon double precision not null check (lon between -180 and 180),
  parent_report_id uuid references public.reports (id),
  merged_at timestamptz,
  merged_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.hotspots is 'Similar open reports of one sub-category near each other in place and time, gathered as they are filed. parent_report_id is set when a handler or supervisor merges them (merge_hotspot). Written only by the database.';
comment on column public.hotspots.lat is 'The first member''s place: the hotspot does not creep along a street as members join.';
comment on column public.hotspots.merged_by is 'Who merged it. No foreign key: the history outlives a deleted account.';

create table public.hotspot_members (
  hotspot_id uuid not null references public.hotspots (id) on delete cascade,
  report_id uuid not null references public.reports (id) on delete cascade,
  likeness real not null check (likeness between 0 and 1),
  joined_at timestamptz not null default now(),
  split_at timestamptz,
  primary key (hotspot_id, report_id)
);
comment on table public.hotspot_members is 'A report in a hotspot; likeness to the member it was matched with. split_at: taken out again (split_hotspot_member); a split report never rejoins that hotspot.';
create unique index hotspot_members_one_hotspot_idx on public.hotspot_members (report_id) where split_at is null;

alter table public.reports add column parent_report_id uuid references public.reports (id);
comment on column public.reports.parent_report_id is 'Set while the report is merged into a hotspot''s parent case, which is handled for it (merge_hotspot); null otherwise.';
create index reports_parent_report_id_idx on public.reports (parent_report_id) where parent_report_id is not null;

-- Functions: likeness ------------------------------------------------------
create function private.description_terms(description text) returns text[]
language sql immutable parallel safe
as $$
  -- Han runs -> overlapping character bigrams (a one-character run stays whole); Latin and
  -- digit runs -> lower-case words. Filler that every complaint shares is dropped.
  with runs as (
    select m[1] as run
    from regexp_matches(lower(coalesce(description, '')), '([\u4e00-\u9fff]+|[a-z0-9]+)', 'g') as m
  ), terms as (
    select case when run ~ '^[a-z0-9]+$' then run else substr(run, i, 2) end as term
    from runs, generate_series(1, greatest(length(run) - 1, 1)) as i
    where run !~ '^[a-z0-9]+$' or i = 1
  )
  select coalesce(array_agg(distinct term order by term), '{}')
  from terms
  where term <> all ('{这里,那里,我们,你们,他们,一个,已经,没有,非常,好几,几天,天了,尽快,快处,处理,麻烦,谢谢,希望,有人,什么,怎么,问题,严重,影响,现在,还是,一直,今天,昨天,请尽,请问,了吧,一下,看看,情况,反映,the,a,an,is,are,of,and,to,in,on,at,it,there,please,very,has,have,been,for,this,that,with,our,my}'::text[])
$$;
comment on function private.description_terms(text) is 'The segmented words of a description for hotspot likeness: Han bigrams and Latin words, without common filler. Plain immutable SQL, so it inlines.';

create function private.description_likeness(a text[], b text[]) returns real
language sql immutable parallel safe
as $$
  -- Shared terms over the shorter description's terms: a short report ("3号楼垃圾没人收")
  -- is alike to a long one that says the same and more.
  select case when least(cardinality(a), cardinality(b)) = 0 then 0::real
              else (select count(*) from (select unnest(a) intersect select unnest(b)) s)::real
                   / least(cardinality(a), cardinality(b)) end
$$;
comment on function private.description_likeness(text[], text[]) is 'Overlap of two term sets: |a and b| / min(|a|, |b|), 0 when either is empty.';

create function private.distance_m(lat1 double precision, lon1 double precision,
                                   lat2 double precision, lon2 double precision) returns double precision
language sql immutable parallel safe
as $$
  select extensions.earth_distance(extensions.ll_to_earth(lat1, lon1), extensions.ll_to_earth(lat2, lon2))
$$;
comment on function private.distance_m(double precision, double precision, double precision, double precision) is 'Metres between two WGS-84 points (earthdistance).';

-- Functions: gathering -----------------------------------------------------
create function private.gather_hotspot() returns trigger
language plpgsql
security definer set search_path = ''
as $$
declare
  radius double precision := private.limit_value('hotspot_radius_m');
  window_h integer := private.limit_value('hotspot_window_hours');
  alike real := private.limit_value('hotspot_likeness_pct') / 100.0;
  terms text[] := private.description_terms(new.description);
  -- About radius in degrees of latitude, so the open-category index narrows the search first.
  band double precision := radius / 111000.0 * 1.1;
  g record;
  spot public.hotspots;
  first_group boolean := true;
begin
  if cardinality(terms) = 0 or not private.is_open_status(new.status) then
    return null;
  end if;
  -- Groups of alike neighbours, most alike first: a hotspot (the words of its members nearby,
  -- together: neighbours word one problem in many ways) or a report in none. The newcomer
  -- joins the first; the others it bridges join too, unless a merge made a case of either.
  for g in
    with near as (
      select r.id, m.hotspot_id, h.parent_report_id, private.description_terms(r.description) as t
      from public.reports r
      left join public.hotspot_members m on m.report_id = r.id and m.split_at is null
      left join public.hotspots h on h.id = m.hotspot_id
      where r.id <> new.id
        and r.category_code = new.category_code
        and private.is_open_status(r.status)
        and r.lat between new.lat - band and new.lat + band
        and r.created_at >= new.created_at - make_interval(hours => window_h)
        and private.distance_m(r.lat, r.lon, new.lat, new.lon) <= radius
        and (h.id is null or private.distance_m(h.lat, h.lon, new.lat, new.lon) <= radius)
        -- A report a person split out stays a case of its own.
        and not exists (select 1 from public.hotspot_members s where s.report_id = r.id and s.split_at is not null)
    ), groups as (
      select n.hotspot_id, min(n.id::text)::uuid as report_id, n.parent_report_id, array_agg(distinct x) as t
      from near n cross join lateral unnest(n.t) as x
      group by coalesce(n.hotspot_id, n.id), n.hotspot_id, n.parent_report_id
    )
    select gr.hotspot_id, gr.report_id, gr.parent_report_id, private.description_likeness(gr.t, terms) as likeness
    from groups gr
    where private.description_likeness(gr.t, terms) >= alike
    order by likeness desc, gr.hotspot_id nulls last, gr.report_id
  loop
    if first_group then
      first_group := false;
      if g.hotspot_id is null then
        insert into public.hotspots (category_code, grid_id, street_id, lat, lon)
        select r.category_code, r.grid_id, r.street_id, r.lat, r.lon from public.reports r where r.id = g.report_id
        returning * into spot;
        insert into public.hotspot_members (hotspot_id, report_id, likeness) values (spot.id, g.report_id, 1);
      else
        update public.hotspots set updated_at = now() where id = g.hotspot_id returning * into spot;
      end if;
      insert into public.hotspot_members (hotspot_id, report_id, likeness) values (spot.id, new.id, g.likeness);
    elsif spot.parent_report_id is null and g.parent_report_id is null then
      if g.hotspot_id is null then
        insert into public.hotspot_members (hotspot_id, report_id, likeness) values (spot.id, g.report_id, g.likeness);
      else
        update public.hotspot_members set hotspot_id = spot.id where hotspot_id = g.hotspot_id and split_at is null;
        delete from public.hotspots h where h.id = g.hotspot_id
          and not exists (select 1 from public.hotspot_members m where m.hotspot_id = h.id);
      end if;
    end if;
  end loop;

  if spot.parent_report_id is not null then
    -- Already merged: the newcomer is handled with the others from the start.
    perform private.attach_to_parent(new.id, spot.parent_report_id, true);
  end if;
  return null;
end
$$;
comment on function private.gather_hotspot() is 'reports AFTER INSERT (after dispatch): joins the new report to the most alike group of open neighbours (a hotspot, or a report in none, forming one), and brings the other alike groups it bridges along; a merged hotspot''s newcomer is attached to its parent at once.';

create function private.attach_to_parent(member uuid, parent uuid, by_system boolean) returns void
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports;
begin
  select * into r from public.reports where id = member for update;
  update public.tasks set status = 'cancelled' where report_id = member and status in ('open', 'accepted', 'in_progress');
  update public.reports set parent_report_id = parent where id = member;
  -- Gathered at filing, the step is the system's, not the resident's who filed the newcomer.
  insert into public.case_events (report_id, actor_id, actor_role, from_status, to_status, note)
  values (member, case when by_system then null else auth.uid() end,
          case when by_system then 'system' else private.actor_role() end, r.status, r.status,
          '与同类诉求合并处理 / handled together with similar reports');
  if r.reporter_id is not null and r.reporter_id is distinct from auth.uid() then
    perform private.notify(r.reporter_id, 'report_merged', '您的上报与附近同类诉求合并处理',
                           'Your report is handled together with similar reports nearby', member,
                           jsonb_build_object('parent', parent));
  end if;
end
$$;
comment on function private.attach_to_parent(uuid, uuid, boolean) is 'A member is handled by its parent case: its task cancelled, parent_report_id set, one case_events row, its reporter told.';

-- Functions: the RPCs ------------------------------------------------------
create function private.may_see_hotspot(spot uuid) returns boolean
language sql stable
security definer set search_path = ''
as $$
  -- Staff who may read one of its members; a resident sees their own case, not the hotspot.
  select coalesce(private.user_role(), '') in ('grid_worker', 'dept_staff', 'supervisor', 'admin')
     and exists (select 1 from public.hotspot_members m
                 where m.hotspot_id = spot and m.split_at is null and private.can_read_report(m.report_id))
$$;
comment on function private.may_see_hotspot(uuid) is 'Whether the caller is staff who may read one of the hotspot''s current members.';

create function public.hotspots()
returns table (id uuid, category_code text, grid_id uuid, street_id uuid, lat double precision, lon double precision,
               member_count integer, open_count integer, report_ids uuid[], parent_report_id uuid,
               merged_at timestamptz, first_at timestamptz, last_at timestamptz)
language sql stable
security definer set search_path = ''
as $$
  select h.id, h.category_code, h.grid_id, h.street_id, h.lat, h.lon,
         count(*)::integer,
         count(*) filter (where private.is_open_status(r.status))::integer,
         -- Only the members the caller may read: a worker of one grid does not learn the ids of another's.
         coalesce(array_agg(r.id order by r.created_at) filter (where private.can_read_report(r.id)), '{}'),
         h.parent_report_id, h.merged_at, min(r.created_at), max(r.created_at)
  from public.hotspots h
  join public.hotspot_members m on m.hotspot_id = h.id and m.split_at is null
  join public.reports r on r.id = m.report_id
  where private.may_see_hotspot(h.id) or private.is_service()
  group by h.id
  having count(*) >= 2 and count(*) filter (where private.is_open_status(r.status)) > 0
  order by count(*) desc, max(r.created_at) desc
$$;
comment on function public.hotspots() is 'Open hotspots in the caller''s scope (staff who may read a member; the service role sees all), largest first.';

create function public.merge_hotspot(hotspot uuid) returns public.hotspots
language plpgsql
security definer set search_path = ''
as $$
declare
  spot public.hotspots;
  parent public.reports;
  m public.reports;
begin
  select * into spot from public.hotspots where id = hotspot for update;
  if spot.id is null or not (private.may_see_hotspot(spot.id) or private.is_service()) then
    raise exception 'no such hotspot' using errcode = 'PT404';
  end if;
  if spot.parent_report_id is not null then
    return spot;  -- merging twice is the same as once
  end if;
  select r.* into parent
  from public.hotspot_members hm join public.reports r on r.id = hm.report_id
  where hm.hotspot_id = spot.id and hm.split_at is null and private.is_open_status(r.status)
  order by r.created_at, r.id limit 1;
  if parent.id is null then
    raise exception 'every report of this hotspot is already closed' using errcode = 'PT409';
  end if;
  -- The caller must be able to handle every open member: they all end up in one pair of hands.
  for m in
    select r.* from public.hotspot_members hm join public.reports r on r.id = hm.report_id
    where hm.hotspot_id = spot.id and hm.split_at is null and private.is_open_status(r.status)
  loop
    if not private.may_handle(m, private.active_task(m.id)) then
      raise exception 'only a handler of every report of this hotspot, or their supervisor, may merge it'
        using errcode = 'PT403';
    end if;
  end loop;
  for m in
    select r.* from public.hotspot_members hm join public.reports r on r.id = hm.report_id
    where hm.hotspot_id = spot.id and hm.split_at is null and private.is_open_status(r.status) and r.id <> parent.id
    order by r.created_at
  loop
    perform private.attach_to_parent(m.id, parent.id, false);
  end loop;
  perform private.record_change(parent, parent.status,
    format('合并 %s 件同类诉求一并处理 / %s similar reports merged into this case',
           (select count(*) - 1 from public.hotspot_members hm where hm.hotspot_id = spot.id and hm.split_at is null),
           (select count(*) - 1 from public.hotspot_members hm where hm.hotspot_id = spot.id and hm.split_at is null)));
  update public.hotspots set parent_report_id = parent.id, merged_at = now(), merged_by = auth.uid(), updated_at = now()
  where id = spot.id returning * into spot;
  return spot;
end
$$;
comment on function public.merge_hotspot(uuid) is 'A handler of every open member, or their supervisor, makes the oldest open member the parent case: the others are handled with it (their tasks cancelled), each keeping its own timeline, notices and rating.';

create function public.split_hotspot_member(report uuid) returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  r public.reports := private.lock_case(report);
  p public.reports;
  fresh public.tasks;
  changed public.reports;
begin
  if r.id is null or not private.can_read_report(r.id) then
    raise exception 'no such report' using errcode = 'PT404';
  end if;
  if not exists (select 1 from public.hotspot_members m where m.report_id = r.id and m.split_at is null) then
    raise exception 'this report is not in a hotspot' using errcode = 'PT409';
  end if;
  if r.parent_report_id is not null then
    select * into p from public.reports where id = r.parent_report_id;
  else
    p := r;  -- not merged (or the parent itself): the case's own handler decides
  end if;
  if not private.may_handle(p, private.active_task(p.id)) then
    raise exception 'only the handler of the merged case, or their supervisor, may split a report out'
      using errcode = 'PT403';
  end if;
  if exists (select 1 from public.reports c where c.parent_report_id = r.id and private.is_open_status(c.status)) then
    raise exception 'the merged case itself cannot be split out: split its other reports out first' using errcode = 'PT409';
  end if;
  update public.hotspot_members set split_at = now() where report_id = r.id and split_at is null;
  update public.reports set parent_report_id = null where id = r.id returning * into changed;
  if r.parent_report_id is not null and private.is_open_status(r.status) then
    fresh := private.route_again(changed);
    perform private.notify_holders(fresh, 'task_assigned', '新的待办事件', 'New case to handle');
  end if;
  return private.record_change(changed, changed.status, '从合并案件中拆分出来单独处理 / split out of the merged case, handled on its own');
end
$$;
comment on function public.split_hotspot_member(uuid) is 'The handler of the merged case (or their supervisor) takes one report out of its hotspot: it is routed again as a case of its own.';

create function private.follow_parent() returns trigger
language plpgsql
security definer set search_path = ''
as $$
declare
  m public.reports;
  fresh public.tasks;
begin
  if new.status = 'resolved' then
    -- Resolving the parent resolves every member with the same note and after-photos.
    for m in select * from public.reports where parent_report_id = new.id and private.is_open_status(status) for update
    loop
      update public.reports set resolution_note = new.resolution_note, resolution_photos = new.resolution_photos,
                                resolved_at = coalesce(new.resolved_at, now())
      where id = m.id;
      perform private.record_change(m, 'resolved', new.resolution_note);
    end loop;
  elsif not private.is_open_status(new.status) then
    -- The parent was withdrawn or rejected: its members are cases of their own again.
    for m in select * from public.reports where parent_report_id = new.id and private.is_open_status(status) for update
    loop
      update public.reports set parent_report_id = null where id = m.id returning * into m;
      update public.hotspot_members set split_at = now() where report_id = m.id and split_at is null;
      fresh := private.route_again(m);
      perform private.notify_holders(fresh, 'task_assigned', '新的待办事件', 'New case to handle');
      perform private.record_change(m, m.status, '合并案件已撤回，改为单独处理 / the merged case ended, handled on its own');
    end loop;
  end if;
  return null;
end
$$;
comment on function private.follow_parent() is 'reports AFTER UPDATE OF status: a parent''s resolution resolves its members; a parent withdrawn or rejected hands its members back to their own handlers.';

-- Grants -----------------------------------------------------------------
revoke execute on function private.description_terms(text), private.description_likeness(text[], text[]),
  private.distance_m(double precision, double precision, double precision, double precision),
  private.gather_hotspot(), private.attach_to_parent(uuid, uuid, boolean), private.may_see_hotspot(uuid),
  private.follow_parent() from public;
grant execute on function private.description_terms(text), private.description_likeness(text[], text[]),
  private.distance_m(double precision, double precision, double precision, double precision),
  private.may_see_hotspot(uuid) to authenticated, service_role;
revoke execute on function public.hotspots(), public.merge_hotspot(uuid), public.split_hotspot_member(uuid) from public, anon;
grant execute on function public.hotspots(), public.merge_hotspot(uuid), public.split_hotspot_member(uuid)
  to authenticated, service_role;

alter table public.hotspots enable row level security;
alter table public.hotspot_members enable row level security;
revoke all on public.hotspots, public.hotspot_members from anon, authenticated;
grant select on public.hotspots, public.hotspot_members to authenticated;
grant all on public.hotspots, public.hotspot_members to service_role;
create policy hotspots_staff_read on public.hotspots for select to authenticated
  using (private.may_see_hotspot(id));
create policy hotspot_members_staff_read on public.hotspot_members for select to authenticated
  using (private.may_see_hotspot(hotspot_id) and private.can_read_report(report_id));

-- Triggers ---------------------------------------------------------------
-- Named to fire after reports_dispatch (triggers of one event fire in name order), so the
-- newcomer already has its task when a merged hotspot takes it over.
create trigger reports_gather_hotspot after insert on public.reports
  for each row execute function private.gather_hotspot();
create trigger reports_follow_parent after update of status on public.reports
  for each row when (old.status is distinct from new.status) execute function private.follow_parent();
create trigger hotspots_touch_updated_at before update on public.hotspots
  for each row execute function private.touch_updated_at();

alter publication supabase_realtime add table public.hotspots;
