-- Field-ready apps: the grid app's SOS banner says where the caller lives.
--
-- profiles.home_address ("3号楼2单元501") is readable only by its owner (RLS on profiles). The
-- responders who may see an SOS already learn the caller's name and phone through sos_contact(alert);
-- it now answers the caller's home address too, for the same people and no one else: a grid
-- worker, department staff, supervisor or admin who can see that alert (private.can_read_sos).
-- Residents are refused (PT403), a responder who cannot see the alert learns nothing (PT404),
-- anon may not call it (42501).

-- Functions --------------------------------------------------------------
drop function public.sos_contact(uuid);  -- its answer gains a column: a new signature

create function public.sos_contact(alert uuid)
returns table (display_name text, phone text, home_address text)
language plpgsql stable
security definer set search_path = ''
as $$
begin
  if private.user_role() is null or private.user_role() not in ('grid_worker', 'dept_staff', 'supervisor', 'admin') then
    raise exception 'only responders may see who called for help' using errcode = 'PT403';
  end if;
  if not private.can_read_sos(alert) then
    raise exception 'SOS alert % not found', alert using errcode = 'PT404';
  end if;
  return query
    select p.display_name, p.phone, p.home_address
    from public.sos_alerts a left join public.profiles p on p.id = a.caller_id
    where a.id = alert;
end
$$;
comment on function public.sos_contact(uuid) is 'Name, phone and home address of whoever raised an SOS, for the responders who can see the alert (to call and find them).';

-- Grants -----------------------------------------------------------------
revoke execute on function public.sos_contact(uuid) from public, anon;
grant execute on function public.sos_contact(uuid) to authenticated, service_role;
