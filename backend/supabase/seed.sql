-- Demo data for the local stack (`cityloop db reset`, first `make run`).
-- Reference data the product needs lives in migrations; only demo content belongs here.
-- Demo accounts are created before this file runs (backend/supabase/demo_users.json).
-- Idempotent: fixed ids, `on conflict do nothing`; the sample cases are made once.

-- The demo city: a Tianjin-like district, 2 streets, 4 communities, 8 grids tiling it.
-- Polygons are (longitude, latitude). The district spans lon 117.19-117.22, lat 39.11-39.13:
-- streets split it west/east at lon 117.205, communities north/south at lat 39.12,
-- grids split each community west/east at its middle longitude.
insert into public.areas (id, parent_id, level, code, name_zh, name_en, polygon) values
  ('00000000-0000-4000-a000-000000000001', null, 'district', '120101', '和平区', 'Heping District', '((117.19,39.11),(117.22,39.11),(117.22,39.13),(117.19,39.13))')
on conflict (id) do nothing;
-- Case numbers of the district open with HP (HP-20261201-0042).
update public.areas set case_prefix = 'HP' where id = '00000000-0000-4000-a000-000000000001' and case_prefix is null;

insert into public.areas (id, parent_id, level, code, name_zh, name_en, polygon) values
  ('00000000-0000-4000-a000-000000000011', '00000000-0000-4000-a000-000000000001', 'street', '120101001', '劝业场街道', 'Quanyechang Street', '((117.19,39.11),(117.205,39.11),(117.205,39.13),(117.19,39.13))'),
  ('00000000-0000-4000-a000-000000000012', '00000000-0000-4000-a000-000000000001', 'street', '120101002', '南营门街道', 'Nanyingmen Street', '((117.205,39.11),(117.22,39.11),(117.22,39.13),(117.205,39.13))')
on conflict (id) do nothing;

insert into public.areas (id, parent_id, level, code, name_zh, name_en, polygon) values
  ('00000000-0000-4000-a000-000000000021', '00000000-0000-4000-a000-000000000011', 'community', '120101001001', '滨西社区', 'Binxi Community', '((117.19,39.12),(117.205,39.12),(117.205,39.13),(117.19,39.13))'),
  ('00000000-0000-4000-a000-000000000022', '00000000-0000-4000-a000-000000000011', 'community', '120101001002', '福明社区', 'Fuming Community', '((117.19,39.11),(117.205,39.11),(117.205,39.12),(117.19,39.12))'),
  ('00000000-0000-4000-a000-000000000023', '00000000-0000-4000-a000-000000000012', 'community', '120101002001', '南市社区', 'Nanshi Community', '((117.205,39.12),(117.22,39.12),(117.22,39.13),(117.205,39.13))'),
  ('00000000-0000-4000-a000-000000000024', '00000000-0000-4000-a000-000000000012', 'community', '120101002002', '新兴社区', 'Xinxing Community', '((117.205,39.11),(117.22,39.11),(117.22,39.12),(117.205,39.12))')
on conflict (id) do nothing;

