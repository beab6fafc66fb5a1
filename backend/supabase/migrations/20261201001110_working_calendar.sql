-- Working days: China's official calendar (public holidays off, some weekend days working: 调休),
-- the base of every deadline counted in working days (0-1130).
--   * public.calendar_years: the years whose official list is loaded (from the kept package
--     chinese-calendar by 20261201001120_calendar_seed.sql, or by an admin with
--     `cityloop calendar load`). Any other year is provisional: Monday to Friday are working days
--     except the fixed-date holidays (1 January, 1-2 May, 1-3 October); the lunar holidays
--     (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) are unknown until the State Council
--     publishes the year and an admin loads it.
--   * public.calendar_days: for official years, the days that are not what the week says:
--     holidays (also those on a weekend, for their name) and adjusted working days.
--   * private.calendar_day(on_day) -> (is_working_day, provisional, name): the one rule.
--   * private.add_working_days(received, n): the end of the n-th working day after the day of
--     `received`, city time (the start of the next day, exclusive: a deadline is "before").
--   * load_calendar_year(year, days, source): service role only; replaces a year's list.
-- City time is Asia/Shanghai (private.city_time_zone), the zone of the official calendar.

-- Tables -----------------------------------------------------------------
create table public.calendar_years (
  year integer primary key check (year between 2000 and 2200),
  source text not null check (length(source) between 1 and 200),
  loaded_at timestamptz not null default now()
);
comment on table public.calendar_years is 'Years whose official calendar is loaded; a year without a row is provisional (weekends and fixed-date holidays). Readable by everyone, written by load_calendar_year.';
comment on column public.calendar_years.source is 'Where the list came from, e.g. chinese-calendar 1.11.0 or the State Council notice.';

create table public.calendar_days (
  day date primary key,
  year integer not null generated always as (extract(year from day)::integer) stored
    references public.calendar_years (year) on delete cascade,
  is_working_day boolean not null,
  name text check (length(name) between 1 and 100),
  constraint calendar_days_holidays_named check (is_working_day or name is not null)
);
comment on table public.calendar_days is 'Days of official years that differ from the week: holidays (is_working_day false, named) and adjusted working days (调休, true). Other days follow the week.';

-- Indexes ----------------------------------------------------------------
create index calendar_days_year_idx on public.calendar_days (year);

-- Functions --------------------------------------------------------------
create function private.city_time_zone() returns text
language sql immutable
as $$
  select 'Asia/Shanghai'
$$;
comment on function private.city_time_zone() is 'The zone of the official calendar: dates of deadlines and case numbers are counted in it.';

create function private.calendar_day(on_day date)
returns table (is_working_day boolean, provisional boolean, name text)
language sql stable
security definer set search_path = ''
as $$
  select case
           when y.year is not null then coalesce(d.is_working_day, extract(isodow from on_day) < 6)
           else extract(isodow from on_day) < 6
                and (extract(month from on_day), extract(day from on_day)) not in ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))
         end,
         y.year is null,
         case when y.year is not null then d.name
              when (extract(month from on_day), extract(day from on_day)) in ((1, 1)) then 'New Year''s Day'
              when (extract(month from on_day), extract(day from on_day)) in ((5, 1), (5, 2)) then 'Labour Day'
              when (extract(month from on_day), extract(day from on_day)) in ((10, 1), (10, 2), (10, 3)) then 'National Day'
         end
  from (select 1) one
  left join public.calendar_years y on y.year = extract(year from on_day)::integer
  left join public.calendar_days d on d.day = on_day
$$;
comment on function private.calendar_day(date) is 'Whether a day is a working day, whether that rests on a provisional calendar (its year not loaded), and the holiday''s name.';

create function private.add_working_days(received timestamptz, n integer) returns timestamptz
language sql stable
security definer set search_path = ''
as $$
  select ((w.day + 1)::timestamp) at time zone private.city_time_zone()
  from (select g.day::date as day, row_number() over (order by g.day) as k
        from generate_series((received at time zone private.city_time_zone())::date + 1,
                             (received at time zone private.city_time_zone())::date + n * 3 + 40,
                             interval '1 day') as g(day)
        where (select c.is_working_day from private.calendar_day(g.day::date) c)) w
  where w.k = n
