"""Where the console finds the stack: the same environment variables as the services, else the local stack.

KAFKA_BOOTSTRAP_SERVERS, GUICHET_TOPIC_PREFIX and <SERVICE>_DATABASE_URL, as `make env` prints them. Without
KAFKA_BOOTSTRAP_SERVERS the console asks the local launcher for the stack `make up` / `make demo` runs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import asyncpg

SERVICES = ("intake", "eligibility", "payments", "notifications")


@dataclass(frozen=True, repr=False)
class Stack:
    kafka_bootstrap: str
    topic_prefix: str
    database_urls: Mapping[str, str]  # service -> DSN (carries a password: never print it)

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    @contextlib.asynccontextmanager
    async def connection(self, service: str, *, readonly: bool = True) -> AsyncIterator[asyncpg.Connection]:
        """One connection to `service`'s database, in one transaction (read-only unless asked)."""
        conn = await asyncpg.connect(self.database_urls[service], timeout=10)
        try:
            async with conn.transaction(readonly=readonly):
                yield conn
        finally:
            await conn.close()


def current_stack(environ: Mapping[str, str] | None = None) -> Stack:
    env = os.environ if environ is None else environ
    if "KAFKA_BOOTSTRAP_SERVERS" not in env:
        from guichet_deploy.infra import ensure_infra

        env = {**ensure_infra().service_env(), **env}
    return Stack(
        kafka_bootstrap=env["KAFKA_BOOTSTRAP_SERVERS"],
        topic_prefix=env.get("GUICHET_TOPIC_PREFIX", ""),
        database_urls={name: env[f"{name.upper()}_DATABASE_URL"] for name in SERVICES},
    )
