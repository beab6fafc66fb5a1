"""`python -m grid_app`: serve the grid-worker app on CITYLOOP_GRID_PORT (default 8551)."""

from .main import run

run()
