-- Storage: the buckets the apps use and who may do what in them.
--
-- report-photos (private, 10 MiB, JPEG/PNG/WebP): a signed-in person uploads only under
--   a folder named by their own id (`<uid>/...`). A photo is read by its uploader, and by
--   anyone who can see a report that carries it: in `photos` when it lies in the reporter's
--   own folder, in `resolution_photos` when it lies in the folder of someone who resolved
--   that case. (A path written into a report does not by itself open someone else's photo.)
--   Nobody replaces a photo; the uploader deletes their own photo only while no report
--   carries it. The service role (jobs) bypasses all of this.
-- avatars (public, 2 MiB, JPEG/PNG/WebP): everyone reads; people add, replace and delete
--   only under their own `<uid>/...`.

-- Indexes ----------------------------------------------------------------
create index reports_photos_idx on public.reports using gin (photos);
create index reports_resolution_photos_idx on public.reports using gin (resolution_photos);
comment on column public.reports.photos is 'Storage object names in the report-photos bucket (<reporter uid>/...), at most 9.';

-- Functions --------------------------------------------------------------
create function private.can_read_report_photo(object_name text) returns boolean
language sql stable
security definer set search_path = ''
as $$
  -- Security definer to read reports and case_events whatever their policies; the
  -- visibility itself is the caller's: can_read_report reads the caller's JWT claims.
  select exists (
    select 1 from public.reports r
    where r.photos @> array[object_name]
      and (storage.foldername(object_name))[1] = r.reporter_id::text
      and private.can_read_report(r.id))
  or exists (
    select 1 from public.reports r
    where r.resolution_photos @> array[object_name]
      and exists (select 1 from public.case_events e
                  where e.report_id = r.id and e.to_status = 'resolved'
                    and e.actor_id::text = (storage.foldername(object_name))[1])
      and private.can_read_report(r.id))
$$;
comment on function private.can_read_report_photo(text) is 'Whether the caller may see a report-photos object because a report they can see carries it (as the reporter''s photo or its resolver''s after-photo).';

create function private.is_attached_report_photo(object_name text) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select exists (select 1 from public.reports r
                 where r.photos @> array[object_name] or r.resolution_photos @> array[object_name])
$$;
comment on function private.is_attached_report_photo(text) is 'Whether any report (visible to the caller or not) carries that report-photos object.';

revoke execute on function private.can_read_report_photo(text), private.is_attached_report_photo(text) from public;
grant execute on function private.can_read_report_photo(text), private.is_attached_report_photo(text)
  to authenticated, service_role;

-- Buckets ----------------------------------------------------------------
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types) values
  ('report-photos', 'report-photos', false, 10485760, array['image/jpeg', 'image/png', 'image/webp']),
  ('avatars', 'avatars', true, 2097152, array['image/jpeg', 'image/png', 'image/webp'])
on conflict (id) do nothing;

-- Policies ---------------------------------------------------------------
create policy "People can upload report photos into their own folder" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'report-photos' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy "People can read the report photos they uploaded" on storage.objects
  for select to authenticated
  using (bucket_id = 'report-photos' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy "People can read the photos of reports they can see" on storage.objects
  for select to authenticated
  using (bucket_id = 'report-photos' and private.can_read_report_photo(name));
create policy "People can delete their own report photos no report carries" on storage.objects
  for delete to authenticated
  using (bucket_id = 'report-photos' and (storage.foldername(name))[1] = (select auth.uid())::text
         and not private.is_attached_report_photo(name));

create policy "Anyone can read avatars" on storage.objects
  for select to anon, authenticated
  using (bucket_id = 'avatars');
create policy "People can upload an avatar into their own folder" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy "People can replace their own avatar" on storage.objects
  for update to authenticated
  using (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text)
  with check (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy "People can delete their own avatar" on storage.objects
  for delete to authenticated
  using (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text);
