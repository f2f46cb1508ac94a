"""What applicants do after a returned payment, as the portal relays it: send new bank details, once per claim."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from aiokafka import AIOKafkaProducer
from schwifty import IBAN

from guichet_simulator.publisher import encode

BANK_DETAILS_TOPIC = "claims.bank-details.v1"


def new_bank_details(claim_id: str, holder_name: str, rng: random.Random) -> dict:
    iban = IBAN.generate("FR", bank_code="30004", account_code=f"{rng.randrange(10**10):011d}")
    return {
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"guichet-demo-bank-details/{claim_id}")),
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "claim_id": claim_id,
        "iban": str(iban.compact),
        "holder_name": holder_name,
    }


class BankDetailsFollowUp:
    def __init__(self, producer: AIOKafkaProducer, holders: dict[str, str], prefix: str = "", seed: int = 0) -> None:
        self._producer = producer
        self._holders = holders
        self._topic = prefix + BANK_DETAILS_TOPIC
        self._rng = random.Random(seed)
        self.sent: set[str] = set()

    async def answer(self, returned_claims: set[str]) -> None:
        for claim_id in sorted(returned_claims - self.sent):
            details = new_bank_details(claim_id, self._holders[claim_id], self._rng)
            await self._producer.send_and_wait(self._topic, encode(details), key=claim_id.encode())
            self.sent.add(claim_id)
