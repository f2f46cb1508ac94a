"""Issue 19's "done when", end to end on a stack of its own whose envelope holds six grants exactly.

Five simulated claims come in through intake and get paid (the finance simulator settles them), with a sixth
approval that a person gave after review (a risk rule flags it); two more approvals then wait on the exhausted
envelope. A supervisor opens a campaign: the claims it selects are the ones its seed draws, drawn again the same
by payments' operators. A caseworker records outcomes through the back-office's API, a supervisor seconds the
non-compliant ones: each issues one recovery order. One order is repaid by two camt.054 credits (the first partial,
quoting the reference structured, the second in free text): it is recovered, and the money going back to the
envelope promotes the oldest waiting claim. The other order stays unpaid: payments restarted with its clock moved
sends its reminders, then passes it to collection. Redelivering every control, order and decision event and the
bank's files (and a camt.053 repeating the credits) changes nothing. Reconcile is OK, and fails on an identity
broken on purpose.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import asyncpg
import pytest
from guichet_chaos.bank_credits import Credit, camt053, camt054
from lxml import etree

from guichet_simulator.generator import generate_claims
from guichet_simulator.publisher import publish_simulation

if str(Path(__file__).resolve().parent) not in sys.path:  # importlib mode: the helpers live beside the test
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from controls.journey import (
    BACKOFFICE_TABLES,
    GRANT,
    PAYMENTS_TABLES,
    PROGRAMME,
    SAMPLING_PERCENT,
    ControlsApi,
    Statuses,
    deliver_file,
    every_step,
    import_file,
    mail_kinds,
    of_status,
    order_steps,
    publish_approvals,
    redeliver,
    small_envelope_programmes,
    start_finance,
    table_rows,
    topic_values,
    until_mails,
)
from controls.journey import approval as direct_approval

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "services" / "payments" / "src" / "guichet_payments" / "bank_files" / "schemas"
STARTED = time.monotonic()
SEED = 20_210_128
REDELIVERED = ("payments.controls.v1", "payments.recovery-orders.v1", "backoffice.control-decisions.v1")


def mark(step: str) -> None:
    print(f"{time.monotonic() - STARTED:7.1f} s  {step}", flush=True)


@pytest.mark.parametrize(("build", "schema"), [(camt054, "camt.054.001.02.xsd"), (camt053, "camt.053.001.02.xsd")])
def test_the_credit_files_fit_their_schemas_and_read_as_credits(build, schema: str) -> None:
    from guichet_payments.bank_files.reading import read_bank_file

    credits = [
        Credit(12_345, "RF18539007547034", "BK-1"),
        Credit(100, "RF18539007547034", "BK-2", remittance="unstructured"),
    ]
    content = build("MSG-1", credits, dt.date(2026, 12, 3))
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / schema)))
    assert xsd.validate(etree.fromstring(content)), [str(e) for e in xsd.error_log]
    entries = read_bank_file("credits.xml", content).entries
    assert [(e.effect, e.amount_cents, e.bank_reference) for e in entries] == [
        ("credit", 12_345, "BK-1"),
        ("credit", 100, "BK-2"),
    ]


def expected_selection(seed: int, flagged: set[str], others: set[str], percent: int) -> set[str]:
    """The plan's draw, written again here: every flagged claim, and the lowest sha256 digests of the others."""
    size = -(-len(others) * percent // 100)
    return flagged | set(sorted(others, key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())[:size])


async def by_operators(stack, programmes: Path, draw) -> dict:
    """What payments' operators module (what `guichet controls preview|show --verify` call) answers."""
    from guichet_payments import operators
    from guichet_programme import load_programmes

    connection = await asyncpg.connect(stack.database_urls["payments"])
    try:
        return await draw(operators, connection, load_programmes(programmes))
    finally:
        await connection.close()


def field(found: object, name: str) -> object:
    return found[name] if isinstance(found, dict) else getattr(found, name)


def claim_ids(found: object) -> set[str]:
    """The claim ids of a drawn selection, whatever shape the operators give it (a list, or an object holding one)."""
    if not isinstance(found, list | tuple):
        found = next(field(found, n) for n in ("drawn", "selected", "selection") if hasattr(found, n) or n in found)
    return {item if isinstance(item, str) else str(field(getattr(item, "claim", item), "claim_id")) for item in found}


async def test_a_campaign_orders_recovers_reminds_collects_and_a_redelivery_changes_nothing(
    infra, probe, run_id: str, tmp_path: Path, private_stack, backoffice_for, monkeypatch
) -> None:
    programmes = small_envelope_programmes(tmp_path / "programmes")
    monkeypatch.setenv("GUICHET_PROGRAMMES_DIR", str(programmes))
    rng = random.Random(SEED)
    simulated = [c for c in generate_claims(60, seed=19, run_id=f"CR{run_id}", problem_share=0.0)]
    simulated = [c for c in simulated if c.expected_status == "paid"][:5]
    assert len(simulated) == 5
    reviewed = direct_approval("REVIEWED", rng, reviewed=True)
    waiting = [direct_approval(f"WAIT{n}", rng) for n in (1, 2)]
    (tmp_path / "stack").mkdir()
    async with private_stack(f"cr{run_id}", tmp_path / "stack") as stack:
        statuses = Statuses(stack, probe)
        finance = start_finance(stack.env, tmp_path / "finance.log")
        try:
            await publish_simulation(simulated, bootstrap_servers=infra.kafka_bootstrap, prefix=stack.topic_prefix)
            await publish_approvals(stack, probe, [reviewed])
            paid = {c.claim_id for c in simulated} | {reviewed.claim_id}
            await statuses.until(dict.fromkeys(paid, "paid"), timeout_s=180)
            for claim in waiting:  # one after the other: the first is the oldest on the waitlist
                await publish_approvals(stack, probe, [claim])
                await statuses.until({claim.claim_id: "waitlisted"})
            mark("six paid, two waiting")
            async with backoffice_for(stack, f"cr{run_id}") as backoffice:
                await journey(
                    stack, probe, statuses, ControlsApi(backoffice), paid, reviewed.claim_id, waiting, programmes
                )
        finally:
            finance.terminate()
            finance.wait(timeout=20)


async def journey(
    stack, probe, statuses: Statuses, api: ControlsApi, paid: set[str], reviewed: str, waiting, programmes: Path
) -> None:
    # -- The campaign: the seed's draw, the same three times ---------------------------------------------------
    paid_before = dt.datetime.now(dt.UTC)
    # A preview leaves out claims already controlled: it is drawn before the campaign is opened.
    preview = await by_operators(
        stack,
        programmes,
        lambda ops, conn, found: ops.preview_selection(conn, PROGRAMME, SEED, paid_before, programmes=found),
    )
    opened = await api.open_campaign("super-one", SEED, paid_before)
    campaign_id = opened["campaign_id"]
    answer = await api.backoffice.outcome(probe, stack, opened["command_id"])
    assert (answer["service"], answer["outcome"]) == ("payments", "applied"), answer
    expected = expected_selection(SEED, {reviewed}, paid - {reviewed}, SAMPLING_PERCENT)
    assert answer["detail"] == f"{len(expected)} selected of {len(paid)}", answer

    def selected_events(values: list[dict]) -> list[dict]:
        return [v for v in values if v["kind"] == "selected" and v["campaign_id"] == campaign_id]

    controls = selected_events(
        await topic_values(
            stack, probe, "payments.controls.v1", lambda vs: len(selected_events(vs)) >= len(expected), 60
        )
    )
    selected = {v["claim_id"]: v for v in controls}
    assert set(selected) == expected and len(controls) == len(expected)
    assert selected[reviewed]["grounds"] == ["CONTROL_RISK_REVIEWED"]
    assert all(v["grounds"] == ["CONTROL_SAMPLED"] for c, v in selected.items() if c != reviewed)
    verified = await by_operators(
        stack, programmes, lambda ops, conn, found: ops.verify_campaign(conn, campaign_id, programmes=found)
    )
    assert claim_ids(preview) == claim_ids(verified) == set(selected), (preview, verified)
    assert field(verified, "matches") is True, verified
    told = await statuses.until(dict.fromkeys(expected, "under_control"))
    for claim_id in expected:
        [under] = of_status(told[claim_id], "under_control")
        assert under["reasons"] == selected[claim_id]["grounds"]
    mark(f"campaign {campaign_id}: {sorted(expected)}")

    # -- Outcomes: compliant at once; non-compliant after a supervisor's second, one order each ----------------
    # The sampled claims came through intake, so their firms have e-mail addresses: they are the ones ordered back.
    repaid_claim, unpaid_claim = sorted(expected - {reviewed})
    compliant_claim = reviewed
    compliant = await api.outcome("case-worker", compliant_claim, "compliant")
    assert compliant["state"] == "complete", compliant
    orders = {}
    for claim_id, code, amount in (
        (repaid_claim, "CONTROL_INVOICE_UNPAID", GRANT),
        (unpaid_claim, "CONTROL_EXPENSE_INELIGIBLE", 30_000),
    ):
        pending = await api.outcome(
            "case-worker", claim_id, "non_compliant", reason_code=code, amount_undue_cents=amount
        )
        assert pending["state"] == "pending", pending
        seconded = await api.second("super-one", pending["id"])
        assert seconded["state"] == "complete", seconded
        applied = await api.backoffice.outcome(probe, stack, seconded["command_id"])
        assert applied["outcome"] == "applied", applied
        [issued] = await order_steps(stack, probe, claim_id, lambda steps: len(steps) >= 1)
        assert (issued["step"], issued["amount_cents"], issued["reason_code"]) == ("issued", amount, code)
        orders[claim_id] = issued
    told = await statuses.until(
        {compliant_claim: "control_closed", repaid_claim: "recovery_ordered", unpaid_claim: "recovery_ordered"}
    )
    assert [s[1] for s in told[compliant_claim] if s[0] == "control_closed"] == [["CONTROL_COMPLIANT"]]
    for claim_id, issued in orders.items():
        [ordered] = of_status(told[claim_id], "recovery_ordered")
        assert ordered["reasons"] == [issued["reason_code"]]
        assert (ordered["amount_cents"], ordered["recovery_order_id"]) == (issued["amount_cents"], issued["order_id"])
    mails = await until_mails(stack.maildir, lambda m: all((c, "recovery_order") in m for c in orders))
    assert all(mails[(c, "recovery_order")] == 1 for c in orders), mails
    assert all(mails[(c, "control_request")] == 1 for c in (repaid_claim, unpaid_claim)), mails
    mark(f"orders issued: {[o['order_id'] for o in orders.values()]}")

    # -- Repayments: a partial credit leaves the rest outstanding; the rest recovers it and promotes a claim ----
    order = orders[repaid_claim]
    today = dt.datetime.now(dt.UTC).date()
    first = Credit(20_000, order["payment_reference"], f"BK-{order['order_id']}-1")
    stray = Credit(4_200, "RF71INCONNUE", f"BK-{order['order_id']}-X")
    second = Credit(30_000, order["payment_reference"], f"BK-{order['order_id']}-2", remittance="unstructured")
    files = {
        "camt054-repay-1.xml": camt054(f"R1-{order['order_id']}", [first, stray], today),
        "camt054-repay-2.xml": camt054(f"R2-{order['order_id']}", [second], today),
    }
    folder = Path(stack.logs).parent / "from-the-bank"
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    code, verdict, said = import_file(stack, folder / "camt054-repay-1.xml")
    assert code == 0 and verdict["outcome"] == "imported", said
    assert verdict["counts"]["suspense"] == 1, said
    steps = await order_steps(stack, probe, repaid_claim, lambda s: [x["step"] for x in s][-1:] == ["repayment"])
    assert (steps[-1]["repaid_cents"], steps[-1]["outstanding_cents"]) == (20_000, 30_000)
    told = await statuses.read({repaid_claim, waiting[0].claim_id}, timeout_s=3)
    assert told[repaid_claim][-1][0] == "recovery_ordered"
    assert [s for s, _, _ in told[waiting[0].claim_id]] == ["waitlisted"]
    code, verdict, said = import_file(stack, folder / "camt054-repay-2.xml")
    assert code == 0 and verdict["outcome"] == "imported", said
    steps = await order_steps(stack, probe, repaid_claim, lambda s: [x["step"] for x in s][-1:] == ["settled"])
    assert [x["step"] for x in steps] == ["issued", "repayment", "repayment", "settled"]
    assert (steps[-1]["repaid_cents"], steps[-1]["outstanding_cents"]) == (GRANT, 0)
    told = await statuses.until({repaid_claim: "recovered", waiting[0].claim_id: "payment_scheduled"})
    [recovered] = of_status(told[repaid_claim], "recovered")
    assert (recovered["amount_cents"], recovered["recovery_order_id"]) == (GRANT, order["order_id"])
    still = await statuses.read({waiting[1].claim_id}, timeout_s=3)
    assert [s for s, _, _ in still[waiting[1].claim_id]] == ["waitlisted"], "the younger claim was promoted"
    mark("repaid in two credits, the oldest waiting claim promoted")

    # -- The unpaid order: reminders, then collection, under the injected clock --------------------------------
    unpaid = orders[unpaid_claim]
    due = dt.date.fromisoformat(unpaid["due_on"])
    reminders, collection = [15, 30], 45
    for days_after_due, wanted in (
        (reminders[0] + 1, ["reminded"]),
        (collection + 1, ["reminded", "passed_to_collection"]),
    ):
        offset = (due - today).days + days_after_due
        # The follow-up job runs every PAYMENTS_EXPIRY_SWEEP_S: a second here, one step of an order a run.
        moved = {"GUICHET_CLOCK_OFFSET_DAYS": str(offset), "PAYMENTS_EXPIRY_SWEEP_S": "1"}
        await stack.restart(moved, services=("payments",))
        await stack.until_ready("payments")
        steps = await order_steps(
            stack, probe, unpaid_claim, lambda s, w=wanted: [x["step"] for x in s][-len(w) :] == w, timeout_s=90
        )
        if len(wanted) == 1:  # the second reminder and collection wait for their own day
            await asyncio.sleep(3.0)
            assert await every_step(stack, probe, unpaid_claim) == [("issued", None), ("reminded", 1)]
    assert [(x["step"], x.get("reminder")) for x in steps] == [
        ("issued", None),
        ("reminded", 1),
        ("reminded", 2),
        ("passed_to_collection", None),
    ]
    assert steps[-1]["outstanding_cents"] == 30_000
    wanted = {"recovery_reminder_1", "recovery_reminder_2", "recovery_collection"}
    mails = await until_mails(stack.maildir, lambda m: all((unpaid_claim, kind) in m for kind in wanted))
    assert all(mails[(unpaid_claim, kind)] == 1 for kind in wanted), mails
    assert mails[(repaid_claim, "recovery_settled")] == 1, mails
    mark("reminded twice, passed to collection")

    # -- Redelivering everything: nothing changes ----------------------------------------------------------------
    await assert_redelivery_changes_nothing(stack, probe, files, [first, second])
    mark("redelivered")

    # -- Reconcile: OK, then an identity broken on purpose ---------------------------------------------------------
    done = stack.console("reconcile", "--json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    connection = await asyncpg.connect(stack.database_urls["payments"])
    try:
        await connection.execute(
            "UPDATE recovery_orders SET repaid_cents = repaid_cents - 1 WHERE order_id = $1", order["order_id"]
        )
    finally:
        await connection.close()
    broken = stack.console("reconcile", "--json")
    assert broken.returncode == 1, broken.stdout[-3000:] + broken.stderr[-3000:]
    assert order["order_id"] in broken.stdout or "recover" in broken.stdout.lower(), broken.stdout[-3000:]


def suspense(stack) -> list[tuple[str, int]]:
    """Finance's suspense list (`guichet finance suspense --json`): each entry's bank reference and amount."""
    done = stack.console("finance", "suspense", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    listed = json.loads(done.stdout)
    entries = listed["entries"] if isinstance(listed, dict) else listed
    return sorted((str(e.get("bank_reference") or e.get("entry_id")), e["amount_cents"]) for e in entries)


async def assert_redelivery_changes_nothing(stack, probe, files: dict[str, bytes], credits: list[Credit]) -> None:
    async def settled_state() -> tuple[dict, object, dict]:
        previous = None
        for _ in range(20):
            now = (
                await table_rows(stack.database_urls["payments"], PAYMENTS_TABLES),
                mail_kinds(stack.maildir),
                await table_rows(stack.database_urls["backoffice"], BACKOFFICE_TABLES),
            )
            if now == previous:
                return now
            previous = now
            await asyncio.sleep(1.0)
        raise AssertionError("payments and the mail sink never settled")

    before = await settled_state()
    suspense_before = suspense(stack)
    statuses_before = await topic_values(stack, probe, "claims.status.v1", timeout_s=3)
    assert await redeliver(stack, probe, REDELIVERED) > 0
    moved = [deliver_file(stack, f"again-{name}", content) for name, content in files.items()]
    statement = camt053("STMT-" + credits[0].bank_reference, credits, dt.datetime.now(dt.UTC).date())
    moved.append(deliver_file(stack, "camt053-statement.xml", statement))
    for _ in range(60):
        if all(path.exists() for path in moved):
            break
        await asyncio.sleep(0.5)
    assert all(path.exists() for path in moved), "payments never imported the files delivered again"
    await asyncio.sleep(5.0)  # the redelivered records are consumed within seconds
    after = await settled_state()
    assert after[0] == before[0], "payments' tables changed"
    assert after[1] == before[1], "e-mails were sent again"
    assert after[2] == before[2], "the back-office's projections changed"
    # The files again and the statement's copies are known as the same bookings: none waits for finance.
    assert suspense(stack) == suspense_before
    statuses_after = await topic_values(stack, probe, "claims.status.v1", timeout_s=3)
    fresh = {v["event_id"] for v in statuses_after} - {v["event_id"] for v in statuses_before}
    assert not fresh, [json.dumps(v) for v in statuses_after if v["event_id"] in fresh]
