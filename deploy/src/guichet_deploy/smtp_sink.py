"""A real SMTP server that accepts every message and files it into a Maildir, for demos and tests.

python -m guichet_deploy.smtp_sink --host 127.0.0.1 --port 2525 --maildir .guichet/maildir
"""

from __future__ import annotations

import argparse
import asyncio
import mailbox
import signal
from pathlib import Path

import structlog
import uvloop
from aiosmtpd.smtp import SMTP, Envelope, Session

log = structlog.get_logger()


class MaildirHandler:
    """aiosmtpd handler: one Maildir file per accepted message (Maildir writes are atomic: tmp/ then new/)."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = mailbox.Maildir(maildir, create=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        raw_bytes = raw if isinstance(raw, bytes) else raw.encode()
        key = self.maildir.add(mailbox.MaildirMessage(raw_bytes))
        # Recipients are personal data: log how many, never who.
        log.info("mail_stored", key=key, recipients=len(envelope.rcpt_tos), size_bytes=len(raw_bytes))
        return "250 Message accepted for delivery"


class CountingHandler:
    """aiosmtpd handler that accepts and counts, storing nothing: a mail server's stand-in for `make bench`, where
    only the sender's side is ours to measure."""

    def __init__(self) -> None:
        self.accepted = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.accepted += 1
        if self.accepted % 10_000 == 0:
            log.info("mail_counted", accepted=self.accepted)
        return "250 Message accepted and discarded"


async def serve(host: str, port: int, maildir: Path | None) -> None:
    handler = MaildirHandler(maildir) if maildir is not None else CountingHandler()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="guichet-smtp-sink"), host, port)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info("smtp_sink_listening", host=host, port=port, maildir=str(maildir) if maildir else "(discarding)")
    await stop.wait()
    server.close()
    await server.wait_closed()
    log.info("smtp_sink_stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m guichet_deploy.smtp_sink", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    storage = parser.add_mutually_exclusive_group(required=True)
    storage.add_argument("--maildir", type=Path, help="file every message here")
    storage.add_argument("--discard", action="store_true", help="accept and count, store nothing (benchmarks)")
    args = parser.parse_args(argv)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ]
    )
    uvloop.run(serve(args.host, args.port, args.maildir))


if __name__ == "__main__":
    main()
