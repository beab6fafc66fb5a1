-- Emergency contacts are a link both sides agreed to. 20261121001400_sos_contacts.sql matched
-- the caller's typed contact numbers against verified phones at raise time: whoever verified a
-- listed number first read the caller's live location. Now:
--
--   invite_emergency_contact(phone, name, relation)  the resident invites a number -> pending.
--        The answer is the same whether or not an account has that number (no enumeration);
--        the owner of the VERIFIED phone (auth.users.phone_confirmed_at set) is told in the app.
--   my_contact_invitations()                         the invitee lists invitations addressed to
--        their verified phone (and links they accepted): the inviter's display name only.
--   answer_contact_invitation(invitation, accept)    only the owner of the verified phone:
--        pending -> accepted | declined.
--   end_emergency_contact(invitation)                either side: -> ended.
--
-- Only ACCEPTED contacts are put in sos_alerts.contact_ids, told in the app, and read the alert,
-- its location trail and its timeline, and only while the link stays accepted. Pending
-- contacts (an account or not) get an SMS with no location: the caller's name and "call them /
-- call 110", at most three per contact per alert (raised, acknowledged, resolved or cancelled),
-- written to public.sms_outbox and sent by the job backend/jobs/send_sms.py.
-- Limits (one home, here): 10 live contacts per person, 10 new invitations per person a day.
-- profiles.emergency_contacts stays the caller's own address book; its entries were turned into
-- pending invitations once, below. Errors: PT400 bad argument, PT401 not signed in, PT404 no such
-- invitation (or not yours), PT409 already answered or ended, or too many contacts, PT429 too
-- many invitations today.

-- Types ------------------------------------------------------------------
create type public.contact_invitation_status as enum ('pending', 'accepted', 'declined', 'ended');
comment on type public.contact_invitation_status is 'pending -> accepted | declined (by the phone''s owner); pending | accepted | declined -> ended (by either side).';

-- Tables -----------------------------------------------------------------
create table public.emergency_contact_invitations (
  id uuid primary key default gen_random_uuid(),
  inviter_id uuid not null references auth.users (id) on delete cascade,
  phone text not null check (phone ~ '^[0-9]{6,15}$'),
  name text not null check (length(name) between 1 and 50),
  relation text check (length(relation) <= 20),
  status public.contact_invitation_status not null default 'pending',
  invitee_id uuid references auth.users (id) on delete set null,
  migrated_from_profile boolean not null default false,
  created_at timestamptz not null default now(),
  answered_at timestamptz,
  ended_at timestamptz,
  ended_by uuid references auth.users (id) on delete set null
);
comment on table public.emergency_contact_invitations is 'A resident''s emergency contact: an invitation to a phone number, accepted or declined by the owner of that verified phone, ended by either side. Written only by the RPCs.';
comment on column public.emergency_contact_invitations.phone is 'Digits only, a mainland number without +86 (private.phone_digits).';
comment on column public.emergency_contact_invitations.name is 'The name the inviter gave the contact.';
comment on column public.emergency_contact_invitations.invitee_id is 'The account that answered (set on accept or decline); the link is to this person, even if the number later changes hands.';
comment on column public.emergency_contact_invitations.migrated_from_profile is 'Made from profiles.emergency_contacts when invitations began; not counted by the daily throttle.';

create table public.sms_outbox (
  id bigint generated always as identity primary key,
  phone text not null check (phone ~ '^\+?[0-9]{6,16}$'),
  body text not null check (length(body) between 1 and 500),
  kind text not null,
  sos_id uuid references public.sos_alerts (id) on delete cascade,
  created_at timestamptz not null default now(),
  next_attempt_at timestamptz not null default now(),
  attempts integer not null default 0,
  sent_at timestamptz,
  provider_ref text,
  last_error text check (length(last_error) <= 500)
);
comment on table public.sms_outbox is 'Text messages waiting for (or done by) the SMS job. Service role only: phone numbers and who needed help.';
comment on column public.sms_outbox.next_attempt_at is 'When the job may try (again): a claim leases the row for a minute, a failure backs off.';

-- Indexes ----------------------------------------------------------------
create unique index emergency_contact_invitations_one_live_per_phone
  on public.emergency_contact_invitations (inviter_id, phone) where status in ('pending', 'accepted');
