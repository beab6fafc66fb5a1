-- Exactly once for the commands a device sends (the apps' one offline queue, shared/commands.py).
-- A report is one kind of command and already idempotent by its client-chosen id (reports.id). A
-- case action is the other kind; a device that lost the answer to one sends it again, so it
-- carries a client-chosen command id too:
--   * public.client_commands: one row per case action applied, keyed by the device's id, written in
--     the same transaction as the action (a refused action rolls back its row with it);
--   * public.run_case_command(command_id, action, report, args): a static dispatch over the fixed
--     set of the grid app's case actions (never SQL from request text). A command id seen before
--     applies nothing and answers the case as it is now (if the caller may still read it, else
--     PT404, as any read); another person's id is refused (42501) and nothing runs; the same id
--     for a different action or case is refused (PT409). No copy of the case is kept here: a
--     person's account deletion leaves nothing of them in another person's commands.
-- Each action keeps its own checks (transition PT409, caller PT403) in the RPC it dispatches to.
-- Nobody but the service role reads or writes the table: the RPC is the only way in.

-- Tables -----------------------------------------------------------------
create table public.client_commands (
  id uuid primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  action text not null,
  report_id uuid not null references public.reports (id) on delete cascade,
  created_at timestamptz not null default now()
);
comment on table public.client_commands is 'Case actions applied from a device, by the client-chosen command id: a resent command is answered from here, not applied twice.';
comment on column public.client_commands.id is 'The command id the device chose (shared/commands.py), unique across everyone.';
comment on column public.client_commands.user_id is 'Who sent it: only this person may send the id again.';
comment on column public.client_commands.action is 'The case RPC it ran (run_case_command''s fixed list).';

-- Indexes ----------------------------------------------------------------
create index client_commands_user_idx on public.client_commands (user_id, created_at);
create index client_commands_report_idx on public.client_commands (report_id);

-- Functions --------------------------------------------------------------
create function public.run_case_command(command_id uuid, action text, report uuid, args jsonb default '{}')
returns public.reports
language plpgsql
security definer set search_path = ''
as $$
declare
  me uuid := auth.uid();
  a jsonb := coalesce(args, '{}');
  seen public.client_commands;
  done public.reports;
  now_row public.reports;
begin
  if me is null then
    raise exception 'sign in to act on a case' using errcode = 'PT401';
  end if;
  if command_id is null or report is null or action is null then
    raise exception 'command_id, action and report are required' using errcode = 'PT400';
  end if;
  if jsonb_typeof(a) <> 'object' then
    raise exception 'args must be a JSON object' using errcode = 'PT400';
  end if;
  -- Claim the id first: a concurrent send of the same id waits here until this one commits.
  insert into public.client_commands (id, user_id, action, report_id)
  values (command_id, me, run_case_command.action, report)
  on conflict (id) do nothing;
  if not found then
    select * into seen from public.client_commands c where c.id = command_id;
    if seen.user_id is distinct from me then
      raise exception 'this command id is not yours' using errcode = '42501';
    end if;
    if seen.action <> run_case_command.action or seen.report_id <> report then
      raise exception 'this command id was used for another action' using errcode = 'PT409';
    end if;
    select * into now_row from public.reports r where r.id = report;
    if not private.can_read_report(report) then
      raise exception 'report % not found', report using errcode = 'PT404';
    end if;
    return now_row;
  end if;
  case run_case_command.action
    when 'accept_report' then done := public.accept_report(report);
    when 'start_report' then done := public.start_report(report);
    when 'comment_report' then done := public.comment_report(report, a->>'note');
    when 'request_report_info' then done := public.request_report_info(report, a->>'note');
    when 'transfer_report' then
      done := public.transfer_report(report, a->>'reason', nullif(a->>'to_department', ''),
                                     nullif(a->>'to_worker', '')::uuid);
    when 'resolve_report' then
      done := public.resolve_report(report, a->>'note',
                                    coalesce(array(select jsonb_array_elements_text(a->'photos')), '{}'));
    when 'reject_report' then done := public.reject_report(report, a->>'reason', nullif(a->>'duplicate_of', '')::uuid);
    when 'escalate_report' then done := public.escalate_report(report, a->>'reason');
    when 'change_report_category' then done := public.change_report_category(report, a->>'category', a->>'reason');
    else
      raise exception 'unknown action %', run_case_command.action using errcode = 'PT400';
  end case;
  return done;
end
$$;
comment on function public.run_case_command(uuid, text, uuid, jsonb) is 'A case action from a device under its client-chosen command id, applied at most once: a resend applies nothing and answers the case as it is now. Actions: accept_report, start_report, comment_report, request_report_info, transfer_report, resolve_report, reject_report, escalate_report, change_report_category; args carries their arguments by name (note, reason, to_department, to_worker, photos, category, duplicate_of).';

-- Row-level security -----------------------------------------------------
alter table public.client_commands enable row level security;
-- No policy for anon or authenticated: the table is reached only through run_case_command.

-- Grants -----------------------------------------------------------------
revoke all on table public.client_commands from public, anon, authenticated;
grant select, insert, update, delete on table public.client_commands to service_role;
revoke execute on function public.run_case_command(uuid, text, uuid, jsonb) from public, anon;
grant execute on function public.run_case_command(uuid, text, uuid, jsonb) to authenticated, service_role;
