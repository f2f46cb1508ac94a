"""A real SMTP server (aiosmtpd) for the sender's tests, which can refuse chosen recipients like a real one."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from guichet_deploy.procs import free_port


class SmtpInbox:
    """Keeps every accepted message; answers RCPT with a chosen reply for chosen addresses."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.replies_by_recipient: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.replies_by_recipient.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"

    def parsed(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for raw in self.messages
        ]


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[SmtpInbox, int]]:
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