create index emergency_contact_invitations_inviter_idx on public.emergency_contact_invitations (inviter_id, created_at);
create index emergency_contact_invitations_pending_phone_idx on public.emergency_contact_invitations (phone) where status = 'pending';
create index emergency_contact_invitations_invitee_idx on public.emergency_contact_invitations (invitee_id);
create index emergency_contact_invitations_ended_by_idx on public.emergency_contact_invitations (ended_by);
create index sms_outbox_due_idx on public.sms_outbox (next_attempt_at) where sent_at is null;
create index sms_outbox_sos_phone_idx on public.sms_outbox (sos_id, phone);

-- Functions: helpers -----------------------------------------------------
create function private.my_verified_phone() returns text
language sql stable
security definer set search_path = ''
as $$
  select private.phone_digits(u.phone) from auth.users u
  where u.id = auth.uid() and u.phone_confirmed_at is not null and u.deleted_at is null
$$;
comment on function private.my_verified_phone() is 'The caller''s phone number as digits, only if Auth verified it (null otherwise).';

create function private.is_emergency_contact_of(caller uuid) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select exists (select 1 from public.emergency_contact_invitations i
                 where i.inviter_id = caller and i.invitee_id = auth.uid() and i.status = 'accepted')
$$;
comment on function private.is_emergency_contact_of(uuid) is 'Whether the signed-in person is an accepted emergency contact of that caller.';

create function private.follows_sos_as_contact(alert uuid) returns boolean
language sql stable
security definer set search_path = ''
as $$
  select exists (select 1 from public.sos_alerts a
                 where a.id = alert and auth.uid() = any(a.contact_ids)
                   and private.is_emergency_contact_of(a.caller_id))
$$;
comment on function private.follows_sos_as_contact(uuid) is 'Whether the signed-in person was told of this SOS as a contact and still is an accepted contact of its caller.';

create function private.sms_phone(digits text) returns text
language sql immutable
set search_path = ''
as $$
  select case when digits ~ '^1[0-9]{10}$' then '+86' || digits else digits end
$$;
comment on function private.sms_phone(text) is 'The number an SMS is sent to: +86 before a mainland mobile number.';

create function private.queue_contact_sms(alert uuid, phones text[], kind text, body text) returns integer
language plpgsql
security definer set search_path = ''
as $$
declare
  cap constant integer := 3;  -- SMS per contact per alert: raised, acknowledged, resolved (or cancelled)
  queued integer;
begin
  insert into public.sms_outbox (phone, body, kind, sos_id)
  select p, queue_contact_sms.body, queue_contact_sms.kind, alert from unnest(phones) p
  where (select count(*) from public.sms_outbox o where o.sos_id = alert and o.phone = p) < cap;
  get diagnostics queued = row_count;
  return queued;
end
$$;
comment on function private.queue_contact_sms(uuid, text[], text, text) is 'Queues one SMS per number about an SOS, unless that number already got 3 about it.';

create function private.sms_name(caller uuid) returns text
language sql stable
security definer set search_path = ''
as $$
  select coalesce(left(private.sos_contact_caller_name(caller), 20), '您的家人')
$$;
comment on function private.sms_name(uuid) is 'The caller''s name as an SMS says it (20 characters at most).';

create function private.invitation_view(i public.emergency_contact_invitations) returns jsonb
language sql stable
security definer set search_path = ''
as $$
  select jsonb_build_object('id', i.id, 'phone', i.phone, 'name', i.name, 'relation', i.relation,
                            'status', i.status, 'created_at', i.created_at, 'answered_at', i.answered_at,
                            'ended_at', i.ended_at)
$$;
comment on function private.invitation_view(public.emergency_contact_invitations) is 'An invitation as the inviter sees it: never who (if anyone) has the number.';

create function private.notify_plain(recipient uuid, kind text, title_zh text, title_en text, payload jsonb)
returns void
language sql
security definer set search_path = ''
as $$
  insert into public.notifications (user_id, kind, title_zh, title_en, payload)
  values (recipient, kind, title_zh, title_en, payload)
$$;
comment on function private.notify_plain(uuid, text, text, text, jsonb) is 'One in-app notification not about a case or an SOS.';

-- Functions: SOS triggers (replacing those of 20261121001400) -------------
create or replace function private.find_sos_contacts() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  select coalesce(array_agg(i.invitee_id order by i.answered_at), '{}') into new.contact_ids
  from public.emergency_contact_invitations i join auth.users u on u.id = i.invitee_id and u.deleted_at is null
  where i.inviter_id = new.caller_id and i.status = 'accepted' and i.invitee_id is distinct from new.caller_id;
  -- The responders' list of numbers to call: the caller's contacts, when they have any.
  if exists (select 1 from public.emergency_contact_invitations i
             where i.inviter_id = new.caller_id and i.status in ('pending', 'accepted')) then
    select jsonb_agg(jsonb_build_object('name', i.name, 'phone', i.phone, 'relation', i.relation, 'status', i.status)
                     order by i.created_at)
    into new.emergency_contacts
    from public.emergency_contact_invitations i
    where i.inviter_id = new.caller_id and i.status in ('pending', 'accepted');
  end if;
  return new;
