"""`/storage/v1`: Supabase Storage's HTTP API over `storage.objects` rows and files in the state folder;
`routes.storage_routes()` is what the gateway mounts."""