insert into public.areas (id, parent_id, level, code, name_zh, name_en, polygon) values
  ('00000000-0000-4000-a000-000000000031', '00000000-0000-4000-a000-000000000021', 'grid', '120101001001-01', '滨西社区第1网格', 'Binxi Community Grid 1', '((117.19,39.12),(117.1975,39.12),(117.1975,39.13),(117.19,39.13))'),
  ('00000000-0000-4000-a000-000000000032', '00000000-0000-4000-a000-000000000021', 'grid', '120101001001-02', '滨西社区第2网格', 'Binxi Community Grid 2', '((117.1975,39.12),(117.205,39.12),(117.205,39.13),(117.1975,39.13))'),
  ('00000000-0000-4000-a000-000000000033', '00000000-0000-4000-a000-000000000022', 'grid', '120101001002-01', '福明社区第1网格', 'Fuming Community Grid 1', '((117.19,39.11),(117.1975,39.11),(117.1975,39.12),(117.19,39.12))'),
  ('00000000-0000-4000-a000-000000000034', '00000000-0000-4000-a000-000000000022', 'grid', '120101001002-02', '福明社区第2网格', 'Fuming Community Grid 2', '((117.1975,39.11),(117.205,39.11),(117.205,39.12),(117.1975,39.12))'),
  ('00000000-0000-4000-a000-000000000035', '00000000-0000-4000-a000-000000000023', 'grid', '120101002001-01', '南市社区第1网格', 'Nanshi Community Grid 1', '((117.205,39.12),(117.2125,39.12),(117.2125,39.13),(117.205,39.13))'),
  ('00000000-0000-4000-a000-000000000036', '00000000-0000-4000-a000-000000000023', 'grid', '120101002001-02', '南市社区第2网格', 'Nanshi Community Grid 2', '((117.2125,39.12),(117.22,39.12),(117.22,39.13),(117.2125,39.13))'),
  ('00000000-0000-4000-a000-000000000037', '00000000-0000-4000-a000-000000000024', 'grid', '120101002002-01', '新兴社区第1网格', 'Xinxing Community Grid 1', '((117.205,39.11),(117.2125,39.11),(117.2125,39.12),(117.205,39.12))'),
  ('00000000-0000-4000-a000-000000000038', '00000000-0000-4000-a000-000000000024', 'grid', '120101002002-02', '新兴社区第2网格', 'Xinxing Community Grid 2', '((117.2125,39.11),(117.22,39.11),(117.22,39.12),(117.2125,39.12))')
on conflict (id) do nothing;

-- Demo assignments (only where the demo accounts exist, so the file also runs without them):
-- four grid workers serve two grids each and are on duty; the staff account handles the
-- environment department; the supervisor oversees both streets.
insert into public.worker_grids (worker_id, grid_id)
select v.worker_id, v.grid_id
from (values
  ('00000000-0000-4000-8000-000000000201'::uuid, '00000000-0000-4000-a000-000000000031'::uuid),
  ('00000000-0000-4000-8000-000000000201', '00000000-0000-4000-a000-000000000032'),
  ('00000000-0000-4000-8000-000000000202', '00000000-0000-4000-a000-000000000033'),
  ('00000000-0000-4000-8000-000000000202', '00000000-0000-4000-a000-000000000034'),
  ('00000000-0000-4000-8000-000000000203', '00000000-0000-4000-a000-000000000035'),
  ('00000000-0000-4000-8000-000000000203', '00000000-0000-4000-a000-000000000036'),
  ('00000000-0000-4000-8000-000000000204', '00000000-0000-4000-a000-000000000037'),
  ('00000000-0000-4000-8000-000000000204', '00000000-0000-4000-a000-000000000038')
) as v (worker_id, grid_id)
where exists (select 1 from auth.users u where u.id = v.worker_id)
on conflict do nothing;

insert into public.worker_duty (worker_id, on_duty)
select u.id, true from auth.users u
where u.id in ('00000000-0000-4000-8000-000000000201', '00000000-0000-4000-8000-000000000202',
               '00000000-0000-4000-8000-000000000203', '00000000-0000-4000-8000-000000000204')
on conflict do nothing;

insert into public.department_staff (user_id, department_code)
select u.id, 'environment' from auth.users u where u.id = '00000000-0000-4000-8000-000000000401'
on conflict do nothing;

insert into public.supervisor_streets (user_id, street_id)
select u.id, s.street_id from auth.users u
cross join (values ('00000000-0000-4000-a000-000000000011'::uuid), ('00000000-0000-4000-a000-000000000012')) as s (street_id)
where u.id = '00000000-0000-4000-8000-000000000301'
on conflict do nothing;

-- The elderly resident (赵秀英, living alone in Fuming grid 1): elderly mode, home grid and
-- the people to call. Only while her contacts are still empty: later changes are hers.
update public.profiles set
  elderly_mode = true,
  home_area_id = '00000000-0000-4000-a000-000000000033',
  emergency_contacts = '[{"name": "赵明", "phone": "13900000103", "relation": "儿子"},
                         {"name": "李红", "phone": "13900000104", "relation": "邻居"}]'::jsonb
where id = '00000000-0000-4000-8000-000000000103' and emergency_contacts = '[]'::jsonb;