end
$$;
comment on function private.find_sos_contacts() is 'Trigger: records on a new SOS the caller''s ACCEPTED emergency contacts, and their contacts as the responders'' list.';

create or replace function private.tell_sos_contacts_of_raise() returns trigger
language plpgsql
security definer set search_path = ''
as $$
declare
  a public.sos_alerts;
  listed integer;
  who text;
  sms_name text;
  recipient uuid;
  texted integer;
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
  sms_name := private.sms_name(a.caller_id);
  texted := private.queue_contact_sms(
    a.id,
    array(select distinct private.sms_phone(i.phone) from public.emergency_contact_invitations i
          where i.inviter_id = a.caller_id and i.status = 'pending'),
    'sos_raised', '【城市网格】' || sms_name || '刚刚发出紧急求助，请尽快致电' || sms_name || '；情况危急请拨打110。');
  insert into public.sos_events (alert_id, actor_id, actor_role, from_status, to_status, escalation_level, note, payload)
  values (a.id, null, 'system', a.status, a.status, a.escalation_level,
          format('contacts notified: %s of %s in the app (accepted contacts), %s by SMS (pending invitations)',
                 cardinality(a.contact_ids), listed, texted),
          jsonb_build_object('contacts_notified', cardinality(a.contact_ids), 'contacts_listed', listed,
                             'contacts_texted', texted, 'contact_ids', to_jsonb(a.contact_ids)));
  return null;
end
$$;
comment on function private.tell_sos_contacts_of_raise() is 'Trigger on the raise event: notifies the accepted contacts in the app, texts the pending ones (no location), records the count.';

create or replace function private.tell_sos_contacts_of_change() returns trigger
language plpgsql
security definer set search_path = ''
as $$
declare
  who text := private.sos_contact_caller_name(new.caller_id);
  zh_who text := coalesce(who, '您的家人');
  en_who text := coalesce(who, 'Your contact');
  responder text := nullif(btrim(new.acknowledged_by_name), '');
  sms_name text := private.sms_name(new.caller_id);
  title_zh text;
  title_en text;
  sms text;
  recipient uuid;
begin
  case new.status
    when 'acknowledged' then
      title_zh := zh_who || '的求助已由' || coalesce(responder, '网格员') || '响应';
      title_en := en_who || '''s SOS was acknowledged by ' || coalesce(responder, 'a grid worker');
      sms := '【城市网格】' || sms_name || '的紧急求助已有网格员响应。如需帮助请致电' || sms_name || '或拨打110。';
    when 'on_the_way' then
      title_zh := coalesce(responder, '救助人员') || '正在赶往' || zh_who || '身边';
      title_en := coalesce(responder, 'Help') || ' is on the way to ' || en_who;
    when 'resolved' then
      title_zh := zh_who || '的求助已处理完毕';
      title_en := en_who || '''s SOS was resolved';
      sms := '【城市网格】' || sms_name || '的紧急求助已处理完毕。';
    when 'cancelled' then
      title_zh := zh_who || '已取消求助（误报）';
      title_en := en_who || ' cancelled the SOS (false alarm)';
      sms := '【城市网格】' || sms_name || '已取消紧急求助（误报）。';
    else
      return null;
  end case;
  foreach recipient in array new.contact_ids loop
    if exists (select 1 from public.emergency_contact_invitations i
               where i.inviter_id = new.caller_id and i.invitee_id = recipient and i.status = 'accepted') then
      perform private.notify_sos(recipient, 'sos_contact_' || new.status::text, title_zh, title_en, new.id,
                                 jsonb_build_object('status', new.status, 'caller_name', who, 'by_name', responder));
    end if;
  end loop;
  if sms is not null then  -- to the numbers texted at the raise
    perform private.queue_contact_sms(
      new.id, array(select distinct o.phone from public.sms_outbox o where o.sos_id = new.id and o.kind = 'sos_raised'),
      'sos_' || new.status::text, sms);
  end if;
  return null;
