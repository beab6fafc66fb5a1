-- SOS to the caller's emergency contacts. An SOS already goes to the grid's on-duty
-- workers (20261121000700_sos.sql); here it also reaches the people the caller listed
-- in profiles.emergency_contacts, but only those who own an account whose phone number
-- was VERIFIED by Auth (auth.users.phone with phone_confirmed_at set). profiles.phone is
-- typed in by anyone and never checked: matching on it would let a stranger claim a
-- number and receive the caller's location.
--
--   raise: a BEFORE INSERT trigger on sos_alerts records the matching accounts in
--          contact_ids (so raise_sos returns them); an AFTER INSERT trigger on the raise
--          event (sos_events, from_status null) notifies each of them and appends one event
--          "contacts notified: N of M", after the raise event in the timeline. Contacts
--          without a verified account are counted, not messaged (no SMS gateway here).
--   later: every status change (acknowledged, on the way, resolved, cancelled) is told
--          to the contacts as well, with the responder's name.
--   read:  a notified contact may read the alert, its location trail and its timeline;
--          nothing lets them change it (the RPCs check can_read_sos, which excludes them).

-- Tables -----------------------------------------------------------------
alter table public.sos_alerts add column contact_ids uuid[] not null default '{}';
comment on column public.sos_alerts.contact_ids is 'Accounts of the caller''s emergency contacts, matched by a verified phone number when raised; they are told every change and may read the SOS, never change it.';

-- Indexes ----------------------------------------------------------------
create index sos_alerts_contact_ids_idx on public.sos_alerts using gin (contact_ids);

