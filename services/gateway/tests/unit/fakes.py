"""The gateway's unit of work in memory, for the use cases' unit tests: each method does what its SQL twin in
guichet_gateway.repository does."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from guichet_common.contracts import EXAMPLES
from guichet_common.unit_of_work import FakeUnitOfWork
from guichet_gateway.digests import DigestKey
from guichet_gateway.repository import Accepted, StatusEntry

EXAMPLE_CLAIM: Mapping[str, Any] = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text())["claim"]


class InMemoryGateway:
    def __init__(self) -> None:
        self.claims: dict[str, Accepted] = {}
        self.programmes: dict[str, str] = {}
        self.bank_details: dict[tuple[str, bytes], Accepted] = {}
        self.statuses: dict[str, list[StatusEntry]] = {}
        self.keyed: set[object] = set()  # claim ids, (claim_id, digest) of bank details: digests keyed

    async def accepted_claim(self, claim_id: str) -> Accepted | None:
        return self.claims.get(claim_id)

    async def accept_claim(self, accepted: Accepted, programme: str, *, keyed: bool = True) -> bool:
        if accepted.claim_id in self.claims:
            return False
        self.claims[accepted.claim_id] = accepted
        if keyed:  # as the SQL twin writes it; a test passes False for a row from before keyed digests
            self.keyed.add(accepted.claim_id)
        self.programmes[accepted.claim_id] = programme
        return True

    async def accepted_bank_details(self, claim_id: str, digests: Sequence[bytes]) -> Accepted | None:
        return next((found for d in digests if (found := self.bank_details.get((claim_id, d)))), None)

    async def accept_bank_details(self, accepted: Accepted) -> bool:
        key = (accepted.claim_id, accepted.body_sha256)
        if key in self.bank_details:
            return False
        self.bank_details[key] = accepted
        self.keyed.add(key)
        return True

    async def key_digests(self, claim_ids: Iterable[str], key: DigestKey) -> int:
        wanted = set(claim_ids)
        plain_claims = {c for c in wanted if c in self.claims and c not in self.keyed}
        for claim_id in plain_claims:
            self.claims[claim_id] = replace(self.claims[claim_id], body_sha256=key(self.claims[claim_id].body_sha256))
        plain_posts = [k for k in self.bank_details if k[0] in wanted and k not in self.keyed]
        for claim_id, digest in plain_posts:
            post = self.bank_details.pop((claim_id, digest))
            self.bank_details[(claim_id, key(digest))] = replace(post, body_sha256=key(digest))
            self.keyed.add((claim_id, key(digest)))
        self.keyed |= plain_claims
        return len(plain_claims) + len(plain_posts)

    async def programmes_of(self, claim_ids: Iterable[str]) -> dict[str, str]:
        return {claim_id: self.programmes[claim_id] for claim_id in claim_ids if claim_id in self.programmes}

    async def history(self, claim_id: str) -> list[StatusEntry]:
        return list(self.statuses.get(claim_id, []))


class FakeGatewayWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.gateway = InMemoryGateway()
