"""On the real stack (the services as processes, real Kafka, PostgreSQL and an SMTP sink): a control's selection on
payments.controls.v1 and a recovery order's issue on payments.recovery-orders.v1, each delivered twice, mail the firm
one control request and one recovery order, once each, with the dates, amount and reference the events carry."""

from __future__ import annotations

import asyncio
import copy
import email
import email.policy
import json
import mailbox
import random
import time
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import pytest
from schwifty import IBAN
from stdnum import luhn

from guichet_common.contracts import EXAMPLES
from guichet_common.topics import CONTROLS, RECOVERY_ORDERS

from ..unit.control_events import REFERENCE, control_event, recovery_event

pytestmark = pytest.mark.e2e
EXAMPLE = json.loads((EXAMPLES / "claims.submitted.v1.json").read_text())


def own_claim() -> dict:
    """The example claim under a company, account and invoices of this test's own (no other test's claim touched)."""
    body = f"7{random.randrange(10**7):07d}"
    siren = body + luhn.calc_check_digit(body)
    establishment = siren + f"{random.randrange(10**4):04d}"
    event = copy.deepcopy(EXAMPLE)
    event["event_id"] = str(uuid.uuid4())
    event["claim"]["claim_id"] = f"CFN-CTRL-{uuid.uuid4().hex[:8].upper()}"
    event["claim"]["applicant"].update(siren=siren, siret=establishment + luhn.calc_check_digit(establishment))
    account = f"{random.randrange(10**11):011d}"
    event["claim"]["bank_account"]["iban"] = str(IBAN.generate("FR", bank_code="3000100794", account_code=account))
    for invoice in event["claim"]["invoices"]:
        invoice["invoice_number"] += f"-{event['claim']['claim_id']}"
    return event


def mails_of(maildir: Path, claim_id: str) -> dict[str, list[email.message.EmailMessage]]:
    """The claim's e-mails in the sink, by kind (from the Message-ID `<claim_id.kind@domain>`)."""
    found: dict[str, list[email.message.EmailMessage]] = {}
    if not maildir.exists():
        return found
    for stored in mailbox.Maildir(maildir, create=False):
        message = email.message_from_bytes(stored.as_bytes(), policy=email.policy.default)
        about, _, kind = str(message["Message-ID"] or "").strip("<>").split("@")[0].rpartition(".")
        if about == claim_id:
            found.setdefault(kind, []).append(message)  # type: ignore[arg-type]
    return found


async def settled_emails(database_url: str, claim_id: str, kinds: set[str], timeout_s: float = 90.0) -> Counter:
    """The claim's e-mails of `kinds` by state, once each is no longer waiting to be sent (or the timeout)."""
    connection = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            rows = await connection.fetch(
                "SELECT kind, state FROM emails WHERE claim_id = $1 AND kind = ANY($2::text[])", claim_id, sorted(kinds)
            )
            states = Counter((row["kind"], row["state"]) for row in rows)
            done = {row["kind"] for row in rows if row["state"] not in ("pending", "sending")}
            if done == kinds or time.monotonic() > deadline:
                return states
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


@pytest.mark.timeout(240)
async def test_each_event_delivered_twice_mails_the_firm_once(stack, probe) -> None:
    for service in ("intake", "notifications"):  # their schemas made, their consumers running
        await stack.until_ready(service)
    claim = own_claim()
    claim_id, siren = claim["claim"]["claim_id"], claim["claim"]["applicant"]["siren"]
    # Through intake: the firm's contact (sealed) and its key reach notifications as in production.
    await probe.publish(stack.topic("claims.submitted.v1"), [(siren.encode(), json.dumps(claim).encode())])
    selected = control_event(claim_id, siren=siren).model_dump_json().encode()
    issued = recovery_event(claim_id, siren=siren).model_dump_json().encode()
    key = claim_id.encode()
    await probe.publish(stack.topic(CONTROLS.name), [(key, selected), (key, selected)])
    await probe.publish(stack.topic(RECOVERY_ORDERS.name), [(key, issued), (key, issued)])

    kinds = {"control_request", "recovery_order"}
    states = await settled_emails(stack.database_urls["notifications"], claim_id, kinds)
    assert states == Counter({("control_request", "sent"): 1, ("recovery_order", "sent"): 1})
    # The same event once more, long after: still nothing more sent.
    await probe.publish(stack.topic(RECOVERY_ORDERS.name), [(key, issued)])
    await asyncio.sleep(3)
    mails = mails_of(stack.maildir, claim_id)
    assert {kind: len(sent) for kind, sent in mails.items() if kind in kinds} == {
        "control_request": 1,
        "recovery_order": 1,
    }
    [request], [order] = mails["control_request"], mails["recovery_order"]
    assert "03/02/2027" in request.get_content() and "factures" in request.get_content()
    assert REFERENCE in order.get_content() and "1\u202f234,56 €" in order.get_content()
    assert "31/03/2027" in order.get_content()
