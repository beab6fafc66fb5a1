-- Resident app: the elderly mode's text size, one of three steps (MIIT's ageing-friendly
-- spec asks that users can adjust it), kept on the profile like elderly_mode so it
-- follows the person to a new phone or browser. 1 = large, 2 = larger (the default),
-- 3 = largest (main functions at >= 30 px). The app's sizes per step live in
-- citizen_app/theme.py; this check is the authority on which steps exist.
-- The existing policies ("People can read/update their own profile") cover the column;
-- the column-level update grant lets its owner change it.

-- Tables -----------------------------------------------------------------
alter table public.profiles add column text_size smallint not null default 2
  constraint profiles_text_size_step check (text_size between 1 and 3);
comment on column public.profiles.text_size is
  'Elderly mode text size step: 1 large, 2 larger (default), 3 largest; written by the profile''s owner.';

-- Grants -----------------------------------------------------------------
grant update (text_size) on public.profiles to authenticated;
