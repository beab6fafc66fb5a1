-- People: a profile per account, and who works where.
-- A person's role comes from the JWT's app_metadata.role, which only an admin
-- (service role, auth admin API) sets; profiles.role mirrors it read-only.
-- Assignments: grid workers to grids (and their duty), department staff to
-- departments, supervisors to streets. Only the service role assigns.

-- Tables -----------------------------------------------------------------
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text check (length(display_name) <= 100),
  phone text check (length(phone) <= 32),
  locale text not null default 'zh-CN' check (locale in ('zh-CN', 'en')),
  elderly_mode boolean not null default false,
  home_area_id uuid references public.areas (id) on delete set null,
  emergency_contacts jsonb not null default '[]'::jsonb check (jsonb_typeof(emergency_contacts) = 'array'),
  role text not null default 'citizen' check (role in ('citizen', 'grid_worker', 'dept_staff', 'supervisor', 'admin')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.profiles is 'One per account, created when the account is. People read and change their own (not id or role).';
comment on column public.profiles.role is 'Read-only mirror of auth.users app_metadata.role (kept by a trigger); policies read the role from the JWT.';
comment on column public.profiles.emergency_contacts is 'JSON array of {name, phone, relation}.';

create table public.worker_grids (
  worker_id uuid not null references auth.users (id) on delete cascade,
  grid_id uuid not null references public.areas (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (worker_id, grid_id)
);
comment on table public.worker_grids is 'Which grids a grid worker serves (one or more). Written by the service role.';

create table public.worker_duty (
  worker_id uuid primary key references auth.users (id) on delete cascade,
  on_duty boolean not null default false,
  since timestamptz not null default now()
);
comment on table public.worker_duty is 'Whether a grid worker is on duty, since when. Workers switch only their own.';

create table public.department_staff (
  user_id uuid not null references auth.users (id) on delete cascade,
  department_code text not null references public.departments (code) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (user_id, department_code)
);
comment on table public.department_staff is 'Which department(s) a dept_staff account handles cases for. Written by the service role.';

create table public.supervisor_streets (
  user_id uuid not null references auth.users (id) on delete cascade,
  street_id uuid not null references public.areas (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (user_id, street_id)
);
comment on table public.supervisor_streets is 'Which street(s) a supervisor oversees. Written by the service role.';

-- Indexes ----------------------------------------------------------------
create index profiles_home_area_id_idx on public.profiles (home_area_id);
create index worker_grids_grid_id_idx on public.worker_grids (grid_id);
create index department_staff_department_code_idx on public.department_staff (department_code);
create index supervisor_streets_street_id_idx on public.supervisor_streets (street_id);

-- Functions --------------------------------------------------------------
create function private.user_role() returns text
language sql stable
security definer set search_path = ''
as $$
  -- Not named current_role: that is an SQL keyword.
  select case
    when auth.uid() is null then null
    when auth.jwt() -> 'app_metadata' ->> 'role' in ('citizen', 'grid_worker', 'dept_staff', 'supervisor', 'admin')
      then auth.jwt() -> 'app_metadata' ->> 'role'
    else 'citizen'
  end
$$;
comment on function private.user_role() is 'The caller''s role from the JWT''s app_metadata.role (citizen when missing or unknown; null for anon).';

create function private.worker_grid_ids() returns uuid[]
language sql stable
security definer set search_path = ''
as $$
  select coalesce(array_agg(wg.grid_id), '{}') from public.worker_grids wg
  where wg.worker_id = auth.uid() and private.user_role() = 'grid_worker'
$$;
comment on function private.worker_grid_ids() is 'Grids the calling grid worker serves (empty for anyone else).';

create function private.is_worker_of_grid(grid uuid) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select grid = any(private.worker_grid_ids())
$$;
comment on function private.is_worker_of_grid(uuid) is 'Whether the caller is a grid worker assigned to that grid.';

create function private.staff_departments() returns text[]
language sql stable
security definer set search_path = ''
as $$
  select coalesce(array_agg(ds.department_code), '{}') from public.department_staff ds
  where ds.user_id = auth.uid() and private.user_role() = 'dept_staff'
$$;
comment on function private.staff_departments() is 'Departments the calling dept_staff handles (empty for anyone else).';

create function private.supervised_street_ids() returns uuid[]
language sql stable
security definer set search_path = ''
as $$
  select coalesce(array_agg(ss.street_id), '{}') from public.supervisor_streets ss
  where ss.user_id = auth.uid() and private.user_role() = 'supervisor'
$$;
comment on function private.supervised_street_ids() is 'Streets the calling supervisor oversees (empty for anyone else).';

create function private.street_of(area uuid) returns uuid
language sql stable
security definer set search_path = ''
as $$
  with recursive up as (
    select a.id, a.parent_id, a.level from public.areas a where a.id = area
    union all
    select p.id, p.parent_id, p.level from public.areas p join up on p.id = up.parent_id
  )
  select id from up where level = 'street' limit 1
$$;
comment on function private.street_of(uuid) is 'The street an area lies in (itself for a street; null for a district).';

create function private.handle_new_user() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  insert into public.profiles (id, display_name, phone, role)
  values (new.id,
          left(new.raw_user_meta_data ->> 'display_name', 100),
          left(new.phone, 32),
          case when new.raw_app_meta_data ->> 'role' in ('citizen', 'grid_worker', 'dept_staff', 'supervisor', 'admin')
               then new.raw_app_meta_data ->> 'role' else 'citizen' end)
  on conflict (id) do nothing;
  return new;
end
$$;
comment on function private.handle_new_user() is 'auth.users trigger: every new account gets a profile.';

create function private.mirror_user_role() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  update public.profiles
  set role = case when new.raw_app_meta_data ->> 'role' in ('citizen', 'grid_worker', 'dept_staff', 'supervisor', 'admin')
                  then new.raw_app_meta_data ->> 'role' else 'citizen' end
  where id = new.id;
  return new;
end
$$;
comment on function private.mirror_user_role() is 'auth.users trigger: keeps profiles.role equal to app_metadata.role.';

create function private.touch_updated_at() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function private.touch_updated_at() is 'Sets updated_at on every update.';

create function private.touch_duty_since() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.on_duty is distinct from old.on_duty then
    new.since := now();
  else
    new.since := old.since;
  end if;
  return new;
end
$$;
comment on function private.touch_duty_since() is 'worker_duty trigger: `since` is when on_duty last changed, never what the client sent.';

create function public.set_my_duty(on_duty boolean) returns public.worker_duty
language plpgsql
security definer set search_path = ''
as $$
declare
  result public.worker_duty;
begin
  if private.user_role() is distinct from 'grid_worker' then
    raise exception 'only grid workers go on or off duty' using errcode = 'PT403';
  end if;
  insert into public.worker_duty as d (worker_id, on_duty) values (auth.uid(), set_my_duty.on_duty)
  on conflict (worker_id) do update set on_duty = excluded.on_duty
  returning d.* into result;
  return result;
end
$$;
comment on function public.set_my_duty(boolean) is 'A grid worker goes on or off duty.';

revoke execute on function private.user_role(), private.worker_grid_ids(), private.is_worker_of_grid(uuid),
  private.staff_departments(), private.supervised_street_ids(), private.street_of(uuid) from public;
grant execute on function private.user_role(), private.worker_grid_ids(), private.is_worker_of_grid(uuid),
  private.staff_departments(), private.supervised_street_ids(), private.street_of(uuid) to authenticated, service_role;
revoke execute on function private.handle_new_user(), private.mirror_user_role(), private.touch_updated_at(),
  private.touch_duty_since() from public;
revoke execute on function public.set_my_duty(boolean) from public, anon;
grant execute on function public.set_my_duty(boolean) to authenticated, service_role;

-- Row-level security ------------------------------------------------------
alter table public.profiles enable row level security;
alter table public.worker_grids enable row level security;
alter table public.worker_duty enable row level security;
alter table public.department_staff enable row level security;
alter table public.supervisor_streets enable row level security;

create policy "People can read their own profile" on public.profiles for select to authenticated
  using (id = (select auth.uid()));
create policy "People can update their own profile" on public.profiles for update to authenticated
  using (id = (select auth.uid())) with check (id = (select auth.uid()));

create policy "Grid workers can read their own grid assignments" on public.worker_grids for select to authenticated
  using (worker_id = (select auth.uid()));
create policy "Supervisors can read grid assignments in their streets" on public.worker_grids for select to authenticated
  using (private.street_of(grid_id) = any((select private.supervised_street_ids())::uuid[]));

create policy "Grid workers can read their own duty" on public.worker_duty for select to authenticated
  using (worker_id = (select auth.uid()));
create policy "Grid workers can start their own duty record" on public.worker_duty for insert to authenticated
  with check (worker_id = (select auth.uid()) and (select private.user_role()) = 'grid_worker');
create policy "Grid workers can switch their own duty" on public.worker_duty for update to authenticated
  using (worker_id = (select auth.uid()) and (select private.user_role()) = 'grid_worker')
  with check (worker_id = (select auth.uid()));

create policy "Department staff can read their own assignments" on public.department_staff for select to authenticated
  using (user_id = (select auth.uid()));

create policy "Supervisors can read their own streets" on public.supervisor_streets for select to authenticated
  using (user_id = (select auth.uid()));

-- Grants -----------------------------------------------------------------
revoke all on public.profiles, public.worker_grids, public.worker_duty, public.department_staff,
  public.supervisor_streets from anon, authenticated;
-- Anon may select but no policy lets it see a row: reads answer empty, as for anyone denied.
grant select on public.profiles, public.worker_grids, public.worker_duty, public.department_staff,
  public.supervisor_streets to anon, authenticated;
grant update (display_name, phone, locale, elderly_mode, home_area_id, emergency_contacts)
  on public.profiles to authenticated;
grant insert (worker_id, on_duty), update (on_duty) on public.worker_duty to authenticated;
grant all on public.profiles, public.worker_grids, public.worker_duty, public.department_staff,
  public.supervisor_streets to service_role;

-- Triggers ---------------------------------------------------------------
create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.handle_new_user();
create trigger on_auth_user_role_changed after update of raw_app_meta_data on auth.users
  for each row execute function private.mirror_user_role();
create trigger profiles_touch_updated_at before update on public.profiles
  for each row execute function private.touch_updated_at();
create trigger worker_duty_touch_since before insert or update on public.worker_duty
  for each row execute function private.touch_duty_since();

-- Accounts that existed before this migration get their profile too.
insert into public.profiles (id, display_name, phone, role)
select u.id, left(u.raw_user_meta_data ->> 'display_name', 100), left(u.phone, 32),
       case when u.raw_app_meta_data ->> 'role' in ('citizen', 'grid_worker', 'dept_staff', 'supervisor', 'admin')
            then u.raw_app_meta_data ->> 'role' else 'citizen' end
from auth.users u
on conflict (id) do nothing;
