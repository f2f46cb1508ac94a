"""Where the console finds the stack: the same environment variables as the services, else the local stack.

KAFKA_BOOTSTRAP_SERVERS, GUICHET_TOPIC_PREFIX and <SERVICE>_DATABASE_URL, as `make env` prints them. Without
KAFKA_BOOTSTRAP_SERVERS, and unless every database a command needs has its URL set, the console asks the local
launcher for the stack `make up` / `make demo` runs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass

import asyncpg
import typer

from guichet_common.db import create_pool

SERVICES = ("intake", "eligibility", "payments", "notifications")


class StackNotConfigured(typer.BadParameter):
    """A variable the command needs is missing from a configured environment: a usage error (exit code 2), which
    typer reports as such when a command raises it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, param_hint="the environment")


@dataclass(frozen=True, repr=False)
class Stack:
    kafka_bootstrap: str
    topic_prefix: str
    database_urls: Mapping[str, str]  # service -> DSN (carries a password: never print it)
    # PAYMENTS_INBOUND_DIR as the services get it, when set: where `guichet finance import` drops bank files.
    payments_inbound_dir: str | None = None

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    @contextlib.asynccontextmanager
    async def connection(self, service: str, *, decode_json: bool = False) -> AsyncIterator[asyncpg.Connection]:
        """One connection to `service`'s database, in one read-only transaction: the console only reads the
        services' databases (its decisions go through the back-office, `backoffice_api`).

        With `decode_json`, json/jsonb come back as Python values, as in the service itself: what the service's own
        code (the review queue, a what-if replay) expects of the connection it is given."""
        if decode_json:
            pool = await create_pool(self.database_urls[service], size=1, connect_timeout_s=10)
            try:
                async with pool.acquire() as conn, conn.transaction(readonly=True):
                    yield conn
            finally:
                await pool.close()
            return
        conn = await asyncpg.connect(self.database_urls[service], timeout=10)
        try:
            async with conn.transaction(readonly=True):
                yield conn
        finally:
            await conn.close()


def current_stack(environ: Mapping[str, str] | None = None, *, databases: Collection[str] = SERVICES) -> Stack:
    """The stack from the environment; the local one when nothing says where the stack is.

    `databases`: the services whose database the command reads. A command that needs only eligibility's (review,
    whatif) or payments' (reconcile) runs with just that URL set, as those commands always have."""
    env = os.environ if environ is None else environ
    wanted = {name: f"{name.upper()}_DATABASE_URL" for name in databases}
    configured = "KAFKA_BOOTSTRAP_SERVERS" in env or all(variable in env for variable in wanted.values())
    if not configured:
        from guichet_deploy.infra import ensure_infra

        env = {**ensure_infra().service_env(), **env}
    missing = [variable for variable in wanted.values() if variable not in env]
    if missing:
        raise StackNotConfigured(
            f"{', '.join(missing)} not set (set the variables `make env` prints, or unset KAFKA_BOOTSTRAP_SERVERS"
            " to use the local stack)"
        )
    return Stack(
        kafka_bootstrap=env.get("KAFKA_BOOTSTRAP_SERVERS", ""),
        topic_prefix=env.get("GUICHET_TOPIC_PREFIX", ""),
        database_urls={name: env[variable] for name, variable in wanted.items()},
        payments_inbound_dir=env.get("PAYMENTS_INBOUND_DIR"),
    )
