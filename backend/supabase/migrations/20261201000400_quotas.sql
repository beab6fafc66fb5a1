-- Quotas and floods: limits a person (or an address) can hit, each with a clear error.
--
--   * Reports: a citizen files at most 20 reports an hour and 100 a day (checked on INSERT,
--     before dispatch: PT429 with hint 'reports_per_hour' or 'reports_per_day'). Staff filing
--     for residents (a staff role and a source other than citizen_app) and the service role
--     are exempt. A retry of a report already filed (same id) is not counted: it fails on its key.
--   * link_utility_account: misses are counted per person (5 in 15 minutes, as before), per
--     account number across all people (10 in an hour: a handful of throw-away accounts no
--     longer multiply the guesses at one holder's name) and per client address (20 in 15
--     minutes; the address is the first x-forwarded-for entry of request.headers, which the
--     gateway sets to the resolved caller as hosted Supabase's edge does). Every attempt is
--     refused while a limit is reached, even with the right name (otherwise the refusal would
--     tell a right guess from a wrong one). PT429 with hint 'link_misses_per_person',
--     'link_misses_per_account' or 'link_misses_per_address'.
--   * SOS re-raise: raising again within 2 minutes of one's own cancel reopens that alert
--     (cancelled -> sent, one sos_events row with payload {"reopened": true}) instead of making
--     a new one, so a raise-cancel flood is one alert whose alarm stops when it is acknowledged
--     or cancelled. A raise is never refused: the reopened alert is open again, its responders,
--     contacts and the escalation clock (still counting from the first raise) work as for any
--     open SOS.
-- The values are rows of private.limits (20261201000300_follow_status.sql); shared/limits.py mirrors them.

-- Tables -----------------------------------------------------------------
insert into private.limits (name, value, per, comment) values
  ('reports_per_hour', 20, interval '1 hour', 'reports a citizen may file in an hour'),
  ('reports_per_day', 100, interval '1 day', 'reports a citizen may file in a day'),
  ('link_misses_per_person', 5, interval '15 minutes', 'failed link_utility_account attempts per person'),
  ('link_misses_per_account', 10, interval '1 hour', 'failed link_utility_account attempts per account number, all people together'),
  ('link_misses_per_address', 20, interval '15 minutes', 'failed link_utility_account attempts per client address'),
  ('sos_reopen_seconds', 120, null, 'an SOS raised again this many seconds after its caller cancelled it reopens it');

alter table private.utility_link_misses
  add column account_key text,
  add column client_address text;
comment on column private.utility_link_misses.account_key is 'provider:ACCOUNT_NO as tried (normalised), for the per-account-number throttle.';
comment on column private.utility_link_misses.client_address is 'The caller''s address (request.headers x-forwarded-for), for the per-address throttle.';

-- Indexes ----------------------------------------------------------------
create index reports_reporter_created_idx on public.reports (reporter_id, created_at);
create index utility_link_misses_account_time on private.utility_link_misses (account_key, missed_at);
create index utility_link_misses_address_time on private.utility_link_misses (client_address, missed_at);
create index sos_alerts_recently_cancelled_idx on public.sos_alerts (caller_id, cancelled_at) where status = 'cancelled';

-- Functions --------------------------------------------------------------
create function private.client_address() returns text
language sql stable
security definer set search_path = ''
as $$
  select nullif(btrim(split_part(coalesce(
           nullif(current_setting('request.headers', true), '')::json ->> 'x-forwarded-for', ''), ',', 1)), '')
$$;
comment on function private.client_address() is 'The caller''s address: the first x-forwarded-for entry of request.headers (set by the gateway to the resolved client), null outside a request.';

create function private.enforce_report_quota() returns trigger
language plpgsql
security definer set search_path = ''
as $$
declare
  quota text;
  most integer;
  filed integer;
begin
  if private.is_service() or new.reporter_id is null
     or (private.user_role() in ('grid_worker', 'dept_staff', 'supervisor', 'admin') and new.source <> 'citizen_app') then
    return new;
  end if;
  if exists (select 1 from public.reports r where r.id = new.id) then
    return new;  -- a retried submission: the insert fails on its key, nothing is filed twice
  end if;
  -- Concurrent inserts of one person are counted one after the other.
  perform pg_advisory_xact_lock(hashtext('cityloop.report_quota'), hashtext(new.reporter_id::text));
  foreach quota in array array['reports_per_hour', 'reports_per_day'] loop
    most := private.limit_value(quota);
    select count(*) into filed from public.reports r
    where r.reporter_id = new.reporter_id and r.created_at > now() - private.limit_window(quota);
    if filed >= most then
      raise exception 'too many reports: at most % %; try again later', most,
        case quota when 'reports_per_hour' then 'an hour' else 'a day' end
        using errcode = 'PT429', hint = quota,
              detail = format('%s reports filed in the last %s', filed, private.limit_window(quota));
    end if;
  end loop;
  return new;
end
$$;
comment on function private.enforce_report_quota() is 'reports BEFORE INSERT (before routing): PT429 when a citizen has filed reports_per_hour in the last hour or reports_per_day in the last day; staff filing for residents and the service role are exempt.';

create or replace function public.link_utility_account(kind public.utility_kind, provider text, account_no text, holder_name text)
returns public.utility_accounts
language plpgsql
security definer set search_path = ''
as $$
declare
  acct public.provider_accounts;
  linked public.utility_accounts;
  tried text := coalesce(provider, '') || ':' || upper(btrim(coalesce(account_no, '')));
  caller_address text := private.client_address();
  lim text;
  most integer;
  misses integer;
begin
  if auth.uid() is null then
    raise exception 'sign in to link an account' using errcode = 'PT401';
  end if;
  if coalesce(btrim(account_no), '') = '' or coalesce(btrim(holder_name), '') = '' or coalesce(provider, '') = '' then
    raise exception 'account number and holder name are required' using errcode = 'PT400';
  end if;
  -- Misses on one number are counted one after the other, so parallel guesses cannot pass the limit together.
  perform pg_advisory_xact_lock(hashtext('cityloop.link_misses'), hashtext(tried));
  foreach lim in array array['link_misses_per_person', 'link_misses_per_account', 'link_misses_per_address'] loop
    most := private.limit_value(lim);
    select count(*) into misses from private.utility_link_misses m
    where m.missed_at > now() - private.limit_window(lim)
      and case lim when 'link_misses_per_person' then m.user_id = auth.uid()
                   when 'link_misses_per_account' then m.account_key = tried
                   else caller_address is not null and m.client_address = caller_address end;
    if misses >= most then
      raise exception 'too many failed attempts to link an account %: at most % in % minutes; try again later',
          case lim when 'link_misses_per_person' then 'by you' when 'link_misses_per_account' then 'on this account number'
                   else 'from this network' end,
          most, extract(epoch from private.limit_window(lim))::integer / 60
        using errcode = 'PT429', hint = lim;
    end if;
  end loop;
  select * into acct from public.provider_accounts pa
  where pa.provider = link_utility_account.provider and pa.account_no = upper(btrim(link_utility_account.account_no))
    and pa.kind = link_utility_account.kind
    and lower(regexp_replace(pa.holder_name, '\s', '', 'g')) = lower(regexp_replace(link_utility_account.holder_name, '\s', '', 'g'));
  if acct.account_no is null then
    -- One answer for "no such account" and "wrong name": the number alone reveals nothing. An answer,
    -- not an error: an error would roll back the miss that the throttle above counts.
    insert into private.utility_link_misses (user_id, account_key, client_address) values (auth.uid(), tried, caller_address);
    return null;
  end if;
  insert into public.utility_accounts (user_id, provider, account_no, kind, address)
  values (auth.uid(), acct.provider, acct.account_no, acct.kind, acct.address)
  on conflict on constraint utility_accounts_user_id_provider_account_no_key do nothing
  returning * into linked;
  if linked.id is null then
    select * into linked from public.utility_accounts ua
    where ua.user_id = auth.uid() and ua.provider = acct.provider and ua.account_no = acct.account_no;
  end if;
  return linked;
end
$$;
comment on function public.link_utility_account(public.utility_kind, text, text, text) is 'Link a utility account after its number and holder name match the provider''s data; null when nothing matches (the same for a wrong number and a wrong name); PT429 while the misses of the person, of the account number or of the client address reach their limit (private.limits link_misses_*); linking again returns the link.';

create or replace function public.raise_sos(lat double precision, lon double precision, note text default null)
returns public.sos_alerts
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts;
  grid uuid;
  street uuid;
  contacts jsonb;
  caller_name text;
  caller_phone text;
  responders uuid[];
  recipient uuid;
  why text := nullif(btrim(raise_sos.note), '');
begin
  if auth.uid() is null then
    raise exception 'sign in to call for help' using errcode = 'PT401';
  end if;
  perform private.check_location(lat, lon, null);
  if length(why) > 500 then
    raise exception 'the note is longer than 500 characters' using errcode = 'PT400';
  end if;
  -- One open SOS per caller: pressing again returns the open one.
  select * into a from public.sos_alerts s
  where s.caller_id = auth.uid() and s.status in ('sent', 'acknowledged', 'on_the_way');
  if a.id is not null then
    return a;
  end if;

  -- Raised again soon after the caller's own cancel: the same alert, open again.
  select * into a from public.sos_alerts s
  where s.caller_id = auth.uid() and s.status = 'cancelled'
    and s.cancelled_at > now() - make_interval(secs => private.limit_value('sos_reopen_seconds'))
  order by s.cancelled_at desc
  limit 1
  for update;
  if a.id is not null then
    return private.reopen_sos(a, raise_sos.lat, raise_sos.lon, why);
  end if;

  grid := private.grid_for_point(lon, lat);
  street := case when grid is not null then private.street_of(grid) end;
  select coalesce(p.emergency_contacts, '[]'::jsonb), p.display_name, p.phone into contacts, caller_name, caller_phone
  from public.profiles p where p.id = auth.uid();
  contacts := coalesce(contacts, '[]'::jsonb);
  if grid is not null then
    select coalesce(array_agg(wg.worker_id order by wg.worker_id), '{}') into responders
    from public.worker_grids wg join public.worker_duty d on d.worker_id = wg.worker_id and d.on_duty
    where wg.grid_id = grid and wg.worker_id <> auth.uid();
  else
    -- Outside every grid: no grid worker to call, every supervisor is told at once.
    select coalesce(array_agg(distinct ss.user_id), '{}') into responders
    from public.supervisor_streets ss where ss.user_id <> auth.uid();
  end if;

  insert into public.sos_alerts as s (caller_id, grid_id, street_id, note, lat, lon, emergency_contacts, notified_ids)
  values (auth.uid(), grid, street, why, raise_sos.lat, raise_sos.lon, contacts, responders)
  on conflict (caller_id) where status in ('sent', 'acknowledged', 'on_the_way') do nothing
  returning s.* into a;
  if a.id is null then  -- raised at the same moment by another request of the same caller
    select * into a from public.sos_alerts s
    where s.caller_id = auth.uid() and s.status in ('sent', 'acknowledged', 'on_the_way');
    return a;
  end if;
  insert into public.sos_locations (alert_id, lat, lon) values (a.id, a.lat, a.lon);
  insert into public.sos_events (alert_id, actor_id, actor_role, from_status, to_status, escalation_level, note, payload)
  values (a.id, auth.uid(), private.actor_role(), null, 'sent', 0, why,
          jsonb_build_object('emergency_contacts', contacts, 'notified', to_jsonb(responders)));
  foreach recipient in array responders loop
    perform private.notify_sos(recipient, 'sos_raised', '紧急求助！请立即响应', 'SOS: someone needs help now', a.id,
                               jsonb_build_object('lat', a.lat, 'lon', a.lon, 'grid_id', grid, 'note', why,
                                                  'caller_name', caller_name, 'caller_phone', caller_phone,
                                                  'emergency_contacts', contacts, 'escalation_level', 0));
  end loop;
  return a;
end
$$;
comment on function public.raise_sos(double precision, double precision, text) is 'Call for help from (lat, lon): the grid''s on-duty workers are told, the emergency contacts recorded. One open SOS per person: raising again returns it; raising within sos_reopen_seconds of one''s own cancel reopens the cancelled alert.';

create function private.reopen_sos(a public.sos_alerts, lat double precision, lon double precision, note text)
returns public.sos_alerts
language plpgsql
security definer set search_path = ''
as $$
declare
  reopened public.sos_alerts;
  recipient uuid;
  who text := private.sos_contact_caller_name(a.caller_id);
begin
  begin
    update public.sos_alerts s
    set status = 'sent', cancelled_at = null, lat = reopen_sos.lat, lon = reopen_sos.lon, accuracy_m = null,
        note = coalesce(reopen_sos.note, s.note),
        acknowledged_by = null, acknowledged_by_name = null, acknowledged_at = null, on_the_way_at = null
    where s.id = a.id
    returning s.* into reopened;
  exception when unique_violation then
    -- another request of the same caller opened an alert meanwhile: that one is the open SOS
    select * into reopened from public.sos_alerts s
    where s.caller_id = a.caller_id and s.status in ('sent', 'acknowledged', 'on_the_way');
    return reopened;
  end;
  insert into public.sos_locations (alert_id, lat, lon) values (a.id, reopen_sos.lat, reopen_sos.lon);
  insert into public.sos_events (alert_id, actor_id, actor_role, from_status, to_status, escalation_level, note, payload)
  values (a.id, auth.uid(), private.actor_role(), 'cancelled', 'sent', reopened.escalation_level,
          coalesce(note, 'raised again soon after the cancel: reopened'),
          jsonb_build_object('reopened', true, 'cancelled_at', a.cancelled_at));
  foreach recipient in array reopened.notified_ids loop
    perform private.notify_sos(recipient, 'sos_reopened', '求助再次发出！请立即响应', 'SOS raised again: please respond now',
                               a.id, jsonb_build_object('lat', reopened.lat, 'lon', reopened.lon, 'grid_id', reopened.grid_id,
                                                        'note', reopened.note, 'escalation_level', reopened.escalation_level));
  end loop;
  foreach recipient in array reopened.contact_ids loop
    perform private.notify_sos(recipient, 'sos_contact_reopened',
                               coalesce(who, '您的家人') || '再次发出了紧急求助，位置请在应用内查看',
                               coalesce(who, 'Your contact') || ' called for help again (SOS): see the location in the app',
                               a.id, jsonb_build_object('status', reopened.status, 'caller_name', who,
                                                        'lat', reopened.lat, 'lon', reopened.lon));
  end loop;
  return reopened;
end
$$;
comment on function private.reopen_sos(public.sos_alerts, double precision, double precision, text) is 'Opens a just-cancelled SOS again at a new location: status sent, one sos_events row (cancelled -> sent, payload reopened), its responders and contacts told.';

revoke execute on function private.client_address(), private.enforce_report_quota(),
  private.reopen_sos(public.sos_alerts, double precision, double precision, text) from public;

-- Triggers ---------------------------------------------------------------
-- Named to fire before reports_route (BEFORE triggers run in name order): a refused report is never routed.
create trigger reports_quota before insert on public.reports
  for each row execute function private.enforce_report_quota();