end
$$;
comment on function private.tell_sos_contacts_of_change() is 'Trigger: tells the accepted contacts every status change in the app, and texts the numbers texted at the raise when it is acknowledged, resolved or cancelled.';

drop function private.verified_contact_accounts(jsonb, uuid);  -- the one-sided match this migration ends

-- Functions: the RPCs ----------------------------------------------------
create function public.invite_emergency_contact(phone text, name text, relation text default null)
returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  max_live constant integer := 10;     -- contacts (pending or accepted) per person
  max_per_day constant integer := 10;  -- new invitations per person in 24 hours
  me uuid := auth.uid();
  digits text := private.phone_digits(invite_emergency_contact.phone);
  who text := nullif(btrim(invite_emergency_contact.name), '');
  how text := nullif(btrim(invite_emergency_contact.relation), '');
  inviter text;
  i public.emergency_contact_invitations;
  recipient uuid;
begin
  if me is null then
    raise exception 'sign in to invite an emergency contact' using errcode = 'PT401';
  end if;
  if digits is null or digits !~ '^1[3-9][0-9]{9}$' then
    raise exception 'the phone number must be an 11-digit mainland mobile number' using errcode = 'PT400';
  end if;
  if who is null or length(who) > 50 then
    raise exception 'the contact needs a name of at most 50 characters' using errcode = 'PT400';
  end if;
  if length(how) > 20 then
    raise exception 'the relation is longer than 20 characters' using errcode = 'PT400';
  end if;
  if digits = private.my_verified_phone() then
    raise exception 'you cannot be your own emergency contact' using errcode = 'PT400';
  end if;
  perform 1 from public.profiles p where p.id = me for update;  -- one invitation of a person at a time
  select * into i from public.emergency_contact_invitations e
  where e.inviter_id = me and e.phone = digits and e.status in ('pending', 'accepted');
  if i.id is not null then
    return private.invitation_view(i);  -- invited already: the same answer again
  end if;
  if (select count(*) from public.emergency_contact_invitations e
      where e.inviter_id = me and e.status in ('pending', 'accepted')) >= max_live then
    raise exception 'at most % emergency contacts: end one first', max_live using errcode = 'PT409';
  end if;
  if (select count(*) from public.emergency_contact_invitations e
      where e.inviter_id = me and not e.migrated_from_profile and e.created_at > now() - interval '24 hours') >= max_per_day then
    raise exception 'at most % invitations a day: try again tomorrow', max_per_day using errcode = 'PT429';
  end if;
  insert into public.emergency_contact_invitations (inviter_id, phone, name, relation)
  values (me, digits, who, how) returning * into i;
  inviter := coalesce(private.sos_contact_caller_name(me), '一位居民');
  for recipient in
    select u.id from auth.users u
    where u.phone = any(array[digits, '+' || digits, '86' || digits, '+86' || digits])
      and u.phone_confirmed_at is not null and u.deleted_at is null and u.id <> me
  loop
    perform private.notify_plain(recipient, 'contact_invitation', inviter || '邀请您成为紧急联系人',
                                 coalesce(private.sos_contact_caller_name(me), 'A resident') || ' invited you to be an emergency contact',
                                 jsonb_build_object('invitation_id', i.id, 'inviter_name', inviter));
  end loop;
  return private.invitation_view(i);
end
$$;
comment on function public.invite_emergency_contact(text, text, text) is 'Invite a mobile number as an emergency contact (pending until its verified owner accepts). The same answer whether or not the number has an account.';

create function public.my_contact_invitations()
returns table (id uuid, inviter_name text, name text, relation text, status public.contact_invitation_status,
               created_at timestamptz, answered_at timestamptz)
language sql stable
security definer set search_path = ''
as $$
  select i.id, coalesce(nullif(btrim(p.display_name), ''), '一位居民'), i.name, i.relation, i.status,
         i.created_at, i.answered_at
  from public.emergency_contact_invitations i left join public.profiles p on p.id = i.inviter_id
  where i.inviter_id <> auth.uid()
    and ((i.status = 'pending' and i.phone = private.my_verified_phone())
         or (i.status = 'accepted' and i.invitee_id = auth.uid()))
  order by i.created_at desc
$$;
comment on function public.my_contact_invitations() is 'Invitations addressed to the caller''s verified phone, and the links they accepted: the inviter''s display name, nothing else of them.';

create function public.answer_contact_invitation(invitation uuid, accept boolean) returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  me uuid := auth.uid();
  i public.emergency_contact_invitations;
  answer public.contact_invitation_status;
