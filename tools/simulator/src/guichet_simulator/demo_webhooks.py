"""The demo portal's webhook receiver: a bare HTTP endpoint on 127.0.0.1 (the launcher lets the gateway post to
loopback over plain http) that checks each delivery's Standard Webhooks signature with the portal's secret and keeps
the status events by their webhook id, so a delivery sent twice counts once."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field

MAX_BODY = 1 << 20


@dataclass
class WebhookReceiver:
    secret: str = ""  # set once the gateway has given the portal its secret
    statuses: dict[str, dict] = field(default_factory=dict)  # webhook-id -> the claims.status.v1 event
    refused: int = 0  # deliveries whose signature did not verify
    _server: asyncio.Server | None = None

    async def start(self) -> str:
        """Listens on a free port of 127.0.0.1; returns the URL to register."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/webhooks/guichet"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    def statuses_of(self, claim_id: str) -> list[str]:
        return [event["status"] for event in self.statuses.values() if event.get("claim_id") == claim_id]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            headers, body = await asyncio.wait_for(_read_request(reader), 10)
            accepted = self._accept(headers, body)
            status = "204 No Content" if accepted else "401 Unauthorized"
            writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
        except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError):
            pass  # the gateway retries what it did not see answered
        finally:
            writer.close()

    def _accept(self, headers: dict[str, str], body: bytes) -> bool:
        from standardwebhooks import Webhook  # the library the gateway signs with
        from standardwebhooks.webhooks import WebhookVerificationError

        try:
            Webhook(self.secret).verify(body, headers)
        except (WebhookVerificationError, ValueError):
            self.refused += 1
            return False
        self.statuses[headers["webhook-id"]] = json.loads(body)
        return True


async def _read_request(reader: asyncio.StreamReader) -> tuple[dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    headers = {
        name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines if line)
    }
    length = int(headers.get("content-length", "0"))
    if length > MAX_BODY:
        raise ValueError("body too large")
    return headers, await reader.readexactly(length)
