-- Demo data for the local stack (`cityloop db reset`, first `make run`).
-- Reference data the product needs lives in migrations; only demo content belongs here.
-- Demo accounts are created before this file runs (backend/supabase/demo_users.json).
select 1;
