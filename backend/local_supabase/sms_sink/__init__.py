"""The local SMS sink: where the local stack's text messages end up, as Supabase's local
stack ships a mail sink. `routes.sink_routes()` is mounted at `/sink/sms`; `store.Outbox`
is the file the messages live in (also read by `cityloop sms outbox`).

Part of the local stack only: it imports nothing from the application packages.
"""
