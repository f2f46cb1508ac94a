"""Issue 16's "done when", on a running stack: bank files written by hand from the ISO 20022 message definitions
(`bank_files/`, never produced by the simulator or by code) are imported with `guichet finance import`, and each
claim moves to paid, payment_returned or back to be sent exactly as the files say. A file imported twice changes
nothing, a return nobody can be matched to waits in the suspense list, a malformed file is refused whole.

The stack runs without a finance simulator, so every attempt stays `sent` until a file says otherwise. The
templates' `{{NAME}}` placeholders take the running stack's values (EndToEndIds, amounts, IBANs, batch ids),
read from payments.issued.v1 as finance would read its own copy of the pain.001.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import re
import uuid
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from guichet_common.contracts import ClaimDecidedV1
from guichet_simulator.identifiers import random_iban, random_siren

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = Path(__file__).parent / "bank_files"
SCHEMAS = ROOT / "services" / "payments" / "src" / "guichet_payments" / "bank_files" / "schemas"
PROGRAMME = "cheque-france-num-2021"
DEBTOR_IBAN, DEBTOR_BIC = "FR7630001007941234567890185", "BDFEFRPPCCT"  # the programme file's [payment] account
PLACEHOLDER = re.compile(r"\{\{([A-Z0-9_]+)\}\}")
# Who each claim is in the files. FIRST and SECOND are rejected by one pain.002, so they must share a batch.
FIRST_WAVE = ("BOOKED1", "BOOKED2", "RETURNED", "ANONYMOUS", "FIRST", "SECOND", "UNTOUCHED")
SECOND_WAVE = ("RESENT1", "RESENT2")  # a batch of their own, which the bank rejects whole


def fill(template: str, values: dict[str, str]) -> str:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    assert not PLACEHOLDER.search(text), f"{template}: no value for {sorted(set(PLACEHOLDER.findall(text)))}"
    return text


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# -- The templates themselves: they fit the message definitions (no stack needed) --------------------------------

DUMMY = {
    "MSG_ID": "DUMMY-MSG-1",
    "TODAY": "2026-12-03",
    "EXECUTION_DATE": "2026-12-04",
    "DEBTOR_IBAN": DEBTOR_IBAN,
    "DEBTOR_BIC": DEBTOR_BIC,
    "BATCH_ID": "CFN-20261203-0001",
    "TRANSFER_COUNT": "2",
    "CONTROL_SUM": "1000.00",
    "STRAY_E2E": "NOBODY-1",
    "STRAY_AMOUNT": "123.45",
    "STRAY_IBAN": "FR1420041010050500013M02606",
    "BOOKED_E2E": "PAY-M",
    "BOOKED_AMOUNT": "500.00",
}
ROLES = ("BOOKED1", "BOOKED2", "RETURNED", "ANONYMOUS", "FIRST", "SECOND")
IBANS = ("FR7611306774637064330445205", "FR7630006000011234567890189", "FR7610107001011234567890129")


def dummy_values() -> dict[str, str]:
    values = dict(DUMMY)
    for n, role in enumerate(ROLES):
        values |= {
            f"{role}_E2E": f"PAY-{role}",
            f"{role}_AMOUNT": f"{500 + n}.00",
            f"{role}_IBAN": IBANS[n % len(IBANS)],
            f"{role}_NAME": f"BOUTIQUE {role}",
            f"{role}_REMITTANCE": f"CHEQUE FRANCE NUM 2021 CFN-{role}",
            f"{role}_BATCH": "CFN-20261203-0001",
        }
    return values


VALID = {
    "camt054_booked_and_returns.xml": "camt.054.001.02",
    "pain002_two_rejected.xml": "pain.002.001.03",
    "pain002_file_rejected.xml": "pain.002.001.03",
}


@pytest.mark.parametrize("template", sorted(VALID))
def test_each_template_filled_with_dummy_values_fits_its_vendored_schema(template: str) -> None:
    schema = SCHEMAS / f"{VALID[template]}.xsd"
    if not schema.exists():
        pytest.skip(f"no vendored {schema.name}: payments checks this message with its strict reader instead")
    xsd = etree.XMLSchema(etree.parse(str(schema)))
    document = etree.fromstring(fill(template, dummy_values()).encode())
    assert xsd.validate(document), [str(error) for error in xsd.error_log]


def _entries(template: str) -> list[tuple[object, ...]]:
    from guichet_payments.bank_files.reading import read_bank_file

    read = read_bank_file(template, fill(template, dummy_values()).encode())
    assert read.message == VALID[template] and read.message_id == "DUMMY-MSG-1"
    return [(e.effect, e.end_to_end_id, e.reason_code, e.amount_cents, e.iban, e.batch_reference) for e in read.entries]


def test_payments_reads_the_notification_as_two_bookings_and_three_returns() -> None:
    booked1, booked2, returned, anonymous, stray = _entries("camt054_booked_and_returns.xml")
    assert booked1[:5] == ("booked", "PAY-BOOKED1", None, 50_000, IBANS[0])
    assert booked2[:5] == ("booked", "PAY-BOOKED2", None, 50_100, IBANS[1])
    assert returned[:5] == ("returned", "PAY-RETURNED", "AC04", 50_200, IBANS[2])
    # NOTPROVIDED is no EndToEndId: the beneficiary's account and the amount are what is left to match on.
    assert anonymous[:5] == ("returned", None, "AC01", 50_300, IBANS[0])
    assert stray[:5] == ("returned", "NOBODY-1", "AC06", 12_345, "FR1420041010050500013M02606")


def test_payments_reads_the_status_reports_as_two_rejections_and_one_rejected_file() -> None:
    first, second = _entries("pain002_two_rejected.xml")
    assert first[:3] == ("rejected", "PAY-FIRST", "AC01") and second[:3] == ("rejected", "PAY-SECOND", "MS03")
    [whole] = _entries("pain002_file_rejected.xml")
    assert (whole[0], whole[2], whole[5]) == ("file_rejected", "FF01", "CFN-20261203-0001")


def test_payments_refuses_the_malformed_notification_naming_the_file_and_the_element() -> None:
    from guichet_payments.bank_files.reading import BankFileRefused, read_bank_file

    with pytest.raises(BankFileRefused) as refused:
        read_bank_file("camt054_malformed.xml", fill("camt054_malformed.xml", dummy_values()).encode())
    assert refused.value.file_name == "camt054_malformed.xml"
    assert "CdtDbtInd" in refused.value.element + refused.value.problem


# -- On a running stack ------------------------------------------------------------------------------------------

Story = list[tuple[str, list[str]]]


def approval(tag: str, rng: random.Random) -> ClaimDecidedV1:
    now = dt.datetime.now(dt.UTC)
    iban, bic = random_iban(rng)
    return ClaimDecidedV1(
        event_id=uuid.uuid4(),
        occurred_at=now,
        correlation_id=uuid.uuid4(),
        claim_id=f"CFN-BANK-{tag}-{uuid.uuid4().hex[:8]}",
        programme=PROGRAMME,
        siren=random_siren(rng),
        decision="approved",
        rule_version="2021-01-28",
        grant_amount_cents=50_000,
        submitted_at=now,
        beneficiary_name=f"BOUTIQUE {tag}",
        iban=iban,
        bic=bic,
    )


def stories(records, claim_ids) -> dict[str, Story]:
    told: dict[str, Story] = {claim_id: [] for claim_id in claim_ids}
    for record in records:
        value = json.loads(record.value)
        if value["claim_id"] in told:
            told[value["claim_id"]].append((value["status"], value["reasons"]))
    return told


def after_sent(story: Story, times: int = 1) -> Story:
    """What happened to a claim after its `times`-th payment_sent."""
    sent = [n for n, (status, _) in enumerate(story) if status == "payment_sent"]
    return story[sent[times - 1] + 1 :] if len(sent) >= times else [("never sent", [])]


async def until_told(stack, probe, claim_ids, told, timeout_s: float = 60.0) -> dict[str, Story]:
    """Every status of `claim_ids`, read until `told(stories)` or the timeout."""
    records = await probe.read_until(
        stack.topic("claims.status.v1"), lambda rs: told(stories(rs, claim_ids)), timeout_s=timeout_s
    )
    return stories(records, claim_ids)


async def issued_payments(stack, probe, claim_ids, done, timeout_s: float = 30.0) -> list[dict]:
    def ours(records) -> list[dict]:
        return [v for r in records if (v := json.loads(r.value))["claim_id"] in claim_ids]

    records = await probe.read_until(stack.topic("payments.issued.v1"), lambda rs: done(ours(rs)), timeout_s=timeout_s)
    return ours(records)


async def pay_out(stack, probe, approvals: list[ClaimDecidedV1]) -> dict[str, dict]:
    """Publish the approvals and wait until each is in a SEPA file: its first payments.issued.v1, by claim."""
    await probe.publish(
        stack.topic("eligibility.decisions.v1"), [(a.siren.encode(), a.model_dump_json().encode()) for a in approvals]
    )
    ids = {a.claim_id for a in approvals}
    told = await until_told(
        stack, probe, ids, lambda s: all(after_sent(story) != [("never sent", [])] for story in s.values())
    )
    assert all(("payment_sent", []) in story for story in told.values()), told
    issued = await issued_payments(stack, probe, ids, lambda found: {p["claim_id"] for p in found} == ids)
    return {p["claim_id"]: p for p in issued if p["attempt"] == 1}


def values_of(role: str, payment: dict) -> dict[str, str]:
    return {
        f"{role}_E2E": payment["end_to_end_id"],
        f"{role}_AMOUNT": euros(payment["amount_cents"]),
        f"{role}_IBAN": payment["iban"].replace(" ", "").upper(),
        f"{role}_NAME": payment["beneficiary_name"],
        f"{role}_REMITTANCE": payment["remittance_information"],
        f"{role}_BATCH": payment["batch_id"],
    }


def cast(first_wave: dict[str, dict]) -> dict[str, dict]:
    """Roles for the first wave's payments: FIRST and SECOND from one batch (one pain.002 answers one file)."""
    by_batch: dict[str, list[dict]] = {}
    for payment in first_wave.values():
        by_batch.setdefault(payment["batch_id"], []).append(payment)
    shared = max(by_batch.values(), key=len)
    assert len(shared) >= 2, f"payments wrote each transfer in a file of its own: {sorted(by_batch)}"
    first, second, *_ = shared
    rest = [p for p in first_wave.values() if p not in (first, second)]
    roles = [r for r in FIRST_WAVE if r not in ("FIRST", "SECOND")]
    return {"FIRST": first, "SECOND": second} | dict(zip(roles, rest, strict=True))


