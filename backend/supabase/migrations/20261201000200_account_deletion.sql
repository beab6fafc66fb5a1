-- Deleting an account (`DELETE /auth/v1/admin/users/{id}`, supabase-py `auth.admin.delete_user`) works
-- for everyone, also for someone who raised an SOS, paid a bill or rated a case. Before, the
-- caller's SOS alerts cascaded into the append-only sos_events (refused: 500), and payments and
-- the ledger refused the delete outright (on delete restrict).
--
-- What stays, anonymised (the city's record of what happened, without who):
--   sos_alerts     caller_id null; the emergency-contact list, the contacts told and the caller's
--                  note are cleared; the location trail (sos_locations) and the texts to their
--                  contacts (sms_outbox) are deleted, the last fix stays as where help was given.
--   sos_events, case_events   actor_id null where the person acted; their own notes cleared; the
--                  raise event's list of contacts cleared.
--   payments, payment_ledger  payer_id null (amounts, bills and provider references stay for the books).
--   ratings        rater_id null (score and comment stay).
--   reports        reporter_id null (already); the photos in the person's folder are unlinked.
--   notifications of others about the person's SOS: the caller's name, phone, contacts and note go.
-- What goes: the profile, the person's notifications, follows, utility links, invitations they sent;
-- links where they were the accepted contact end.
-- Append-only tables still refuse every UPDATE, DELETE and TRUNCATE, except the one update an
-- account's deletion makes: only the columns named in the trigger's arguments may change, and only
-- while private.forget_account() runs (a transaction-local setting it sets).
-- Storage objects cannot be deleted from SQL (hosted Supabase refuses direct deletes on
-- storage.objects and the bytes live elsewhere): the local Auth admin delete removes the person's
-- objects itself; on hosted Supabase the city's deletion procedure removes them through the
-- Storage API first (docs/account-deletion.md).

-- Tables -----------------------------------------------------------------
alter table public.sos_alerts alter column caller_id drop not null,
  drop constraint sos_alerts_caller_id_fkey,
  add constraint sos_alerts_caller_id_fkey foreign key (caller_id) references auth.users (id) on delete set null;
comment on column public.sos_alerts.caller_id is 'Who called for help; null once their account was deleted (the alert stays, anonymised).';

alter table public.ratings alter column rater_id drop not null,
  drop constraint ratings_rater_id_fkey,
  add constraint ratings_rater_id_fkey foreign key (rater_id) references auth.users (id) on delete set null;
comment on column public.ratings.rater_id is 'Who rated; null once their account was deleted.';

alter table public.payments alter column payer_id drop not null,
  drop constraint payments_payer_id_fkey,
  add constraint payments_payer_id_fkey foreign key (payer_id) references auth.users (id) on delete set null;
comment on column public.payments.payer_id is 'Who paid; null once their account was deleted (the payment stays for the books).';

alter table public.payment_ledger alter column payer_id drop not null,
  drop constraint payment_ledger_payer_id_fkey,
  add constraint payment_ledger_payer_id_fkey foreign key (payer_id) references auth.users (id) on delete set null;
comment on column public.payment_ledger.payer_id is 'Who paid; null once their account was deleted.';

-- Indexes ----------------------------------------------------------------
create index if not exists payments_payer_id_idx on public.payments (payer_id);
create index if not exists payment_ledger_payer_id_idx on public.payment_ledger (payer_id);
create index if not exists case_events_actor_id_idx on public.case_events (actor_id);
create index if not exists sos_events_actor_id_idx on public.sos_events (actor_id);

-- Functions --------------------------------------------------------------
create or replace function private.refuse_change() returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  -- The one exception: an account's deletion clears the person from the columns the trigger names.
  if tg_op = 'UPDATE' and nullif(current_setting('cityloop.forgetting_account', true), '') is not null
     and (to_jsonb(new) - tg_argv) = (to_jsonb(old) - tg_argv) then
    return new;
  end if;
  raise exception '% is append-only', tg_table_name using errcode = '42501';
end
$$;
comment on function private.refuse_change() is 'Refuses UPDATE, DELETE and TRUNCATE on append-only tables (for every role), except an account deletion clearing the person from the columns named as trigger arguments.';

create function private.forget_account() returns trigger
language plpgsql
security definer set search_path = ''
as $$
declare
  gone uuid := old.id;
  folder text := old.id::text;
begin
  perform set_config('cityloop.forgetting_account', folder, true);
  -- Links where they were the contact end (the inviter's own invitations go with the account).
  update public.emergency_contact_invitations i set status = 'ended', ended_at = now()
  where i.invitee_id = gone and i.status = 'accepted';
  -- Their SOS alerts: the trail goes, the alert stays without who, their words or their contacts.
  delete from public.sos_locations l using public.sos_alerts a where a.id = l.alert_id and a.caller_id = gone;
  delete from public.sms_outbox o using public.sos_alerts a where a.id = o.sos_id and a.caller_id = gone;
  update public.sos_events e set payload = e.payload - 'emergency_contacts' - 'contact_ids'
  from public.sos_alerts a
  where a.id = e.alert_id and a.caller_id = gone and e.payload ?| array['emergency_contacts', 'contact_ids'];
  update public.notifications n set payload = n.payload - 'caller_name' - 'caller_phone' - 'emergency_contacts' - 'note'
  from public.sos_alerts a where a.id = n.sos_alert_id and a.caller_id = gone;
  update public.sos_alerts a set emergency_contacts = '[]', contact_ids = '{}', note = null where a.caller_id = gone;
  update public.sos_alerts a set acknowledged_by_name = null where a.acknowledged_by = gone;
  -- What they did in a timeline stays; that it was them, and their notes, go.
  update public.sos_events e set actor_id = null, note = null where e.actor_id = gone;
  update public.case_events e set actor_id = null, note = null where e.actor_id = gone;
  -- Their photos are removed from Storage with the account: reports stop naming them.
  update public.reports r set photos = '{}' where r.reporter_id = gone and r.photos <> '{}';
  update public.reports r
  set resolution_photos = array(select p from unnest(r.resolution_photos) p where split_part(p, '/', 1) <> folder)
  where exists (select 1 from unnest(r.resolution_photos) p where split_part(p, '/', 1) = folder);
  return old;
end
$$;
comment on function private.forget_account() is 'auth.users BEFORE DELETE: anonymises what must outlive the account (SOS, timelines); foreign keys null the rest.';

revoke execute on function private.forget_account() from public;

-- Triggers ---------------------------------------------------------------
drop trigger case_events_append_only on public.case_events;
create trigger case_events_append_only before update or delete on public.case_events
  for each row execute function private.refuse_change('actor_id', 'note');
drop trigger sos_events_append_only on public.sos_events;
create trigger sos_events_append_only before update or delete on public.sos_events
  for each row execute function private.refuse_change('actor_id', 'note', 'payload');
drop trigger payment_ledger_append_only on public.payment_ledger;
create trigger payment_ledger_append_only before update or delete on public.payment_ledger
  for each row execute function private.refuse_change('payer_id');

create trigger on_auth_user_deleted before delete on auth.users
  for each row execute function private.forget_account();
