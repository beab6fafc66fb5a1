"""Administration through the API with the service-role key (what `cityloop worker add` does)."""