def import_files(stack, path: Path) -> tuple[int, dict, str]:
    """`guichet finance import PATH --json`: its exit code, payments' verdict on the file, and all it said."""
    done = stack.console("finance", "import", str(path), "--json")
    said = f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    try:
        [verdict] = json.loads(done.stdout)
    except ValueError:
        verdict = {}
    return done.returncode, verdict, said


async def until_moved(stack, probe, everyone, expected: dict[str, Story], timeout_s: float = 60.0) -> None:
    """Wait until each claim of `expected` has told exactly that since it was sent, and assert it."""
    told = await until_told(
        stack, probe, everyone, lambda s: all(after_sent(s[c]) == e for c, e in expected.items()), timeout_s
    )
    assert {c: after_sent(told[c]) for c in expected} == expected, {c: told[c] for c in expected}


def deliver_again(stack, path: Path) -> Path:
    """The bank channel delivering a file a second time under another name, straight into payments' folder (the
    console would not even hand it over: it sees the hash known)."""
    inbound = Path(stack.env["PAYMENTS_INBOUND_DIR"])
    partial, final = inbound / f".again-{path.name}", inbound / f"again-{path.name}"
    partial.write_bytes(path.read_bytes())
    partial.rename(final)
    return inbound / "imported" / final.name


@pytest.mark.e2e
async def test_hand_written_bank_files_move_each_claim_exactly_as_they_say(probe, run_id, tmp_path, private_stack):
    rng, run = random.Random(), run_id.upper()
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()
    folder = tmp_path / "from-the-bank"
    folder.mkdir()

    def write(name: str, template: str, values: dict[str, str]) -> Path:
        path = folder / name
        path.write_text(fill(template, {"TODAY": today, "DEBTOR_IBAN": DEBTOR_IBAN, "DEBTOR_BIC": DEBTOR_BIC} | values))
        return path

    async with private_stack(f"bank{run_id}", tmp_path) as stack:
        # Two waves, so the second has a file of its own for the bank to reject whole.
        # Claims are named by wave, not by role: which plays which is known only once payments has batched them.
        first_wave = await pay_out(stack, probe, [approval(f"A{n}", rng) for n in range(len(FIRST_WAVE))])
        second_wave = await pay_out(stack, probe, [approval(f"B{n}", rng) for n in range(len(SECOND_WAVE))])
        role = cast(first_wave)
        rejected_batch = next(iter(second_wave.values()))["batch_id"]
        resent = [p for p in second_wave.values() if p["batch_id"] == rejected_batch]
        everyone = set(first_wave) | set(second_wave)
        stray_iban, _ = random_iban(rng)

        values = {"MSG_ID": f"CAMT054-{run}", "STRAY_E2E": f"INCONNU-{run}", "STRAY_AMOUNT": "123.45"}
        values |= {"STRAY_IBAN": stray_iban}
        for name in ("BOOKED1", "BOOKED2", "RETURNED", "ANONYMOUS"):
            values |= values_of(name, role[name])
        notification = write(f"camt054-{run}.xml", "camt054_booked_and_returns.xml", values)
        values = {"MSG_ID": f"PAIN002-{run}-1", "BATCH_ID": role["FIRST"]["batch_id"]}
        values |= {"EXECUTION_DATE": role["FIRST"]["requested_execution_date"]}
        values |= values_of("FIRST", role["FIRST"]) | values_of("SECOND", role["SECOND"])
        two_rejected = write(f"pain002-{run}-1.xml", "pain002_two_rejected.xml", values)
        values = {"MSG_ID": f"PAIN002-{run}-2", "BATCH_ID": rejected_batch, "TRANSFER_COUNT": str(len(resent))}
        values |= {"CONTROL_SUM": euros(sum(p["amount_cents"] for p in resent))}
        file_rejected = write(f"pain002-{run}-2.xml", "pain002_file_rejected.xml", values)
        values = {"MSG_ID": f"CAMT054-{run}-BAD", "BOOKED_E2E": role["UNTOUCHED"]["end_to_end_id"]}
        malformed = write(f"camt054-{run}-malformed.xml", "camt054_malformed.xml", values | {"BOOKED_AMOUNT": "500.00"})

        def claim(name: str) -> str:
            return role[name]["claim_id"]

        # The notification: two booked, two returned (one found by amount, account and remittance), one stray.
        code, verdict, said = import_files(stack, notification)
        assert code == 0 and verdict["outcome"] == "imported", said
        assert (verdict["entry_count"], verdict["counts"]["reported"], verdict["counts"]["suspense"]) == (5, 4, 1), said
        expected = {
            claim("BOOKED1"): [("paid", [])],
            claim("BOOKED2"): [("paid", [])],
            claim("RETURNED"): [("payment_returned", ["AC04"])],
            claim("ANONYMOUS"): [("payment_returned", ["AC01"])],
        }
        await until_moved(stack, probe, everyone, expected)

        # The status report rejecting two transfers of a file: returned, with the bank's reason.
        code, verdict, said = import_files(stack, two_rejected)
        assert code == 0 and (verdict["outcome"], verdict["counts"]["reported"]) == ("imported", 2), said
        expected = {claim("FIRST"): [("payment_returned", ["AC01"])], claim("SECOND"): [("payment_returned", ["MS03"])]}
        await until_moved(stack, probe, everyone, expected)

        # The status report rejecting a whole file: its transfers go again, in a new file, with new EndToEndIds.
        code, verdict, said = import_files(stack, file_rejected)
        assert code == 0 and verdict["outcome"] == "imported", said
        again = {p["claim_id"]: [("payment_scheduled", ["BANK_FILE_REJECTED"]), ("payment_sent", [])] for p in resent}
        await until_moved(stack, probe, everyone, again)
        second_attempts = await issued_payments(
            stack, probe, set(again), lambda found: {p["claim_id"] for p in found if p["attempt"] == 2} == set(again)
        )
        for payment in (p for p in second_attempts if p["attempt"] == 2):
            first = second_wave[payment["claim_id"]]
            assert payment["end_to_end_id"] != first["end_to_end_id"]
            assert payment["batch_id"] != rejected_batch
            assert (payment["iban"], payment["amount_cents"]) == (first["iban"], first["amount_cents"])

        # A malformed file: refused whole, naming the file and the element; its valid first entry is not applied.
        code, verdict, said = import_files(stack, malformed)
        assert code == 1 and verdict["outcome"] == "refused", said
        assert malformed.name in verdict["refusal"] and "CdtDbtInd" in verdict["refusal"], said

        # Each file a second time, through the console and straight into the folder: nothing moves.
        before = await until_told(stack, probe, everyone, lambda s: False, timeout_s=2)
        issued_before = await issued_payments(stack, probe, everyone, lambda found: False, timeout_s=1)
        for path in (notification, two_rejected, file_rejected):
            code, verdict, said = import_files(stack, path)
            assert code == 0 and verdict["already_imported"] is True, said
        moved = [deliver_again(stack, path) for path in (notification, two_rejected, file_rejected)]
        for _ in range(60):
            if all(path.exists() for path in moved):
                break
            await asyncio.sleep(0.5)
        assert all(path.exists() for path in moved), "payments never moved the files delivered again to imported/"
        await asyncio.sleep(2.0)
        after = await until_told(stack, probe, everyone, lambda s: False, timeout_s=2)
        assert after == before
        issued_after = await issued_payments(stack, probe, everyone, lambda found: False, timeout_s=1)
        assert len(issued_after) == len(issued_before)
        assert after_sent(after[claim("UNTOUCHED")]) == []  # the malformed file's booking was never applied
        assert Counter(status for story in after.values() for status, _ in story)["payment_returned"] == 4

        # The stray return waits in finance's suspense list, the only entry there, its account masked.
        done = stack.console("finance", "suspense", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        listed = json.loads(done.stdout)
        entries = listed["entries"] if isinstance(listed, dict) else listed
        found = [(e["end_to_end_id"], e["amount_cents"], e["reason_code"]) for e in entries]
        assert found == [(f"INCONNU-{run}", 12_345, "AC06")], entries
        assert stray_iban not in done.stdout
