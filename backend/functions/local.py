"""The local stack with the application composed beside it: what `cityloop backend start` and
`cityloop run` serve (`python -m backend.local_supabase.serve --app backend.functions.local:app_factory`).

The stack stays generic; this module hands it the application's functions and jobs as an extension,
pointed at the stack's own API with its service-role key, as `cityloop functions serve` is pointed
at a hosted project.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.applications import Starlette

from backend.local_supabase.config import Secrets, Settings, load_secrets
from backend.local_supabase.gateway import create_app
from backend.local_supabase.stack import Stack

from .config import FunctionsSettings
from .host import Functions

GATEWAY_APP = "backend.functions.local:app_factory"


def functions_for(settings: Settings, secrets: Secrets, environ: Mapping[str, str] | None = None) -> Functions:
    """The application pointed at this stack; intervals and the rest from `environ` (default: the process's)."""
    return Functions(FunctionsSettings.from_environ(
        # Its calls stay on loopback whatever address the gateway listens on; payers get the public URL.
        environ, supabase_url=f"http://127.0.0.1:{settings.api_port}", service_role_key=secrets.service_role_key,
        public_url=settings.api_url, home=settings.home))


def app_factory() -> Starlette:
    settings = Settings.from_environ()
    secrets = load_secrets(settings, create=False)
    return create_app(settings, secrets, extensions=[functions_for(settings, secrets)])


def local_stack() -> Stack:
    """The local stack whose gateway serves the application's functions and runs its jobs."""
    return Stack.from_environ(gateway_app=GATEWAY_APP)
