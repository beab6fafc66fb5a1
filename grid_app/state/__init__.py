"""The grid app's session state: plain classes, no flet (AppState on shared/app_core.py)."""
