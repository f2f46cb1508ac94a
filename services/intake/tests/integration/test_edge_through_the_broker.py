"""The issue's hostile values sent as a portal would, through the real broker to the running services: each is
canonicalised or refused with its code by intake, and a normal claim on the same key is not held up."""

from __future__ import annotations

import copy
import json
import random
import uuid
from pathlib import Path

import asyncpg
import pytest
from schwifty import IBAN
from stdnum import luhn

from guichet_common.contracts import EXAMPLES
from guichet_common.privacy.sealing import DEVELOPMENT_MASTER_KEY, MasterKey, parse, unseal

pytestmark = pytest.mark.e2e
EXAMPLE = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text())


def company() -> tuple[str, str]:
    """A SIREN and SIRET of this test's own, so that no other test's company is touched."""
    body = f"8{random.randrange(10**7):07d}"
    siren = body + luhn.calc_check_digit(body)
    establishment = siren + f"{random.randrange(10**4):04d}"
    return siren, establishment + luhn.calc_check_digit(establishment)


def own_iban() -> str:
    """An account of this test's own: the example's, registered under another SIREN, would make the other tests'
    claims carrying it IBAN_SHARED."""
    return str(IBAN.generate("FR", bank_code="3000100794", account_code=f"{random.randrange(10**11):011d}"))


def claim(tag: str, siren: str, siret: str, edit=lambda c: None, **changes: object) -> dict:
    event = copy.deepcopy(EXAMPLE)
    event["event_id"] = str(uuid.uuid4())
    event["claim"].update(claim_id=f"CFN-EDGE-{tag}-{uuid.uuid4().hex[:6]}", **changes)
    event["claim"]["applicant"].update(siren=siren, siret=siret)
    event["claim"]["bank_account"]["iban"] = own_iban()
    for invoice in event["claim"]["invoices"]:  # its own invoices too: no INVOICE_REUSED for the example's claim
        invoice["invoice_number"] += f"-EDGE-{tag}"
    edit(event["claim"])
    return event


@pytest.mark.timeout(120)
async def test_hostile_values_are_canonicalised_or_refused_and_a_normal_claim_passes(stack, probe) -> None:
    siren, siret = company()
    compact = own_iban()
    spaced = "\u00a0".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    nbsp = claim("NBSP", siren, siret, lambda c: c["bank_account"].update(iban=spaced))
    hostile = {
        "HOLDER_NAME_UNWRITABLE": claim("NAME", siren, siret, lambda c: c["bank_account"].update(holder_name="@#%*")),
        "BIC_INVALID": claim("BIC", siren, siret, lambda c: c["bank_account"].update(bic="AAAAFR1A")),
        "DATE_OUT_OF_RANGE": claim("FAR", siren, siret, submitted_at="9999-12-31T23:30:00+00:00"),
        "TEXT_CONTROL_CHARACTERS": claim(
            "NUL", siren, siret, lambda c: c["applicant"].update(legal_name="Boutique\u0000Martin")
        ),
    }
    events = [*hostile.values(), nbsp]
    await probe.publish(stack.topic("claims.submitted.v1"), [(siren.encode(), json.dumps(e).encode()) for e in events])
    wanted = {e["claim"]["claim_id"] for e in events}

    def finished(records) -> bool:
        seen = {(r.key.decode(), json.loads(r.value)["status"]) for r in records if r.key.decode() in wanted}
        return (
            all((e["claim"]["claim_id"], "refused") in seen for e in hostile.values())
            and (
                nbsp["claim"]["claim_id"],
                "received",
            )
            in seen
        )

    records = await probe.read_until(stack.topic("claims.status.v1"), finished, timeout_s=60)
    refused = {
        r.key.decode(): json.loads(r.value)["reasons"]
        for r in records
        if r.key.decode() in wanted and json.loads(r.value)["status"] == "refused"
    }
    assert refused == {event["claim"]["claim_id"]: [code] for code, event in hostile.items()}
    registered = await probe.read_until(
        stack.topic("intake.claims-registered.v1"),
        lambda rs: any(json.loads(r.value)["claim"]["claim_id"] == nbsp["claim"]["claim_id"] for r in rs),
        timeout_s=30,
    )
    [forwarded] = [
        json.loads(r.value)["claim"]
        for r in registered
        if json.loads(r.value)["claim"]["claim_id"] == nbsp["claim"]["claim_id"]
    ]
    assert await opened_by_intake(stack, forwarded["bank_account"]["iban"]) == compact  # sealed, in canonical form


async def opened_by_intake(stack, sealed: str) -> str:
    """A sealed value opened as intake would: its key from intake's database, unwrapped by the stack's master key."""
    ref = parse(sealed)
    if text := stack.env.get("GUICHET_PRIVACY_MASTER_KEY"):
        master = MasterKey.from_base64(text)
    elif path := stack.env.get("GUICHET_PRIVACY_MASTER_KEY_FILE"):
        master = MasterKey.from_base64(Path(path).read_text(encoding="utf-8"))
    else:
        master = MasterKey(DEVELOPMENT_MASTER_KEY)
    conn = await asyncpg.connect(stack.database_urls["intake"])
    try:
        wrapped = await conn.fetchval(
            "SELECT wrapped_key FROM privacy_keys WHERE subject = $1 AND kind = $2", ref.subject, ref.kind
        )
    finally:
        await conn.close()
    return unseal(master.unwrap(wrapped), sealed)
