"""What every request shares (the pool, how a unit of work is made, the limits), and the steps before a route's
use case: who is calling (bearer key), under their rate limit, with a JSON body of an allowed size."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import asyncpg
import structlog
from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from guichet_common.db import TRANSIENT_DB_ERRORS, PoolSlot
from guichet_common.unit_of_work import open_unit_of_work
from guichet_gateway.digests import DigestKey
from guichet_gateway.http.problems import ProblemError
from guichet_gateway.http.rate_limit import SlidingWindowLimiter
from guichet_gateway.keys import key_id_of, key_matches
from guichet_gateway.repository import PostgresGateway
from guichet_gateway.unit_of_work import GatewayUnitOfWork

RETRY_UNAVAILABLE_S = "5"
bearer = HTTPBearer(auto_error=False, description="The portal's API key: `Authorization: Bearer gw_…`")
log = structlog.get_logger()


@dataclass
class ApiContext:
    pool: PoolSlot
    unit_of_work: Callable[[], Callable[[asyncpg.Connection], GatewayUnitOfWork]]  # read when used: wired late
    topic_prefix: str
    max_body_bytes: int
    default_rate_limit_per_minute: int
    digest_key: DigestKey  # keys a post's digest (guichet_gateway.digests): the master key's, from the settings
    limiter: SlidingWindowLimiter = field(default_factory=SlidingWindowLimiter)
    clock: Callable[[], float] = time.monotonic

    @contextlib.asynccontextmanager
    async def unit(self) -> AsyncIterator[GatewayUnitOfWork]:
        async with database(), open_unit_of_work(self.pool, self.unit_of_work()) as uow:
            yield uow

    async def portal(self, credentials: HTTPAuthorizationCredentials | None) -> str:
        """The calling portal's name; 401 for a missing, malformed, unknown or rotated key or a disabled portal,
        429 over the portal's rate limit."""
        api_key = credentials.credentials if credentials is not None else ""
        if (key_id := key_id_of(api_key)) is None:
            raise ProblemError("UNAUTHORIZED", headers={"WWW-Authenticate": "Bearer"})
        async with database(), self.pool.acquire() as conn:
            found = await PostgresGateway(conn).portal_key(key_id)
        if found is None or found.disabled or not key_matches(api_key, found.key_sha256):
            raise ProblemError("UNAUTHORIZED", headers={"WWW-Authenticate": "Bearer"})
        limit = found.rate_limit_per_minute or self.default_rate_limit_per_minute
        if (wait_s := self.limiter.admit(found.name, limit, self.clock())) is not None:
            log.info("portal_rate_limited", portal=found.name, limit_per_minute=limit)
            raise ProblemError("RATE_LIMITED", headers={"Retry-After": str(wait_s)})
        return found.name

    async def json_body(self, request: Request) -> bytes:
        """The raw body of a JSON request: 415 for another media type, 413 beyond the size limit (read no further)."""
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            raise ProblemError("UNSUPPORTED_MEDIA_TYPE")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise ProblemError("BODY_TOO_LARGE")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise ProblemError("BODY_TOO_LARGE")
            chunks.append(chunk)
        return b"".join(chunks)


@contextlib.asynccontextmanager
async def database() -> AsyncIterator[None]:
    """A database away (or not yet connected, while the service starts) is answered 503, not 500."""
    try:
        yield
    except TRANSIENT_DB_ERRORS as error:
        log.warning("gateway_database_unavailable", error=type(error).__name__)
        raise ProblemError("UNAVAILABLE", headers={"Retry-After": RETRY_UNAVAILABLE_S}) from error
    except RuntimeError as error:
        if "pool is created when the service starts" not in str(error):
            raise
        raise ProblemError("UNAVAILABLE", headers={"Retry-After": RETRY_UNAVAILABLE_S}) from error


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
