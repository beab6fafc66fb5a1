-- A reporter may withdraw an open case (withdraw_report, migration 20261201000800). The enum value
-- is added here on its own: PostgreSQL refuses to use a new enum value in the transaction that
-- added it, and each migration runs in one transaction.

-- Types ------------------------------------------------------------------
alter type public.report_status add value if not exists 'withdrawn' after 'rejected';
comment on type public.report_status is 'Case lifecycle: submitted -> dispatched -> accepted -> in_progress -> resolved -> closed, with needs_info, transferred, reopened, rejected; withdrawn by the reporter while open. Closed states: resolved, closed, rejected, withdrawn (private.is_open_status).';