update public.profiles set home_area_id = v.grid_id
from (values ('00000000-0000-4000-8000-000000000101'::uuid, '00000000-0000-4000-a000-000000000031'::uuid),
             ('00000000-0000-4000-8000-000000000102', '00000000-0000-4000-a000-000000000035')) as v (id, grid_id)
where profiles.id = v.id and profiles.home_area_id is null;

-- Sample cases, one or more in every state, made the way the apps make them: each step
-- runs as its actor (JWT claims + role `authenticated`, as the gateway sets them), so
-- dispatch, tasks, case_events and notifications are the real ones. Then each step's
-- rows are dated `hours` ago, so the timelines read like the last few days.
-- Skipped once the first sample case exists, or when a demo account is missing.
do $seed$
declare
  step record;
  claims jsonb;
  t timestamptz;
  shift interval;
  active_before uuid[];
begin
  if exists (select 1 from public.reports where id = '00000000-0000-4000-b000-000000000001')
     or (select count(*) from auth.users where id in (
           '00000000-0000-4000-8000-000000000101', '00000000-0000-4000-8000-000000000102',
           '00000000-0000-4000-8000-000000000103', '00000000-0000-4000-8000-000000000201',
           '00000000-0000-4000-8000-000000000202', '00000000-0000-4000-8000-000000000203',
           '00000000-0000-4000-8000-000000000204', '00000000-0000-4000-8000-000000000401')) < 8 then
    return;
  end if;
  -- Only for the dating below; dispatch's triggers stay on.
  alter table public.case_events disable trigger case_events_append_only;
  alter table public.reports disable trigger reports_touch_updated_at;
  alter table public.tasks disable trigger tasks_touch_updated_at;

  for step in
    select s.n, s.hours, s.actor::uuid as actor, s.action, ('00000000-0000-4000-b000-0000000000' || s.report)::uuid as report,
           s.args::jsonb as args
    from (values
      -- r01 dispatched: a street light, Binxi grid 1 (李强).
      (1, 20.0, '00000000-0000-4000-8000-000000000102', 'file', '01', '{"category": "02.03.001", "lat": 39.1262, "lon": 117.1931, "address": "滨西社区北门外", "description": "小区北门外的路灯连续三个晚上不亮，夜里走路看不清。"}'),
      -- r02 accepted: an overflowing bin, Binxi grid 2 (李强).
      (2, 30.0, '00000000-0000-4000-8000-000000000101', 'file', '02', '{"category": "01.01.002", "lat": 39.1248, "lon": 117.2012, "address": "滨西社区5号楼东侧", "description": "5号楼东侧的垃圾桶已经满了，垃圾堆在地上，有异味。"}'),
      (3, 29.5, '00000000-0000-4000-8000-000000000201', 'accept', '02', '{}'),
      -- r03 in_progress: a pothole, Nanshi grid 1 (孙涛).
      (4, 50.0, '00000000-0000-4000-8000-000000000102', 'file', '03', '{"category": "02.01.001", "lat": 39.1251, "lon": 117.2088, "address": "南市社区荣业大街路口", "description": "路口有个大坑，下雨后积水，电动车经过很危险。"}'),
      (5, 49.0, '00000000-0000-4000-8000-000000000203', 'accept', '03', '{}'),
      (6, 46.0, '00000000-0000-4000-8000-000000000203', 'start', '03', '{}'),
      -- r04 needs_info: broken fitness equipment, Fuming grid 1 (刘芳), asked the elderly reporter.
      (7, 26.0, '00000000-0000-4000-8000-000000000103', 'file', '04', '{"category": "02.05.002", "lat": 39.1152, "lon": 117.1938, "address": "福明社区小花园", "description": "小花园里的健身器材坏了，老人锻炼不安全。"}'),
      (8, 25.0, '00000000-0000-4000-8000-000000000202', 'accept', '04', '{}'),
      (9, 24.0, '00000000-0000-4000-8000-000000000202', 'ask', '04', '{"note": "请问是哪一件器材坏了？方便的话请补充一张照片。"}'),
      -- r05 transferred: street barbecue smoke turns out to be a restaurant's fumes, Nanshi grid 2 (孙涛 -> environment).
      (10, 40.0, '00000000-0000-4000-8000-000000000101', 'file', '05', '{"category": "01.02.007", "lat": 39.1273, "lon": 117.2161, "address": "南市社区食品街", "description": "晚上有人在路边烧烤，烟很大，熏得开不了窗。"}'),
      (11, 39.0, '00000000-0000-4000-8000-000000000203', 'accept', '05', '{}'),
      (12, 36.0, '00000000-0000-4000-8000-000000000203', 'transfer', '05', '{"reason": "现场核实为餐馆排烟，属于餐饮油烟，转环保部门处理。", "to_department": "environment"}'),
      -- r06 resolved: branches over a street light, Xinxing grid 1 (周静).
      (13, 60.0, '00000000-0000-4000-8000-000000000102', 'file', '06', '{"category": "01.03.005", "lat": 39.1147, "lon": 117.2079, "address": "新兴社区西康路", "description": "树枝把路灯和路牌都挡住了。"}'),
      (14, 58.0, '00000000-0000-4000-8000-000000000204', 'accept', '06', '{}'),
      (15, 40.0, '00000000-0000-4000-8000-000000000204', 'start', '06', '{}'),
      (16, 6.0, '00000000-0000-4000-8000-000000000204', 'resolve', '06', '{"note": "已联系园林队修剪遮挡路灯和路牌的树枝。"}'),
      -- r07 closed with a rating: a broken manhole cover, Binxi grid 1 (李强).
      (17, 96.0, '00000000-0000-4000-8000-000000000101', 'file', '07', '{"category": "02.02.002", "lat": 39.1236, "lon": 117.1958, "address": "滨西社区幼儿园门口", "description": "幼儿园门口的井盖松了，踩上去会晃。"}'),
      (18, 95.8, '00000000-0000-4000-8000-000000000201', 'accept', '07', '{}'),
      (19, 95.5, '00000000-0000-4000-8000-000000000201', 'start', '07', '{}'),
      (20, 93.0, '00000000-0000-4000-8000-000000000201', 'resolve', '07', '{"note": "已更换新井盖并加固。"}'),
      (21, 80.0, '00000000-0000-4000-8000-000000000101', 'rate', '07', '{"score": 5, "comment": "处理很快，谢谢网格员！"}'),
      -- r08 rejected: nothing found on site, Fuming grid 2 (刘芳).
      (22, 70.0, '00000000-0000-4000-8000-000000000103', 'file', '08', '{"category": "01.01.001", "lat": 39.1161, "lon": 117.2003, "address": "福明社区3号楼", "description": "楼下堆了很多垃圾。"}'),
      (23, 66.0, '00000000-0000-4000-8000-000000000202', 'reject', '08', '{"reason": "经现场核实，3号楼下没有堆积垃圾，可能已被清运。"}'),
      -- r09 reopened: scooters on the pavement came back, Xinxing grid 2 (周静).
      (24, 110.0, '00000000-0000-4000-8000-000000000101', 'file', '09', '{"category": "03.02.006", "lat": 39.1143, "lon": 117.2170, "address": "新兴社区超市门口", "description": "超市门口人行道上停满了电动车，轮椅过不去。"}'),
      (25, 108.0, '00000000-0000-4000-8000-000000000204', 'accept', '09', '{}'),
      (26, 100.0, '00000000-0000-4000-8000-000000000204', 'resolve', '09', '{"note": "已清理并和超市沟通，划定电动车停放区。"}'),
      (27, 52.0, '00000000-0000-4000-8000-000000000101', 'reopen', '09', '{"note": "第二天又停满了，问题没有解决。"}'),
      -- r10 in_progress in a department: restaurant fumes go straight to environment (吴刚).
      (28, 34.0, '00000000-0000-4000-8000-000000000102', 'file', '10', '{"category": "05.01.003", "lat": 39.1282, "lon": 117.2139, "address": "南市社区食品街12号", "description": "12号餐馆的油烟直接排到楼道里。"}'),
      (29, 30.0, '00000000-0000-4000-8000-000000000401', 'accept', '10', '{}'),
      (30, 28.0, '00000000-0000-4000-8000-000000000401', 'start', '10', '{}'),
      -- r11 dispatched: filed by a grid worker for a resident met on the round, Fuming grid 2 (刘芳).
      (31, 8.0, '00000000-0000-4000-8000-000000000202', 'file', '11', '{"category": "01.01.005", "lat": 39.1128, "lon": 117.2031, "address": "福明社区南侧空地", "description": "居民反映：夜间有人在空地倾倒装修垃圾。", "source": "grid_app"}'),
      -- r12 dispatched to the market regulator's queue: a lift out of order, Fuming grid 1.
      (32, 3.0, '00000000-0000-4000-8000-000000000103', 'file', '12', '{"category": "04.04.002", "lat": 39.1158, "lon": 117.1929, "address": "福明社区7号楼2单元", "description": "7号楼2单元电梯坏了两天，我住9楼，下不了楼。"}')
    ) as s (n, hours, actor, action, report, args)
    order by s.n
  loop
    reset role;
    select jsonb_build_object('sub', u.id, 'role', 'authenticated', 'aud', 'authenticated', 'email', u.email,
                              'phone', u.phone, 'app_metadata', u.raw_app_meta_data,
                              'user_metadata', u.raw_user_meta_data)
      into claims from auth.users u where u.id = step.actor;
    select coalesce(array_agg(k.id), '{}') into active_before from public.tasks k
      where k.report_id = step.report and k.status in ('open', 'accepted', 'in_progress');
    perform set_config('request.jwt.claims', claims::text, true);
    set local role authenticated;
    case step.action
      when 'file' then
        insert into public.reports (id, category_code, description, lat, lon, address, source)
        values (step.report, step.args ->> 'category', step.args ->> 'description', (step.args ->> 'lat')::float8,
                (step.args ->> 'lon')::float8, step.args ->> 'address',
                coalesce(step.args ->> 'source', 'citizen_app')::public.report_source);
      when 'accept' then perform public.accept_report(step.report);
      when 'start' then perform public.start_report(step.report);
      when 'ask' then perform public.request_report_info(step.report, step.args ->> 'note');
      when 'transfer' then perform public.transfer_report(step.report, step.args ->> 'reason', step.args ->> 'to_department');
      when 'resolve' then perform public.resolve_report(step.report, step.args ->> 'note');
      when 'reject' then perform public.reject_report(step.report, step.args ->> 'reason');
      when 'reopen' then perform public.reopen_report(step.report, step.args ->> 'note');
      when 'rate' then perform public.rate_report(step.report, (step.args ->> 'score')::int, step.args ->> 'comment');
    end case;
    reset role;
    perform set_config('request.jwt.claims', '', true);

    -- Date what this step wrote: rows still at the transaction's now() are this step's.
    t := now() - make_interval(secs => step.hours * 3600);
    shift := now() - t;
    -- One second apart within a step, in the order they were written (submitted, dispatched).
    update public.case_events e set created_at = t + make_interval(secs => e.id - f.first)
      from (select min(id) as first from public.case_events where report_id = step.report and created_at = now()) f
      where e.report_id = step.report and e.created_at = now();
    update public.notifications set created_at = t where report_id = step.report and created_at = now();
    update public.ratings set created_at = t where report_id = step.report and created_at = now();
    update public.tasks set updated_at = t, created_at = case when created_at = now() then t else created_at end
      where report_id = step.report and (created_at = now() or id = any(active_before));
    update public.reports set
      created_at = case when created_at = now() then t else created_at end,
      due_at = case when created_at = now() then due_at - shift else due_at end,
      resolved_at = case when resolved_at = now() then t else resolved_at end,
      updated_at = (select max(e.created_at) from public.case_events e where e.report_id = step.report)
      where id = step.report;
  end loop;

  reset role;
  perform set_config('request.jwt.claims', '', true);
  alter table public.case_events enable trigger case_events_append_only;
  alter table public.reports enable trigger reports_touch_updated_at;
  alter table public.tasks enable trigger tasks_touch_updated_at;
end
$seed$;
