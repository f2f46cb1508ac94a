"""A service's web app gets every HTTP path but the operational routes, which stay FastStream's."""

from __future__ import annotations

from typing import Any

from guichet_common.runtime import Wiring, build_app
from guichet_common.settings import CommonSettings


async def get(app: Any, path: str) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def web_app(wiring: Wiring) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = f"{wiring.name} page {scope['path']}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})

    return app


def service(**web: Any) -> Any:
    return build_app(name="pages", settings=CommonSettings(), migrations=__file__, wire=lambda _: None, **web)  # type: ignore[arg-type]


async def test_every_path_the_operational_routes_leave_goes_to_the_web_app() -> None:
    app = service(web=web_app)
    assert await get(app, "/") == (200, b"pages page /")
    assert await get(app, "/claims/C-1") == (200, b"pages page /claims/C-1")
    status, body = await get(app, "/healthz")
    assert status == 200 and b"alive" in body
    status, body = await get(app, "/metrics")
    assert status == 200 and b"pages page" not in body


async def test_without_a_web_app_other_paths_are_not_found() -> None:
    status, _ = await get(service(), "/claims/C-1")
    assert status == 404
