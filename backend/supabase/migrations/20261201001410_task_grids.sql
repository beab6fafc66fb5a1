-- The worker's inbox at city size (issue 15, "Scale"): every task carries its report's grid, so a
-- grid worker's live channel can name a filter (`grid_id=in.(my grids)`, plus `assignee_id=eq.me`
-- for tasks handed to them from another grid). Realtime matches a filter before it checks RLS, so
-- a change costs the server the few workers of its grid, not every worker of the city.
--
-- The column is a copy of reports.grid_id kept by the database: set when a task is written, and
-- rewritten when dispatch (or a correction) moves the report to another grid. It widens nothing:
-- a task is readable exactly when its report is ("People can read tasks of reports they can
-- read", migration 0500), and the report shows its grid.

alter table public.tasks add column grid_id uuid references public.areas (id);
comment on column public.tasks.grid_id is
  'The report''s grid (reports.grid_id), kept by the database: what a grid worker''s live channel filters on.';

update public.tasks t set grid_id = r.grid_id
  from public.reports r
  where r.id = t.report_id and r.grid_id is not null and t.grid_id is distinct from r.grid_id;

create index tasks_grid_id_idx on public.tasks (grid_id);

-- A task takes its report's grid when it is written (its report_id never changes afterwards, but
-- a direct write of grid_id is overruled too: the column is the report's, never the writer's).
create function private.task_takes_report_grid() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.grid_id := (select r.grid_id from public.reports r where r.id = new.report_id);
  return new;
end;
$$;
comment on function private.task_takes_report_grid() is
  'BEFORE INSERT/UPDATE of report_id, grid_id on tasks: the task''s grid is its report''s.';
revoke all on function private.task_takes_report_grid() from public, anon, authenticated;

create trigger tasks_take_report_grid
  before insert or update of report_id, grid_id on public.tasks
  for each row execute function private.task_takes_report_grid();

-- The report moved to another grid: its tasks follow (one UPDATE per task, which Realtime sends
-- to the workers of the new grid; the old grid's workers can no longer read the report).
create function private.tasks_follow_report_grid() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.tasks t set grid_id = new.grid_id
    where t.report_id = new.id and t.grid_id is distinct from new.grid_id;
  return null;
end;
$$;
comment on function private.tasks_follow_report_grid() is
  'AFTER UPDATE of grid_id on reports: the report''s tasks take the new grid.';
revoke all on function private.tasks_follow_report_grid() from public, anon, authenticated;

create trigger reports_move_tasks_with_grid
  after update of grid_id on public.reports
  for each row when (old.grid_id is distinct from new.grid_id)
  execute function private.tasks_follow_report_grid();
