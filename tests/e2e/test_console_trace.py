"""`guichet trace` end to end: a claim rejected for several reasons is explained rule by rule, in French, with
the values each rule saw; a paid claim shows its payment and e-mails without personal data."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import mailbox
import random
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from guichet_common.contracts import EXAMPLES
from guichet_deploy.procs import free_port
from guichet_simulator.identifiers import random_iban, random_siren, random_siret

pytestmark = pytest.mark.e2e


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def new_company(rng: random.Random) -> tuple[dict, dict]:
    """A registry record and a claim of a company of their own (no ALREADY_AIDED, no reused invoice)."""
    siren = random_siren(rng)
    record = example("registry.companies.v1") | {"siren": siren}
    event = example("claims.submitted.v1")
    event["event_id"] = str(uuid.uuid4())
    claim = event["claim"]
    claim["claim_id"] = "CFN-TRACE-" + uuid.uuid4().hex[:10]
    claim["applicant"].update(siren=siren, siret=random_siret(rng, siren))
    claim["bank_account"]["iban"] = random_iban(rng)[0]
    for invoice in claim["invoices"]:
        invoice["invoice_number"] += "-" + claim["claim_id"]
    return record, event


def statuses_of(records, claim_id: str) -> list[str]:
    return [json.loads(r.value)["status"] for r in records if r.key == claim_id.encode()]


async def publish_and_wait(stack, probe, record: dict, event: dict, status: str) -> None:
    await probe.publish(stack.topic("registry.companies.v1"), [(record["siren"].encode(), json.dumps(record).encode())])
    siren = event["claim"]["applicant"]["siren"].encode()
    await probe.publish(stack.topic("claims.submitted.v1"), [(siren, json.dumps(event).encode())])
    claim_id = event["claim"]["claim_id"]
    seen = await probe.read_until(stack.topic("claims.status.v1"), lambda rs: status in statuses_of(rs, claim_id))
    assert status in statuses_of(seen, claim_id), statuses_of(seen, claim_id)


def closed_port_dsn(dsn: str) -> str:
    """The same database address on a port nothing listens on: a database down, as the console sees it."""
    parts = urlsplit(dsn)
    credentials = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{credentials}@127.0.0.1:{free_port()}"))


def personal_data(event: dict) -> list[str]:
    claim = event["claim"]
    return [
        claim["contact"]["email"],
        claim["contact"]["full_name"],
        claim["contact"]["phone"],
        claim["bank_account"]["holder_name"],
        claim["bank_account"]["iban"],
    ]


# The values the rejected claim below carries, as the French sentences must name them.
EXPECTED_SENTENCES = {
    "HEADCOUNT_TOO_HIGH": ["Effectif trop élevé", "14 salarié(s) déclaré(s)", "inférieur à 11"],
    "TURNOVER_TOO_HIGH": ["2 500 000,00 € HT", "au-dessus du plafond de 2 000 000,00 € HT"],
    "EXPENSES_BELOW_MINIMUM": [
        "144,00 € TTC",
        "sous le minimum de 450,00 € TTC",
        "datée du 01/09/2020, hors de la période du 30/10/2020 au 30/06/2021",
    ],
}


async def test_trace_of_a_rejected_claim_names_every_failing_rule_with_the_values_it_saw(stack, probe) -> None:
    record, event = new_company(random.Random())
    claim = event["claim"]
    claim["applicant"].update(headcount=14, annual_turnover_cents=250_000_000)
    claim["invoices"][0]["issued_on"] = "2020-09-01"  # before the invoice window: only the 144 € one counts
    await publish_and_wait(stack, probe, record, event, "rejected")

    shown = stack.console("trace", claim["claim_id"])
    assert shown.returncode == 0, shown.stderr
    assert "Décision : rejetée" in shown.stdout
    lines = shown.stdout.splitlines()
    for code, fragments in EXPECTED_SENTENCES.items():
        line = next((line for line in lines if f"✗ {code} :" in line), None)
        assert line is not None, f"{code} not named as failing:\n{shown.stdout}"
        for fragment in fragments:
            assert fragment in line, f"{fragment!r} missing from {line!r}"
    assert "✓ FILED_OUTSIDE_WINDOW : Déposée le 02/03/2021 à 10:15 (heure de Paris), dans la période" in shown.stdout
    for secret in personal_data(event):
        assert secret not in shown.stdout

    document = json.loads(stack.console("trace", claim["claim_id"], "--json").stdout)
    decision = next(e for e in document["events"] if e["title"].startswith("Décision"))
    failing = {rule["code"]: rule for rule in decision["data"]["rules"] if not rule["passed"]}
    assert set(failing) == set(EXPECTED_SENTENCES)
    assert failing["HEADCOUNT_TOO_HIGH"]["observed"]["declared"] == 14
    assert failing["TURNOVER_TOO_HIGH"]["observed"]["declared_cents"] == 250_000_000
    assert failing["EXPENSES_BELOW_MINIMUM"]["observed"]["eligible_incl_tax_cents"] == 14_400
    for code, fragments in EXPECTED_SENTENCES.items():
        assert all(fragment in failing[code]["sentence"] for fragment in fragments), failing[code]["sentence"]
    services = [e["service"] for e in document["events"]]
    assert services.index("portail") < services.index("intake") < services.index("eligibility")


async def test_trace_of_a_paid_claim_shows_payment_batch_and_mails_without_personal_data(stack, probe) -> None:
    record, event = new_company(random.Random())
    claim = event["claim"]
    await publish_and_wait(stack, probe, record, event, "payment_sent")

    mail_sent = "E-mail « payment_sent » envoyé le "
    shown = stack.console("trace", claim["claim_id"])
    deadline = time.monotonic() + 30
    while mail_sent not in shown.stdout and time.monotonic() < deadline:  # notifications follows the statuses
        await asyncio.sleep(0.5)
        shown = stack.console("trace", claim["claim_id"])
    assert shown.returncode == 0, shown.stderr
    iban = claim["bank_account"]["iban"].replace(" ", "")
    assert "Décision : accordée (règles du 2021-01-28), aide de 500,00 €" in shown.stdout
    assert "Paiement de 500,00 € créé" in shown.stdout
    assert f"vers le compte finissant par {iban[-4:]}" in shown.stdout
    assert "mise dans le lot SEPA" in shown.stdout
    assert mail_sent in shown.stdout, shown.stdout
    for secret in personal_data(event):
        assert secret not in shown.stdout


async def test_trace_of_an_unknown_claim_says_so_and_exits_1(stack) -> None:
    result = stack.console("trace", "CFN-NEVER-SEEN-" + uuid.uuid4().hex[:8])
    assert result.returncode == 1
    assert "Aucune trace de la demande CFN-NEVER-SEEN-" in result.stderr


async def test_trace_with_a_database_down_says_which_and_still_shows_the_rest(stack, probe) -> None:
    record, event = new_company(random.Random())
    event["claim"]["applicant"]["headcount"] = 20
    await publish_and_wait(stack, probe, record, event, "rejected")
    env = stack.env | {"PAYMENTS_DATABASE_URL": closed_port_dsn(stack.env["PAYMENTS_DATABASE_URL"])}

    shown = stack.console("trace", event["claim"]["claim_id"], env=env)
    assert shown.returncode == 0, shown.stderr
    assert "Base de données de payments injoignable" in shown.stdout
    assert "✗ HEADCOUNT_TOO_HIGH : Effectif trop élevé : 20 salarié(s) déclaré(s)" in shown.stdout
    assert "Reçue et enregistrée par intake" in shown.stdout


def mails_about(maildir, claim_id: str) -> list:
    if not maildir.exists():
        return []
    return [m for m in mailbox.Maildir(maildir, create=False) if claim_id in m.get_payload(decode=True).decode()]


async def test_a_claim_for_an_unknown_programme_is_mailed_under_configured_text_and_traced(stack, probe) -> None:
    """The applicant's own text for a programme we do not run never heads a mail from the official address."""
    record, event = new_company(random.Random())
    phishing = "Remboursement urgent : appelez le 08 99 00 00 00"
    event["claim"]["programme"] = phishing
    await publish_and_wait(stack, probe, record, event, "refused")
    claim_id = event["claim"]["claim_id"]

    mail_sent = "E-mail « refused » envoyé le "
    shown = stack.console("trace", claim_id)
    deadline = time.monotonic() + 30
    while mail_sent not in shown.stdout and time.monotonic() < deadline:  # notifications follows the statuses
        await asyncio.sleep(0.5)
        shown = stack.console("trace", claim_id)
    assert mail_sent in shown.stdout, shown.stdout
    [stored] = mails_about(stack.maildir, claim_id)
    mail = email.message_from_bytes(stored.as_bytes(), policy=email.policy.default)
    subject = str(mail["Subject"])
    assert "demande non enregistrée" in subject and "Remboursement" not in subject and "08 99" not in subject
    assert subject == "Guichet des aides – demande non enregistrée"
    assert "appelez" not in mail.get_content()
