"""One claim's records in each service's own database, read-only; a database that cannot be read is reported,
not fatal, so the operator still sees what the others know."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from guichet_common.privacy.erasures import Erasure, PostgresErasures
from guichet_console.connect import Stack
from guichet_eligibility import operators as eligibility
from guichet_intake import operators as intake
from guichet_notifications import operators as notifications
from guichet_payments import operators as payments

_CREDENTIALS = re.compile(r"://[^@\s/]*@")
# A database that cannot be reached or entered; an SQL error is a bug and must not pass for an outage.
UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.CannotConnectNowError,
)


@dataclass
class ClaimHistory:
    claim_id: str
    intake: dict[str, Any] = field(default_factory=dict)  # registration, refusals
    eligibility: dict[str, Any] | None = None
    payments: dict[str, Any] = field(default_factory=dict)  # payment, attempts, waitlist, control, recovery
    emails: list[dict[str, Any]] = field(default_factory=list)
    erasures: dict[str, list[Erasure]] = field(default_factory=dict)  # service -> what it erased of the claim
    unreachable: dict[str, str] = field(default_factory=dict)  # service -> why

    @property
    def found(self) -> bool:
        return bool(
            self.intake.get("registration")
            or self.intake.get("refusals")
            or self.eligibility
            or self.payments.get("payment")
            or self.payments.get("waitlist")
            or self.emails
        )


async def _intake(conn: asyncpg.Connection, history: ClaimHistory) -> None:
    history.intake = {
        "registration": await intake.registration(conn, history.claim_id),
        "refusals": await intake.refusals(conn, history.claim_id),
    }


async def _eligibility(conn: asyncpg.Connection, history: ClaimHistory) -> None:
    history.eligibility = await eligibility.judgement(conn, history.claim_id)


async def _payments(conn: asyncpg.Connection, history: ClaimHistory) -> None:
    payment = await payments.payment(conn, history.claim_id)
    history.payments = {
        "payment": payment,
        "attempts": await payments.attempts(conn, payment["payment_id"]) if payment else [],
        "waitlist": await payments.waitlist_entry(conn, history.claim_id),
        "control": await payments.control_of(conn, history.claim_id),
        "recovery": await payments.recovery_order(conn, claim_id=history.claim_id),
    }


async def _notifications(conn: asyncpg.Connection, history: ClaimHistory) -> None:
    history.emails = await notifications.emails(conn, history.claim_id)


READERS: dict[str, Callable[[asyncpg.Connection, ClaimHistory], Awaitable[None]]] = {
    "intake": _intake,
    "eligibility": _eligibility,
    "payments": _payments,
    "notifications": _notifications,
}


async def collect(stack: Stack, claim_id: str) -> ClaimHistory:
    history = ClaimHistory(claim_id)

    async def read(service: str) -> None:
        try:
            async with stack.connection(service) as conn:
                await READERS[service](conn, history)
                history.erasures[service] = await erasures_of(conn, history.claim_id)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            history.unreachable[service] = why(error)

    await asyncio.gather(*(read(service) for service in READERS))
    return history


async def erasures_of(conn: asyncpg.Connection, claim_id: str) -> list[Erasure]:
    """What the service erased of the claim (issue 18), oldest first; none where its database predates erasures."""
    try:
        found = await PostgresErasures(conn).of([claim_id])
    except asyncpg.UndefinedTableError:
        return []
    return sorted(found.values(), key=lambda erasure: (erasure.erased_at, erasure.kind))


def why(error: BaseException) -> str:
    # A DSN in an error message would carry the database password.
    return f"{type(error).__name__}: {_CREDENTIALS.sub('://***@', str(error))}".rstrip(": ")
