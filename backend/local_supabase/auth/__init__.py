"""`/auth/v1`: a GoTrue-compatible auth service; `routes.auth_routes()` is what the gateway mounts."""
