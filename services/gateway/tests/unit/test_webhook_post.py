"""One signed webhook request, on httpx's mock transport: the body is the status event, the headers verify with the
standardwebhooks package under the portal's secret, a redirect is an answer (never followed), an error is its
class, and only https URLs (plain http to loopback when allowed) are ever called."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import uuid

import httpx
import orjson
import pytest
from standardwebhooks import Webhook

from guichet_gateway.webhooks.domain import DueDelivery
from guichet_gateway.webhooks.post import SignedPost, may_send_to

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
EVENT = {"event_id": str(uuid.uuid4()), "claim_id": "CFN-1", "status": "approved", "reasons": []}


def delivery(url: str = "https://cci.example/hook?t=1", secret: str | None = SECRET) -> DueDelivery:
    started = dt.datetime.now(dt.UTC)
    return DueDelivery(7, "cci", "CFN-1", uuid.UUID(EVENT["event_id"]), 1, 0, started, url, secret, EVENT)


def post_with(handler: httpx.MockTransport, *, allow_http_loopback: bool = False) -> SignedPost:
    client = httpx.AsyncClient(transport=handler, follow_redirects=False)
    now = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
    return SignedPost(client, timeout_s=0.5, clock=now, allow_http_loopback=allow_http_loopback)


async def test_the_request_is_the_event_signed_the_standard_webhooks_way() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    result = await post_with(httpx.MockTransport(answer))(delivery())
    assert (result.http_status, result.error, result.delivered) == (204, None, True)
    (request,) = seen
    assert str(request.url) == "https://cci.example/hook?t=1" and request.method == "POST"
    assert request.headers["webhook-id"] == EVENT["event_id"]
    assert Webhook(SECRET).verify(request.content, dict(request.headers)) == EVENT
    assert orjson.loads(request.content) == EVENT
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + base64.b64encode(b"x" * 32).decode()).verify(request.content, dict(request.headers))


async def test_a_redirect_is_an_answer_and_is_not_followed() -> None:
    hits: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        hits.append(request.url.path)
        return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/meta-data"})

    result = await post_with(httpx.MockTransport(answer))(delivery())
    assert (result.http_status, result.delivered, hits) == (302, False, ["/hook"])


async def test_an_unreachable_or_slow_receiver_is_an_error_class() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(204)

    assert (await post_with(httpx.MockTransport(refuse))(delivery())).error == "ConnectError"
    assert (await post_with(httpx.MockTransport(slow))(delivery())).error == "TimeoutError"


async def test_nothing_is_sent_without_a_registered_url_or_a_usable_secret() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    post = post_with(httpx.MockTransport(fail))
    assert (await post(delivery(url=None))).error == "NoWebhookRegistered"  # type: ignore[arg-type]
    assert (await post(delivery(url="http://cci.example/hook"))).error == "WebhookUrlRefused"
    assert (await post(delivery(secret="whsec_"))).error is not None


@pytest.mark.parametrize(
    ("url", "loopback_allowed", "sendable"),
    [
        ("https://cci.example/hook", False, True),
        ("http://cci.example/hook", True, False),
        ("http://127.0.0.1:8080/hook", False, False),
        ("http://127.0.0.1:8080/hook", True, True),
        ("http://[::1]/hook", True, True),
        ("http://localhost/hook", True, True),
        ("https://user:pw@cci.example/hook", False, False),
        ("ftp://cci.example/hook", True, False),
        ("https:///nohost", False, False),
        ("https://[::1/hook", False, False),
    ],
)
def test_only_https_or_loopback_http_when_allowed(url: str, loopback_allowed: bool, sendable: bool) -> None:
    assert may_send_to(url, allow_http_loopback=loopback_allowed) is sendable
