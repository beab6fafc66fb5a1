"""The application's HTTP functions and jobs, composed once (host.py) and served either beside the
local stack (local.py) or on their own against any Supabase project (serve.py)."""
