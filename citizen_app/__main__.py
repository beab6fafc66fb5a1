"""`python -m citizen_app`: serve the resident app on CITYLOOP_CITIZEN_PORT (default 8550)."""

from .main import run

run()
