"""`/realtime/v1/websocket`: Supabase Realtime's Phoenix protocol, postgres_changes checked against RLS.

Modules: service (the route, start/stop), connection (one socket), protocol (frames),
join (channel config and tokens), channels and presence (registries), capture
(LISTEN), fanout (matching and sending), rls (visibility checks), catalog (table
shapes, grants, policies), filters.
"""
