"""What intake's submission use case reads and writes: a submission as decoded, and the repository and unit of work
it runs on (Protocols: the Postgres ones, or the fakes of the unit tests), with the pure helpers it shares."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from guichet_common.contracts import ClaimSubmittedV1
from guichet_common.privacy.keyring import KeyRing
from guichet_intake import edge
from guichet_intake.domain import Refusal, Registration
from guichet_intake.salvage import usable_claim_id


@dataclass(frozen=True)
class Submission:
    """One readable claims.submitted.v1 record as the use case sees it. Schema-invalid ones come too: their claim_id
    is salvaged so that the portal hears why they were refused."""

    event_id: uuid.UUID  # the payload's, or one derived from the record's coordinates when it has none usable
    payload: dict[str, Any]  # the whole event as received
    event: ClaimSubmittedV1 | None  # None when the payload fails the contract...
    schema_errors: tuple[str, ...] = ()  # ...and then its failing field paths and messages (no values)
    coordinates: str = ""  # topic/partition/offset of its record, for the logs
    door: str | None = None  # the Kafka portal whose own topic it came on; None: the shared claims.submitted.v1


class ClaimsRepository(Protocol):
    """What intake keeps: registered claims and refused submissions, with the content digest that owns a claim_id."""

    async def registered_digests(self, claim_ids: Sequence[str]) -> dict[str, str]:
        """The content digest of each claim already registered under one of `claim_ids`."""
        ...

    async def refused_owner_digests(self, claim_ids: Sequence[str]) -> dict[str, str]:
        """The content digest of the refused submission that took each of `claim_ids` first, where one did."""
        ...

    async def register(self, registrations: Sequence[Registration]) -> None:
        """Store claims that passed every check; a claim_id is registered once."""
        ...

    async def record_refusals(self, refusals: Sequence[Refusal]) -> None:
        """Refusals are kept once per event_id: a replayed one is not recorded twice."""
        ...


class ClaimsUnitOfWork(Protocol):
    """What the use case needs of its unit of work (the Postgres one, or the fake of the unit tests)."""

    @property
    def claims(self) -> ClaimsRepository: ...

    @property
    def keys(self) -> KeyRing: ...


def edge_view(event: ClaimSubmittedV1, payload: dict[str, Any]) -> edge.Submission:
    claim = event.claim
    return edge.Submission(
        payload=payload,
        submitted_at=claim.submitted_at,
        activity_started_on=claim.applicant.activity_started_on,
        bank=edge.BankAccount(claim.bank_account.iban, claim.bank_account.bic, claim.bank_account.holder_name),
        invoices=tuple(
            edge.Invoice(i.amount_excl_tax_cents, i.amount_incl_tax_cents, i.issued_on) for i in claim.invoices
        ),
    )


def usable_claim_id_of(payload: dict[str, Any]) -> str | None:
    claim = payload.get("claim")
    return usable_claim_id(claim.get("claim_id")) if isinstance(claim, dict) else None


def content_digest(claim: dict[str, Any]) -> str:
    # Canonical: sorted keys, compact, UTF-8 (what json.dumps(sort_keys, separators, ensure_ascii=False) gives).
    return hashlib.sha256(orjson.dumps(claim, option=orjson.OPT_SORT_KEYS)).hexdigest()
