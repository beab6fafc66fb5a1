-- Areas: district > street (街道) > community (社区) > grid (网格).
-- A grid has a polygon and every point of the city belongs to exactly one grid
-- (the city's grids must tile it). Demo city data lives in seed.sql, not here.
--
-- Coordinates: core geometric types, x = longitude, y = latitude (WGS-84 degrees),
-- so a polygon is '((lon1,lat1),(lon2,lat2),...)' and a point is point(lon, lat).

-- Types ------------------------------------------------------------------
create type public.area_level as enum ('district', 'street', 'community', 'grid');
comment on type public.area_level is 'Nesting of areas: district > street > community > grid.';

-- Tables -----------------------------------------------------------------
create table public.areas (
  id uuid primary key default gen_random_uuid(),
  parent_id uuid references public.areas (id) on delete restrict,
  level public.area_level not null,
  code text not null unique check (length(code) between 1 and 64),
  name_zh text not null check (length(name_zh) between 1 and 100),
  name_en text not null check (length(name_en) between 1 and 100),
  polygon polygon,
  center point,
  created_at timestamptz not null default now(),
  constraint areas_grid_has_polygon check (level <> 'grid' or polygon is not null),
  constraint areas_parent_by_level check ((level = 'district') = (parent_id is null))
);
comment on table public.areas is 'Administrative areas: district > street > community > grid. Readable by everyone, written by the service role only.';
comment on column public.areas.polygon is 'Boundary as a core polygon in (longitude, latitude) order; required for grids, optional otherwise.';
comment on column public.areas.center is 'A representative point (longitude, latitude); defaults to the polygon''s centre.';
comment on column public.areas.parent_id is 'The area one level up; null only for a district.';

-- Indexes ----------------------------------------------------------------
create index areas_parent_id_idx on public.areas (parent_id);
create index areas_level_idx on public.areas (level);
create index areas_polygon_idx on public.areas using gist (polygon);

-- Functions --------------------------------------------------------------
create function private.check_area_parent() returns trigger
language plpgsql
security definer set search_path = ''
as $$
declare
  parent_level public.area_level;
begin
  if new.parent_id is not null then
    select a.level into parent_level from public.areas a where a.id = new.parent_id;
    if parent_level is null
       or array_position(enum_range(null::public.area_level), parent_level) + 1
          <> array_position(enum_range(null::public.area_level), new.level) then
      raise exception 'area % (%): its parent must be exactly one level up', new.code, new.level
        using errcode = '23514';
    end if;
  end if;
  if new.center is null and new.polygon is not null then
    new.center := point(new.polygon);
  end if;
  return new;
end
$$;
comment on function private.check_area_parent() is 'Areas trigger: the parent is one level up; the centre defaults to the polygon''s centre.';

create function private.grid_for_point(lon double precision, lat double precision) returns uuid
language sql stable
security definer set search_path = ''
as $$
  -- A point on a shared edge lies in both grids: take the first by code, so the answer is one grid.
  select a.id from public.areas a
  where a.level = 'grid' and point(lon, lat) <@ a.polygon
  order by a.code
  limit 1
$$;
comment on function private.grid_for_point(double precision, double precision) is 'The grid whose polygon contains (lon, lat); null outside every grid.';

create function public.grid_at(lat double precision, lon double precision) returns uuid
language sql stable
security definer set search_path = ''
as $$
  select private.grid_for_point(lon, lat)
$$;
comment on function public.grid_at(double precision, double precision) is 'The id of the grid containing the point (latitude, longitude), or null outside the city.';

revoke execute on function private.check_area_parent() from public;
revoke execute on function private.grid_for_point(double precision, double precision) from public;
grant execute on function private.grid_for_point(double precision, double precision) to authenticated, service_role;
revoke execute on function public.grid_at(double precision, double precision) from public;
grant execute on function public.grid_at(double precision, double precision) to anon, authenticated, service_role;

-- Row-level security ------------------------------------------------------
alter table public.areas enable row level security;

create policy "Visitors can read areas" on public.areas for select to anon
  using (true);
create policy "Signed-in people can read areas" on public.areas for select to authenticated
  using (true);

-- Grants -----------------------------------------------------------------
revoke all on public.areas from anon, authenticated;
grant select on public.areas to anon, authenticated;
grant all on public.areas to service_role;

-- Triggers ---------------------------------------------------------------
create trigger areas_check_parent before insert or update on public.areas
  for each row execute function private.check_area_parent();
