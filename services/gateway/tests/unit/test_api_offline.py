"""The /v1 app as the service builds it, before its database is there: problems, never a server error."""

from __future__ import annotations

import httpx

from guichet_gateway.app import create_app
from guichet_gateway.settings import GatewaySettings

WELL_FORMED_KEY = "gw_0123456789abcdef_" + "A" * 43


async def test_before_the_pool_is_filled_a_request_is_503_with_retry_after() -> None:
    app = create_app(GatewaySettings())
    transport = httpx.ASGITransport(app=app.web)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        waiting = await client.get("/v1/reason-codes", headers={"Authorization": f"Bearer {WELL_FORMED_KEY}"})
        anonymous = await client.get("/v1/reason-codes", headers={"Accept-Language": "en-GB"})

    assert (waiting.status_code, waiting.json()["code"], waiting.headers["retry-after"]) == (503, "UNAVAILABLE", "5")
    assert waiting.headers["content-type"] == "application/problem+json"
    assert (anonymous.status_code, anonymous.json()["title"]) == (401, "Authentication required")
