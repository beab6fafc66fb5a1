-- Care watch demo: three residents living alone in the demo grids, with their meters and
-- 30 days of hourly readings ending at the hour the seed runs (times relative to now(), so a
-- scan right after `make run` has something to find):
--   赵秀英 (Fuming grid 1, the demo elderly account): an ordinary routine, no alert;
--   张桂兰 (Binxi grid 1): no water or gas for the last 20 hours -> inactivity;
--   王德明 (Nanshi grid 1): the gas has been burning for the last 3 hours -> continuous use.
-- Readings are deterministic (no random()), so every run of the seed writes the same shapes.
-- Idempotent: fixed ids, `on conflict do nothing`.

insert into public.care_subjects (id, profile_id, name, phone, address, grid_id, family_contacts, consent_at, last_visit_at)
select v.id, (select u.id from auth.users u where u.id = v.profile_id), v.name, v.phone, v.address, v.grid_id,
       v.contacts::jsonb, v.consent_at::date, now() - v.visited
from (values
  ('00000000-0000-4000-c000-000000000001'::uuid, '00000000-0000-4000-8000-000000000103'::uuid, '赵秀英', '13800000103',
   '福明社区 3号楼 2单元 401', '00000000-0000-4000-a000-000000000033'::uuid,
   '[{"name": "赵明", "phone": "13900000103", "relation": "儿子"}, {"name": "李红", "phone": "13900000104", "relation": "邻居"}]',
   '2026-09-01', interval '6 days'),
  ('00000000-0000-4000-c000-000000000002', null, '张桂兰', '13800000111',
   '滨西社区 7号楼 1单元 302', '00000000-0000-4000-a000-000000000031',
   '[{"name": "张伟", "phone": "13900000111", "relation": "女儿"}]', '2026-08-15', interval '12 days'),
  ('00000000-0000-4000-c000-000000000003', null, '王德明', '13800000112',
   '南市社区 12号楼 3单元 101', '00000000-0000-4000-a000-000000000035',
   '[{"name": "王静", "phone": "13900000112", "relation": "女儿"}, {"name": "社区医生", "phone": "13900000113", "relation": "医生"}]',
   '2026-10-01', interval '3 days')
) as v (id, profile_id, name, phone, address, grid_id, contacts, consent_at, visited)
on conflict (id) do nothing;

insert into public.meters (id, subject_id, kind)
select s.code || '-' || k.suffix, s.id, k.kind::public.meter_kind
from (values ('00000000-0000-4000-c000-000000000001'::uuid, 'TJ-0001'),
             ('00000000-0000-4000-c000-000000000002', 'TJ-0002'),
             ('00000000-0000-4000-c000-000000000003', 'TJ-0003')) as s (id, code)
cross join (values ('W', 'water'), ('E', 'electricity'), ('G', 'gas')) as k (suffix, kind)
on conflict (id) do nothing;

-- One reading per meter and hour. `h` counts hours back from the current hour; `lh` is the
-- local hour of day in Beijing time. Awake 6:00-21:00: water most hours, gas at meals.
insert into public.meter_readings (meter_id, read_at, value)
select m.id, t.read_at,
  case
    -- 张桂兰: silent for the last 20 hours (fridge only on electricity).
    when m.subject_id = '00000000-0000-4000-c000-000000000002' and t.h < 20 and m.kind <> 'electricity' then 0
    when m.subject_id = '00000000-0000-4000-c000-000000000002' and t.h < 20 then 0.08
    -- 王德明: the stove left on for the last 3 hours.
    when m.subject_id = '00000000-0000-4000-c000-000000000003' and t.h < 3 and m.kind = 'gas' then 0.42
    when m.kind = 'water' then case when t.lh between 6 and 21 and (t.lh * 7 + t.d * 3) % 5 <> 0
                                    then 6 + (t.lh * 13 + t.d * 7) % 17 else 0 end
    when m.kind = 'gas' then case when t.lh in (7, 11, 18) then 0.12 + ((t.lh + t.d) % 4) * 0.03 else 0 end
    else 0.08 + case when t.lh between 6 and 21 then 0.15 + ((t.lh * 5 + t.d) % 6) * 0.05 else 0 end
  end
from public.meters m
cross join lateral (
  select h, read_at,
         extract(hour from (read_at - interval '1 hour') at time zone 'Asia/Shanghai')::int as lh,
         extract(doy from (read_at - interval '1 hour') at time zone 'Asia/Shanghai')::int as d
  from generate_series(0, 30 * 24 - 1) as h,
       lateral (select date_trunc('hour', now()) - make_interval(hours => h) as read_at) as r
) as t
where m.id like 'TJ-000_-_'
on conflict (meter_id, read_at) do nothing;
