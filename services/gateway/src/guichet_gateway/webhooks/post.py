"""One webhook request: `POST <the portal's registered URL>`, the status event as the JSON body, signed the Standard
Webhooks way (`webhook-id` = the status's event_id, stable across retries and redeliveries, so the receiver can
drop a duplicate; `webhook-timestamp`; `webhook-signature: v1,<HMAC-SHA256 over id.timestamp.body>`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import math
import time
from urllib.parse import urlsplit

import httpx
import orjson
from standardwebhooks import Webhook

from guichet_gateway.webhooks.domain import AttemptResult, Clock, DueDelivery

USER_AGENT = "guichet-gateway-webhooks/1"


def new_client(timeout_s: float) -> httpx.AsyncClient:
    """The sender's HTTP client. SSRF hygiene: a redirect is an answer (a 3xx, so a retry), never followed, so only
    the URL an operator registered is ever called; no proxy, .netrc credentials or certificates from the
    environment (`trust_env`), which would send a portal's traffic, or our credentials, somewhere else."""
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(timeout_s),
        headers={"user-agent": USER_AGENT},
    )


def may_send_to(url: str, *, allow_http_loopback: bool) -> bool:
    """Checked again at each send, as `set_webhook` did when the URL was registered: settings may have changed."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    if not host or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and allow_http_loopback and _is_loopback(host)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SignedPost:
    """`service.Post` over httpx."""

    def __init__(self, client: httpx.AsyncClient, *, timeout_s: float, clock: Clock, allow_http_loopback: bool) -> None:
        self._client = client
        self._timeout_s = timeout_s
        self._clock = clock
        self._allow_http_loopback = allow_http_loopback

    async def __call__(self, delivery: DueDelivery) -> AttemptResult:
        if not delivery.url or not delivery.secret:
            return AttemptResult(None, "NoWebhookRegistered", 0)
        if not may_send_to(delivery.url, allow_http_loopback=self._allow_http_loopback):
            return AttemptResult(None, "WebhookUrlRefused", 0)
        try:
            body, headers = self.signed(delivery)
        # A secret that is not a whsec_ value cannot sign: this delivery's fault, recorded as its error class.
        except Exception as error:
            return AttemptResult(None, f"CannotSign:{type(error).__name__}", 0)
        started = time.perf_counter()
        try:
            # asyncio.timeout bounds the whole exchange; httpx's timeout is per read, which a receiver dripping
            # bytes would never trip.
            async with asyncio.timeout(self._timeout_s):
                # Streamed and never read: the receiver's body is not ours to keep, and it could be huge.
                async with self._client.stream("POST", delivery.url, content=body, headers=headers) as response:
                    status = response.status_code
        except (httpx.HTTPError, OSError, TimeoutError) as error:
            return AttemptResult(None, type(error).__name__, _ms_since(started))
        return AttemptResult(status, None, _ms_since(started))

    def signed(self, delivery: DueDelivery) -> tuple[bytes, dict[str, str]]:
        assert delivery.secret is not None
        body = orjson.dumps(delivery.payload)
        message_id = str(delivery.event_id)
        now = self._clock().astimezone(dt.UTC)  # the library reads the clock's fields as UTC
        signature = Webhook(delivery.secret).sign(message_id, now, body.decode())
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(math.floor(now.timestamp())),
            "webhook-signature": signature,
        }
        return body, headers


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