begin
  if me is null then
    raise exception 'sign in to answer an invitation' using errcode = 'PT401';
  end if;
  if accept is null then
    raise exception 'accept must be true or false' using errcode = 'PT400';
  end if;
  select * into i from public.emergency_contact_invitations e where e.id = invitation for update;
  if i.id is not null and i.invitee_id = me then
    raise exception 'this invitation was answered already' using errcode = 'PT409';
  end if;
  if i.id is null or i.status <> 'pending' or i.inviter_id = me or i.phone is distinct from private.my_verified_phone() then
    raise exception 'invitation not found' using errcode = 'PT404';
  end if;
  answer := case when accept then 'accepted' else 'declined' end;
  update public.emergency_contact_invitations e set status = answer, invitee_id = me, answered_at = now()
  where e.id = i.id returning * into i;
  perform private.notify_plain(i.inviter_id, 'contact_' || answer::text,
                               i.name || case when accept then '已接受' else '已拒绝' end || '您的紧急联系人邀请',
                               i.name || case when accept then ' accepted' else ' declined' end || ' your emergency contact invitation',
                               jsonb_build_object('invitation_id', i.id, 'status', answer));
  return jsonb_build_object('id', i.id, 'status', i.status, 'answered_at', i.answered_at);
end
$$;
comment on function public.answer_contact_invitation(uuid, boolean) is 'The owner of the invited verified phone accepts or declines; anyone else gets PT404.';

create function public.end_emergency_contact(invitation uuid) returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  me uuid := auth.uid();
  i public.emergency_contact_invitations;
  was public.contact_invitation_status;
begin
  if me is null then
    raise exception 'sign in to end an emergency contact' using errcode = 'PT401';
  end if;
  select * into i from public.emergency_contact_invitations e where e.id = invitation for update;
  if i.id is null or not (i.inviter_id = me or i.invitee_id = me) then
    raise exception 'invitation not found' using errcode = 'PT404';
  end if;
  if not ((i.inviter_id = me and i.status in ('pending', 'accepted', 'declined'))
          or (i.invitee_id = me and i.status = 'accepted')) then
    raise exception 'this emergency contact is not active' using errcode = 'PT409';
  end if;
  was := i.status;
  update public.emergency_contact_invitations e set status = 'ended', ended_at = now(), ended_by = me
  where e.id = i.id returning * into i;
  if was = 'accepted' then  -- the other side learns the link is gone
    perform private.notify_plain(case when me = i.inviter_id then i.invitee_id else i.inviter_id end,
                                 'contact_ended', '紧急联系人关系已解除', 'An emergency contact link was ended',
                                 jsonb_build_object('invitation_id', i.id));
  end if;
  return case when me = i.inviter_id then private.invitation_view(i)
              else jsonb_build_object('id', i.id, 'status', i.status, 'ended_at', i.ended_at) end;
end
$$;
comment on function public.end_emergency_contact(uuid) is 'Either side ends an emergency contact link (the inviter also withdraws a pending or declined invitation).';

create function public.claim_sms_batch(batch_size integer default 20) returns jsonb
language plpgsql
security definer set search_path = ''
as $$
declare
  claimed jsonb;
begin
  if not private.is_service() then
    raise exception 'only the service role sends SMS' using errcode = '42501';
  end if;
  with due as (
    update public.sms_outbox o set attempts = o.attempts + 1, next_attempt_at = now() + interval '60 seconds'
    where o.id in (select d.id from public.sms_outbox d
                   where d.sent_at is null and d.attempts < 5 and d.next_attempt_at <= now()
                   order by d.id limit least(greatest(coalesce(batch_size, 20), 1), 100)
                   for update skip locked)
    returning o.id, o.phone, o.body, o.kind, o.attempts)
  select coalesce(jsonb_agg(to_jsonb(due) order by due.id), '[]'::jsonb) into claimed from due;
  return claimed;
end
$$;
comment on function public.claim_sms_batch(integer) is 'Service role: the SMS due now as [{id, phone, body, kind, attempts}], leased for 60 s (a second job skips them); at most 5 attempts each.';

create function public.finish_sms(sms_id bigint, provider_ref text default null, error text default null)
returns void
language plpgsql
security definer set search_path = ''
as $$
begin
  if not private.is_service() then
    raise exception 'only the service role sends SMS' using errcode = '42501';
  end if;
  if error is null then
    update public.sms_outbox o set sent_at = now(), provider_ref = finish_sms.provider_ref, last_error = null
    where o.id = sms_id and o.sent_at is null;
  else  -- back off: 30 s, 1, 2, 4 min... at most an hour
    update public.sms_outbox o
    set last_error = left(error, 500),
        next_attempt_at = now() + least(interval '1 hour', interval '30 seconds' * power(2, greatest(o.attempts - 1, 0)))
    where o.id = sms_id and o.sent_at is null;
  end if;
