-- Resident app: a free-text home address on the profile.
-- The profile already has home_area_id (the grid), but a resident also needs the
-- building and flat for SOS responders and bills; no geocoder is available, so it is text.
-- The existing policies ("People can read/update their own profile") cover the column;
-- the column-level update grant lets its owner change it.

-- Tables -----------------------------------------------------------------
alter table public.profiles add column home_address text check (length(home_address) <= 300);
comment on column public.profiles.home_address is 'Free-text home address (building, flat), written by the profile''s owner.';

-- Grants -----------------------------------------------------------------
grant update (home_address) on public.profiles to authenticated;
