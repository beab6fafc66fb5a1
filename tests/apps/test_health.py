"""shared/health.py: the backend check behind 后端已连接 / 后端未连接."""

from __future__ import annotations

import httpx

from shared.config import BackendConfig
from shared.health import backend_answers

CONFIG = BackendConfig("http://backend.test", "anon-key", "environment")


def _transport(answers: dict[str, int], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(answers.get(request.url.path, 404))

    return httpx.MockTransport(handle)


async def test_auth_health_with_the_apikey_header():
    seen: list[httpx.Request] = []
    assert await backend_answers(CONFIG, transport=_transport({"/auth/v1/health": 200}, seen))
    assert [r.headers["apikey"] for r in seen] == ["anon-key"]


async def test_falls_back_to_the_gateway_health():
    seen: list[httpx.Request] = []
    assert await backend_answers(CONFIG, transport=_transport({"/health": 200}, seen))
    assert [r.url.path for r in seen] == ["/auth/v1/health", "/health"]


async def test_no_health_endpoint_means_not_connected():
    assert not await backend_answers(CONFIG, transport=_transport({}, []))


async def test_unreachable_means_not_connected():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    assert not await backend_answers(CONFIG, transport=httpx.MockTransport(refuse))


async def test_no_key_sends_no_apikey_header():
    seen: list[httpx.Request] = []
    config = BackendConfig("http://backend.test", "", "local stack")
    assert await backend_answers(config, transport=_transport({"/auth/v1/health": 200}, seen))
    assert "apikey" not in seen[0].headers