end
$$;
comment on function public.finish_sms(bigint, text, text) is 'Service role: marks one claimed SMS sent (with the provider''s reference) or failed (retried later with backoff).';

revoke execute on function private.my_verified_phone(), private.is_emergency_contact_of(uuid),
  private.follows_sos_as_contact(uuid), private.sms_phone(text), private.queue_contact_sms(uuid, text[], text, text),
  private.sms_name(uuid), private.invitation_view(public.emergency_contact_invitations),
  private.notify_plain(uuid, text, text, text, jsonb) from public;
grant execute on function private.my_verified_phone(), private.is_emergency_contact_of(uuid),
  private.follows_sos_as_contact(uuid) to authenticated, service_role;
revoke execute on function public.invite_emergency_contact(text, text, text), public.my_contact_invitations(),
  public.answer_contact_invitation(uuid, boolean), public.end_emergency_contact(uuid),
  public.claim_sms_batch(integer), public.finish_sms(bigint, text, text) from public, anon;
grant execute on function public.invite_emergency_contact(text, text, text), public.my_contact_invitations(),
  public.answer_contact_invitation(uuid, boolean), public.end_emergency_contact(uuid) to authenticated;
revoke execute on function public.claim_sms_batch(integer), public.finish_sms(bigint, text, text) from authenticated;
grant execute on function public.claim_sms_batch(integer), public.finish_sms(bigint, text, text) to service_role;

-- Row-level security ------------------------------------------------------
alter table public.emergency_contact_invitations enable row level security;
alter table public.sms_outbox enable row level security;

create policy "People can read the emergency contact invitations they sent" on public.emergency_contact_invitations
  for select to authenticated
  using (inviter_id = (select auth.uid()));
-- No policy for the invitee: they read through my_contact_invitations(), which shows the inviter's
-- display name and never the inviter's id.

drop policy "Emergency contacts can read the SOS alerts they were told about" on public.sos_alerts;
drop policy "Emergency contacts can read the location trail of SOS alerts they were told about" on public.sos_locations;
drop policy "Emergency contacts can read the timeline of SOS alerts they were told about" on public.sos_events;
create policy "Accepted emergency contacts can read the SOS alerts they were told about" on public.sos_alerts
  for select to authenticated
  using ((select auth.uid()) = any(contact_ids) and private.is_emergency_contact_of(caller_id));
create policy "Accepted emergency contacts can read the location trail of SOS alerts they were told about" on public.sos_locations
  for select to authenticated
  using (private.follows_sos_as_contact(alert_id));
create policy "Accepted emergency contacts can read the timeline of SOS alerts they were told about" on public.sos_events
  for select to authenticated
  using (private.follows_sos_as_contact(alert_id));

-- Grants -----------------------------------------------------------------
revoke all on public.emergency_contact_invitations, public.sms_outbox from anon, authenticated;
grant select on public.emergency_contact_invitations to authenticated;
grant all on public.emergency_contact_invitations, public.sms_outbox to service_role;

-- Triggers ---------------------------------------------------------------
drop trigger sos_alerts_tell_contacts_of_change on public.sos_alerts;
create trigger sos_alerts_tell_contacts_of_change after update of status on public.sos_alerts
  for each row when (old.status is distinct from new.status)
  execute function private.tell_sos_contacts_of_change();

-- Data: today's contacts become pending invitations ----------------------
insert into public.emergency_contact_invitations (inviter_id, phone, name, relation, migrated_from_profile)
select distinct on (p.id, n.d) p.id, n.d,
       left(coalesce(nullif(btrim(c.contact ->> 'name'), ''), '紧急联系人'), 50),
       left(nullif(btrim(c.contact ->> 'relation'), ''), 20), true
from public.profiles p
cross join lateral jsonb_array_elements(p.emergency_contacts) with ordinality as c (contact, pos)
cross join lateral (select private.phone_digits(c.contact ->> 'phone') as d) n
where jsonb_typeof(c.contact) = 'object' and n.d ~ '^[0-9]{6,15}$'
order by p.id, n.d, c.pos  -- the first entry of a number wins
on conflict (inviter_id, phone) where status in ('pending', 'accepted') do nothing;
