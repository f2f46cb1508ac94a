"""What the outside world sends during a scenario: registry records and claims in waves, and poison."""

from __future__ import annotations

import asyncio
import json

from aiokafka import AIOKafkaProducer

from guichet_simulator.generator import SimulatedClaim, generate_claims
from guichet_simulator.publisher import encode


def claims_for(count: int, seed: int) -> list[SimulatedClaim]:
    return generate_claims(count, seed, run_id=f"X{seed}")


async def publish_registry(producer: AIOKafkaProducer, prefix: str, claims: list[SimulatedClaim]) -> None:
    for claim in claims:
        if claim.registry_record is not None:
            await producer.send(
                prefix + "registry.companies.v1", encode(claim.registry_record), key=claim.siren.encode()
            )
    await producer.flush()


async def publish_claims(
    producer: AIOKafkaProducer, prefix: str, claims: list[SimulatedClaim], *, per_second: float = 100.0
) -> None:
    """As a portal would, at a steady pace, so that faults land while claims are in flight."""
    for index, claim in enumerate(claims):
        await producer.send(prefix + "claims.submitted.v1", encode(claim.event), key=claim.siren.encode())
        if index % 10 == 9:
            await asyncio.sleep(10 / per_second)
    await producer.flush()


def poison_corpus(valid_example: dict) -> list[tuple[bytes | None, bytes | None, str]]:
    """(key, value, what) triples that must be dead-lettered or refused, never crash or stall anything."""
    long_name = json.loads(json.dumps(valid_example))
    long_name["event_id"] = "00000000-0000-4000-8000-00000000f00d"
    long_name["claim"]["claim_id"] = "CFN-POISON-LONGNAME"
    long_name["claim"]["applicant"]["legal_name"] = "N" * 10_000
    wrong_schema = {"event_id": "00000000-0000-4000-8000-00000000beef", "claim": {"claim_id": 42}}
    return [
        (b"poison", b"{this is not json", "non-JSON"),
        (b"poison", json.dumps(wrong_schema).encode(), "wrong schema, no usable claim_id"),
        (b"poison", b'{"padding": "' + b"x" * (5 * 1024 * 1024) + b'"}', "5 MB body"),
        (b"poison", json.dumps(long_name).encode(), "10,000-character name"),
        (b"poison", b"\xff\xfe\xfa invalid utf-8", "invalid UTF-8"),
        (b"poison", None, "null value"),
    ]


async def publish_poison(producer: AIOKafkaProducer, prefix: str, example: dict) -> int:
    corpus = poison_corpus(example)
    for key, value, _what in corpus:
        await producer.send(prefix + "claims.submitted.v1", value, key=key)
    await producer.flush()
    return len(corpus)
