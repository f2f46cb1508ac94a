"""Post-payment controls in real headless Chromium, on the real stack: a claim payments selected for control
reaches the Controls page; a caseworker records it non-compliant (money ordered back), which waits; she cannot
second it herself; a supervisor seconds it from the same page, and one ControlDecisionV1 leaves for payments.
axe-core checks every page on the way."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid

import pytest
from browser_axe import assert_accessible
from browser_claims import new_applicant
from browser_people import sign_in
from playwright.async_api import Page, expect

from guichet_common.contracts.controls import ControlEventV1

pytestmark = pytest.mark.e2e

CONTROLS_PATH = "/controles"
RECOVERY_PATH = "/reversements"


@pytest.fixture(scope="module")
async def under_control(stack, probe, backoffice) -> str:
    """A claim payments selected for control, as its event says (payments.controls.v1, read by the back-office)."""
    claim_id = "CFN-CONTROLE-" + uuid.uuid4().hex[:10].upper()
    selected = ControlEventV1(
        event_id=uuid.uuid4(),
        occurred_at=dt.datetime.now(dt.UTC),
        kind="selected",
        campaign_id=f"C-{dt.datetime.now(dt.UTC):%Y%m%d}-{uuid.uuid4().hex[:8]}",
        claim_id=claim_id,
        programme="cheque-france-num-2021",
        siren=new_applicant().siren,
        payment_id="P-" + claim_id,
        paid_cents=50_000,
        grounds=["CONTROL_SAMPLED"],
        reply_by=dt.date.today() + dt.timedelta(days=30),
    )
    await probe.publish(stack.topic("payments.controls.v1"), [(claim_id.encode(), selected.model_dump_json().encode())])
    return claim_id


async def signed_in(new_context, backoffice, role: str) -> Page:
    return await sign_in(await new_context(), backoffice.url, backoffice.login(role), backoffice.passwords[role])


async def reload_until(page: Page, url: str, text: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        await page.goto(url)
        if text in await page.inner_text("main"):
            return
        assert time.monotonic() < deadline, f"{url} never showed {text!r}:\n{await page.inner_text('main')}"
        await page.wait_for_timeout(500)


async def test_a_non_compliant_outcome_waits_for_a_supervisors_second_then_goes_to_payments(
    stack, probe, backoffice, new_context, under_control
) -> None:
    caseworker = await signed_in(new_context, backoffice, "caseworker")
    await reload_until(caseworker, backoffice.url + CONTROLS_PATH, under_control)
    await assert_accessible(caseworker)

    await caseworker.get_by_label("Dossier", exact=True).select_option(under_control)
    await caseworker.get_by_label("Non conforme", exact=True).check()
    await caseworker.get_by_label(re.compile("Motif de non-conformité")).select_option("CONTROL_INVOICE_UNPAID")
    await caseworker.get_by_label(re.compile("Montant à reverser")).fill("400,00")
    await caseworker.get_by_label(re.compile("Motif écrit")).fill("Les factures ne sont pas acquittées.")
    await caseworker.get_by_role("button", name="Enregistrer l'issue").click()
    await expect(caseworker.locator("main")).to_contain_text("une seconde personne, superviseur, doit l'approuver")
    await assert_accessible(caseworker)

    # Her own decision waits on the Controls page, without a button to approve it.
    await caseworker.goto(backoffice.url + CONTROLS_PATH)
    mine = caseworker.locator("tr", has_text="contrôle conclu non conforme")
    await expect(mine).to_contain_text(under_control)
    await expect(mine.get_by_role("button", name=re.compile("Approuver"))).to_have_count(0)

    supervisor = await signed_in(new_context, backoffice, "supervisor")
    await supervisor.goto(backoffice.url + CONTROLS_PATH)
    await assert_accessible(supervisor)
    row = supervisor.locator("tr", has_text="contrôle conclu non conforme").filter(has_text=under_control)
    await row.get_by_role("button", name=re.compile("Approuver")).click()
    await expect(supervisor.locator("main")).to_contain_text("Transmise au service payments")
    await assert_accessible(supervisor)

    def ours(records) -> list[dict]:
        return [json.loads(r.value) for r in records if r.key == under_control.encode()]

    seen = await probe.read_until(stack.topic("backoffice.control-decisions.v1"), lambda rs: bool(ours(rs)))
    [command] = ours(seen)
    assert (command["action"], command["outcome"], command["reason_code"], command["amount_undue_cents"]) == (
        "record_outcome",
        "non_compliant",
        "CONTROL_INVOICE_UNPAID",
        40_000,
    )
    assert (command["decided_by"], command["seconded_by"]) == (
        backoffice.login("caseworker"),
        backoffice.login("supervisor"),
    )


async def test_the_recovery_page_has_no_serious_accessibility_violation(backoffice, new_context) -> None:
    finance = await signed_in(new_context, backoffice, "finance")
    response = await finance.goto(backoffice.url + RECOVERY_PATH)
    assert response is not None and response.status == 200
    await assert_accessible(finance)
