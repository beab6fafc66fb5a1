-- Demo data for the local stack (`cityloop db reset`, first `make run`).
-- Reference data the product needs lives in migrations; only demo content belongs here.
-- Demo accounts are created before this file runs (backend/supabase/demo_users.json).
-- Every insert is idempotent (fixed ids, `on conflict do nothing`).

-- The demo city: a Tianjin-like district, 2 streets, 4 communities, 8 grids tiling it.
-- Polygons are (longitude, latitude). The district spans lon 117.19-117.22, lat 39.11-39.13:
-- streets split it west/east at lon 117.205, communities north/south at lat 39.12,
-- grids split each community west/east at its middle longitude.
insert into public.areas (id, parent_id, level, code, name_zh, name_en, polygon) values
  ('00000000-0000-4000-a000-000000000001', null, 'district', '120101', '和平区', 'Heping District', '((117.19,39.11),(117.22,39.11),(117.22,39.13),(117.19,39.13))')
on conflict (id) do nothing;

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

-- Demo assignments (only where the demo accounts exist): the demo grid worker serves
-- Binxi grid 1 and is on duty; the demo supervisor oversees Quanyechang Street.
insert into public.worker_grids (worker_id, grid_id)
select '00000000-0000-4000-8000-000000000201', '00000000-0000-4000-a000-000000000031'
where exists (select 1 from auth.users where id = '00000000-0000-4000-8000-000000000201')
on conflict do nothing;

insert into public.worker_duty (worker_id, on_duty)
select '00000000-0000-4000-8000-000000000201', true
where exists (select 1 from auth.users where id = '00000000-0000-4000-8000-000000000201')
on conflict do nothing;

insert into public.supervisor_streets (user_id, street_id)
select '00000000-0000-4000-8000-000000000301', '00000000-0000-4000-a000-000000000011'
where exists (select 1 from auth.users where id = '00000000-0000-4000-8000-000000000301')
on conflict do nothing;