-- Functions --------------------------------------------------------------
create function private.phone_digits(phone text) returns text
language sql immutable
set search_path = ''
as $$
  select nullif(case when d ~ '^0086[0-9]{11}$' then substr(d, 5)
                     when d ~ '^86[0-9]{11}$' then substr(d, 3)
                     else d end, '')
  from (select regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') as d) digits
$$;
comment on function private.phone_digits(text) is 'A phone number as digits only, a mainland number without its country code (+86, 0086): "+86 138-0000-0001" -> "13800000001".';

create function private.verified_contact_accounts(contacts jsonb, caller uuid) returns uuid[]
language sql stable
security definer set search_path = ''
as $$
  -- Equality on the stored forms of the number (with and without 86) keeps Auth's phone index usable.
  select coalesce(array_agg(distinct u.id), '{}')
  from jsonb_array_elements(case when jsonb_typeof(contacts) = 'array' then contacts else '[]'::jsonb end) c
  cross join lateral (select private.phone_digits(c ->> 'phone') as d) n
  join auth.users u
    on u.phone = any(array[n.d, '+' || n.d]
                     || case when n.d ~ '^1[0-9]{10}$' then array['86' || n.d, '+86' || n.d] else '{}'::text[] end)
  where n.d is not null
    and u.phone_confirmed_at is not null
    and u.deleted_at is null
    and u.id is distinct from caller
$$;
comment on function private.verified_contact_accounts(jsonb, uuid) is 'Accounts whose verified phone number is one of the emergency contacts'' numbers, the caller excluded.';

create function private.sos_contact_caller_name(caller uuid) returns text
language sql stable
security definer set search_path = ''
as $$
  select nullif(btrim(p.display_name), '') from public.profiles p where p.id = caller
$$;
comment on function private.sos_contact_caller_name(uuid) is 'The caller''s display name for the messages to their contacts (null when they have none).';

create function private.find_sos_contacts() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  new.contact_ids := private.verified_contact_accounts(new.emergency_contacts, new.caller_id);
  return new;
end
$$;
comment on function private.find_sos_contacts() is 'Trigger: records on a new SOS the accounts of the caller''s emergency contacts (verified phone only).';

create function private.tell_sos_contacts_of_raise() returns trigger
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts;
  listed integer;
  who text;
  recipient uuid;
begin
  select * into a from public.sos_alerts s where s.id = new.alert_id;
  listed := jsonb_array_length(a.emergency_contacts);
  if listed = 0 then
    return null;  -- nobody listed: nothing to tell, no event
  end if;
  who := private.sos_contact_caller_name(a.caller_id);
  foreach recipient in array a.contact_ids loop
    perform private.notify_sos(recipient, 'sos_contact_raised',
                               coalesce(who, '您的家人') || '发出了紧急求助，位置请在应用内查看',
                               coalesce(who, 'Your contact') || ' called for help (SOS): see the location in the app',
                               a.id, jsonb_build_object('status', a.status, 'caller_name', who,
                                                        'lat', a.lat, 'lon', a.lon, 'note', a.note));
  end loop;
  insert into public.sos_events (alert_id, actor_id, actor_role, from_status, to_status, escalation_level, note, payload)
  values (a.id, null, 'system', a.status, a.status, a.escalation_level,
          format('contacts notified: %s of %s (contacts without a verified account are not messaged: no SMS gateway)',
                 cardinality(a.contact_ids), listed),
          jsonb_build_object('contacts_notified', cardinality(a.contact_ids), 'contacts_listed', listed,
                             'contact_ids', to_jsonb(a.contact_ids)));
  return null;
end
$$;
comment on function private.tell_sos_contacts_of_raise() is 'Trigger on the raise event: notifies the contacts with a verified account and records "contacts notified: N of M".';

create function private.tell_sos_contacts_of_change() returns trigger
language plpgsql
security definer set search_path = ''
as $$
declare
  who text := private.sos_contact_caller_name(new.caller_id);
  zh_who text := coalesce(who, '您的家人');
  en_who text := coalesce(who, 'Your contact');
  responder text := nullif(btrim(new.acknowledged_by_name), '');
  title_zh text;
  title_en text;
  recipient uuid;
begin
  case new.status
    when 'acknowledged' then
      title_zh := zh_who || '的求助已由' || coalesce(responder, '网格员') || '响应';
      title_en := en_who || '''s SOS was acknowledged by ' || coalesce(responder, 'a grid worker');
    when 'on_the_way' then
      title_zh := coalesce(responder, '救助人员') || '正在赶往' || zh_who || '身边';
      title_en := coalesce(responder, 'Help') || ' is on the way to ' || en_who;
    when 'resolved' then
      title_zh := zh_who || '的求助已处理完毕';
      title_en := en_who || '''s SOS was resolved';
    when 'cancelled' then
      title_zh := zh_who || '已取消求助（误报）';
      title_en := en_who || ' cancelled the SOS (false alarm)';
    else
      return null;
  end case;
  foreach recipient in array new.contact_ids loop
    perform private.notify_sos(recipient, 'sos_contact_' || new.status::text, title_zh, title_en, new.id,
                               jsonb_build_object('status', new.status, 'caller_name', who, 'by_name', responder));
  end loop;
  return null;
end
$$;
comment on function private.tell_sos_contacts_of_change() is 'Trigger: tells the caller''s contacts that their SOS was acknowledged (by whom), is on the way, resolved or cancelled.';

revoke execute on function private.verified_contact_accounts(jsonb, uuid), private.sos_contact_caller_name(uuid),
  private.find_sos_contacts(), private.tell_sos_contacts_of_raise(), private.tell_sos_contacts_of_change() from public;

-- Row-level security ------------------------------------------------------
create policy "Emergency contacts can read the SOS alerts they were told about" on public.sos_alerts
  for select to authenticated
  using ((select auth.uid()) = any(contact_ids));
create policy "Emergency contacts can read the location trail of SOS alerts they were told about" on public.sos_locations
  for select to authenticated
  using (exists (select 1 from public.sos_alerts a where a.id = alert_id and (select auth.uid()) = any(a.contact_ids)));
create policy "Emergency contacts can read the timeline of SOS alerts they were told about" on public.sos_events
  for select to authenticated
  using (exists (select 1 from public.sos_alerts a where a.id = alert_id and (select auth.uid()) = any(a.contact_ids)));

-- Triggers ---------------------------------------------------------------
create trigger sos_alerts_find_contacts before insert on public.sos_alerts
  for each row execute function private.find_sos_contacts();
create trigger sos_events_tell_contacts_of_raise after insert on public.sos_events
  for each row when (new.from_status is null and new.to_status = 'sent')
  execute function private.tell_sos_contacts_of_raise();
create trigger sos_alerts_tell_contacts_of_change after update of status on public.sos_alerts
  for each row when (old.status is distinct from new.status and cardinality(new.contact_ids) > 0)
  execute function private.tell_sos_contacts_of_change();
