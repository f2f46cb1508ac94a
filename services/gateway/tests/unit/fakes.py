"""The gateway's unit of work in memory, for the use cases' unit tests: each method does what its SQL twin in
guichet_gateway.repository does."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from guichet_common.contracts import EXAMPLES
from guichet_common.unit_of_work import FakeUnitOfWork
from guichet_gateway.repository import Accepted, StatusEntry

EXAMPLE_CLAIM: Mapping[str, Any] = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text())["claim"]


class InMemoryGateway:
    def __init__(self) -> None:
        self.claims: dict[str, Accepted] = {}
        self.programmes: dict[str, str] = {}
        self.bank_details: dict[tuple[str, bytes], Accepted] = {}
        self.statuses: dict[str, list[StatusEntry]] = {}

    async def accepted_claim(self, claim_id: str) -> Accepted | None:
        return self.claims.get(claim_id)

    async def accept_claim(self, accepted: Accepted, programme: str) -> bool:
        if accepted.claim_id in self.claims:
            return False
        self.claims[accepted.claim_id] = accepted
        self.programmes[accepted.claim_id] = programme
        return True

    async def accepted_bank_details(self, claim_id: str, body_sha256: bytes) -> Accepted | None:
        return self.bank_details.get((claim_id, body_sha256))

    async def accept_bank_details(self, accepted: Accepted) -> bool:
        key = (accepted.claim_id, accepted.body_sha256)
        if key in self.bank_details:
            return False
        self.bank_details[key] = accepted
        return True

    async def programmes_of(self, claim_ids: Iterable[str]) -> dict[str, str]:
        return {claim_id: self.programmes[claim_id] for claim_id in claim_ids if claim_id in self.programmes}

    async def history(self, claim_id: str) -> list[StatusEntry]:
        return list(self.statuses.get(claim_id, []))


class FakeGatewayWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.gateway = InMemoryGateway()
