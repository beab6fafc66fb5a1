"""Code shared by both apps and the jobs: models, rules, backend access. Never imports flet."""
