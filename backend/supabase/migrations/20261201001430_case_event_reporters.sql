-- Residents' live channels at city size: every new case step names its report's reporter, so a
-- resident's channel can filter its steps (`reporter_id=eq.<me>`) as it already filters its
-- reports. Realtime matches a filter before it checks RLS: without one, every step of the city
-- was checked against every resident with the app open.
--
-- Set on insert only (a step never changes afterwards). Older steps keep null: a live channel
-- only ever sees new steps, so nothing needs them filled. It widens nothing: a step is readable
-- exactly when its report is (migration 0500), and the report shows its reporter.

alter table public.case_events add column reporter_id uuid;
comment on column public.case_events.reporter_id is
  'The report''s reporter (reports.reporter_id) when the step was written, kept by the database (null on steps older than migration 1430): what a resident''s live channel filters on.';

create function private.case_event_takes_reporter() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.reporter_id := (select r.reporter_id from public.reports r where r.id = new.report_id);
  return new;
end;
$$;
comment on function private.case_event_takes_reporter() is
  'BEFORE INSERT on case_events: the step names its report''s reporter (never the writer''s value).';
revoke all on function private.case_event_takes_reporter() from public, anon, authenticated;

create trigger case_events_take_reporter
  before insert on public.case_events
  for each row execute function private.case_event_takes_reporter();