$$;
comment on function private.add_working_days(timestamptz, integer) is 'The end of the n-th working day after the (city-time) day of received: the start of the next day in city time.';

create function public.load_calendar_year(year integer, days jsonb, source text) returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  bad text;
  loaded integer;
begin
  if not private.is_service() then
    raise exception 'only an administrator loads the official calendar' using errcode = 'PT403';
  end if;
  if year is null or year not between 2000 and 2200 then
    raise exception 'the year must be between 2000 and 2200' using errcode = 'PT400';
  end if;
  if source is null or length(btrim(source)) not between 1 and 200 then
    raise exception 'the source is required (at most 200 characters)' using errcode = 'PT400';
  end if;
  if days is null or jsonb_typeof(days) <> 'array' or jsonb_array_length(days) not between 1 and 366 then
    raise exception 'days must be a JSON array of 1 to 366 days' using errcode = 'PT400';
  end if;
  select e::text into bad from jsonb_array_elements(days) e
  where jsonb_typeof(e) <> 'object' or jsonb_typeof(e -> 'is_working_day') is distinct from 'boolean'
     or coalesce(e ->> 'day', '') !~ '^\d{4}-\d{2}-\d{2}$'
     or (e ->> 'name' is not null and length(e ->> 'name') not between 1 and 100)
     or (e -> 'is_working_day' = 'false'::jsonb and e ->> 'name' is null)
  limit 1;
  if bad is not null then
    raise exception 'bad day %: each day is {"day": "YYYY-MM-DD", "is_working_day": true|false, "name": "..."} (holidays named)', bad
      using errcode = 'PT400';
  end if;
  begin
    select e ->> 'day' into bad from jsonb_array_elements(days) e
    where extract(year from (e ->> 'day')::date) <> load_calendar_year.year limit 1;
  exception when datetime_field_overflow or invalid_datetime_format then
    raise exception 'days holds a date that does not exist' using errcode = 'PT400';
  end;
  if bad is not null then
    raise exception 'day % is not in %', bad, year using errcode = 'PT400';
  end if;
  if (select count(distinct e ->> 'day') from jsonb_array_elements(days) e) <> jsonb_array_length(days) then
    raise exception 'a day is listed twice' using errcode = 'PT400';
  end if;

  insert into public.calendar_years as y (year, source) values (load_calendar_year.year, btrim(load_calendar_year.source))
  on conflict on constraint calendar_years_pkey do update set source = excluded.source, loaded_at = now();
  delete from public.calendar_days d where d.year = load_calendar_year.year;
  insert into public.calendar_days (day, is_working_day, name)
  select (e ->> 'day')::date, (e ->> 'is_working_day')::boolean, e ->> 'name' from jsonb_array_elements(days) e;
  get diagnostics loaded = row_count;
  return jsonb_build_object('year', year, 'days', loaded, 'provisional', false);
end
$$;
comment on function public.load_calendar_year(integer, jsonb, text) is 'Loads a year''s official calendar (service role: `cityloop calendar load`): its holidays and adjusted working days replace what the year had; the year is no longer provisional.';

revoke execute on function private.calendar_day(date), private.add_working_days(timestamptz, integer) from public;
revoke execute on function public.load_calendar_year(integer, jsonb, text) from public, anon, authenticated;
grant execute on function public.load_calendar_year(integer, jsonb, text) to service_role;

-- Row-level security ------------------------------------------------------
alter table public.calendar_years enable row level security;
alter table public.calendar_days enable row level security;

create policy "Everyone can read which calendar years are official" on public.calendar_years for select
  to anon, authenticated using (true);
create policy "Everyone can read the official calendar days" on public.calendar_days for select
  to anon, authenticated using (true);

-- Grants -----------------------------------------------------------------
revoke all on public.calendar_years, public.calendar_days from anon, authenticated;
grant select on public.calendar_years, public.calendar_days to anon, authenticated;
grant all on public.calendar_years, public.calendar_days to service_role;
