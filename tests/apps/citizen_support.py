"""What the resident app's browserless tests share: a session state, a photo, a switchable network."""

from __future__ import annotations

import asyncio
import contextlib
import io
from pathlib import Path

from PIL import Image

from citizen_app.state.app import AppState, RecordingShell
from shared.prefs import MemoryPrefs
from shared.client import CityClient
from shared.config import BackendConfig


class FakePage:
    """Only what views call on `state.page` outside a browser: run_task."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task] = []

    def run_task(self, handler, *args):
        task = asyncio.get_running_loop().create_task(handler(*args))
        self.tasks.append(task)
        return task


def new_state(url: str, key: str, data_dir: Path, prefs: MemoryPrefs | None = None) -> AppState:
    state = AppState(BackendConfig(url, key, "environment"), prefs or MemoryPrefs(), RecordingShell(),
                     data_dir=data_dir)
    state.page = FakePage()
    return state


def account(make_user) -> tuple[str, str]:
    """A resident's e-mail and password on the real stack."""
    user = make_user(app_metadata={"role": "citizen"})
    return user.email, user.password


def jpeg(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 90, 40)).save(out, "JPEG", quality=80)
    return out.getvalue()


async def signed_in_client(url: str, key: str, email: str, password: str) -> CityClient:
    client = await CityClient.connect(url=url, key=key)
    await client.auth.sign_in(email, password)
    return client


class Switch:
    """A TCP relay in front of the backend that can be cut and restored: a real network outage."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port: int | None = None
        self._server: asyncio.base_events.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def on(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port or 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def off(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._open):
            writer.close()
        self._open.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._open.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@contextlib.contextmanager
def sole_worker(db, grid_id: str, worker_id: str):
    """Make `worker_id` the only on-duty worker of `grid_id` (so dispatch is predictable), then put back
    the grid's previous workers: later test modules rely on their own assignments."""
    from tests.backend.core_support import assign_worker, only_workers

    before = db.execute("select g.worker_id::text, coalesce(d.on_duty, false) from public.worker_grids g"
                        " left join public.worker_duty d using (worker_id) where g.grid_id = %s", (grid_id,)).fetchall()
    only_workers(db, grid_id, (worker_id, True))
    try:
        yield
    finally:
        db.execute("delete from public.worker_grids where grid_id = %s and worker_id = %s", (grid_id, worker_id))
        for other, on_duty in before:
            assign_worker(db, other, grid_id, on_duty)


@contextlib.contextmanager
def demo_city_worker(db, make_user):
    """The demo city, with a new grid worker as the only one on duty in its first grid (yielded)."""
    from tests.backend.core_support import GRIDS, ensure_demo_city

    ensure_demo_city(db)
    worker = make_user(app_metadata={"role": "grid_worker"})
    with sole_worker(db, GRIDS[0], worker.id):
        yield worker
