"""`/realtime/v1/websocket`: Supabase Realtime's Phoenix protocol, postgres_changes checked against RLS."""
