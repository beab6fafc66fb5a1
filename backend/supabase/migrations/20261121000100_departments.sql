-- Departments: the government departments that handle cases (reference data).
-- Each taxonomy item (public.categories) names the department that handles it.
-- Only the service role writes; anyone may read (the apps show who handles a case).

create table public.departments (
  code text primary key check (code ~ '^[a-z][a-z_]*$'),
  name_zh text not null check (name_zh <> ''),
  name_en text not null check (name_en <> ''),
  phone text check (phone ~ '^[0-9-]+$')
);
comment on table public.departments is 'Government departments that handle cases; reference data, written only by the service role.';
comment on column public.departments.code is 'Stable code used by categories.department_code and by the apps, e.g. city_mgmt.';
comment on column public.departments.name_zh is 'Name in Simplified Chinese, as residents know it.';
comment on column public.departments.name_en is 'Name in English.';
comment on column public.departments.phone is 'The public service hotline where a national one exists (12345 covers every department); null otherwise.';

alter table public.departments enable row level security;

create policy "Anyone can read departments" on public.departments
  for select to anon, authenticated using (true);

-- Supabase's default privileges grant everything to the API roles: keep only reading.
revoke all on table public.departments from anon, authenticated;
grant select on table public.departments to anon, authenticated;
grant all on table public.departments to service_role;

insert into public.departments (code, name_zh, name_en, phone) values
  ('city_mgmt', '城市管理', 'City Management', '12319'),
  ('environment', '生态环境', 'Ecology and Environment', '12369'),
  ('water', '水务', 'Water Affairs', null),
  ('public_security', '公安', 'Public Security', '110'),
  ('market', '市场监管', 'Market Regulation', '12315'),
  ('health', '卫生健康', 'Health', '12320'),
  ('civil_affairs', '民政', 'Civil Affairs', '12349'),
  ('housing', '住房和城乡建设', 'Housing and Urban-Rural Development', '12319'),
  ('transport', '交通运输', 'Transport', '12328');
