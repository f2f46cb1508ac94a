"""`guichet controls ...` and `guichet recovery ...`: what they ask of the back-office (a fake one on a local port)
and of payments' operators (replaced by fakes), what they print, and their exit codes. No database, no broker."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from guichet_console import cli, controls, recovery

runner = CliRunner()
TOKEN = "gbo_test-token-of-carla"
DECISION = "7f3c2a10-0000-4000-8000-000000000001"
CAMPAIGN = "C-20261203-0a1b2c3d"


def decision(action: str, target: str, state: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": DECISION,
        "action": action,
        "service": "payments",
        "target": target,
        "kind": None,
        "codes": [],
        "reason": "r",
        "state": state,
        "requested_by": "carla",
        "requested_at": "2026-12-03T08:00:00+00:00",
        "seconded_by": None,
        "command_id": "c0ffee00-0000-4000-8000-000000000002" if state == "complete" else None,
    } | extra


class FakeBackoffice(BaseHTTPRequestHandler):
    answers: ClassVar[dict[tuple[str, str], tuple[int, Any]]] = {}
    seen: ClassVar[list[tuple[str, str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.seen.append((self.command, self.path, json.loads(self.rfile.read(length)) if length else None))
        status, document = self.answers.get((self.command, self.path), (404, {"error": "no such route"}))
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backoffice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[type[FakeBackoffice]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBackoffice)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeBackoffice.answers, FakeBackoffice.seen = {}, []
    monkeypatch.setenv("GUICHET_STATE_DIR", str(tmp_path / "no-stack-here"))
    monkeypatch.setenv("BACKOFFICE_URL", f"http://127.0.0.1:{server.server_port}/")
    monkeypatch.delenv("GUICHET_TOKEN", raising=False)
    yield FakeBackoffice
    server.shutdown()
    server.server_close()


def invoke(*args: str) -> Any:
    return runner.invoke(cli.app, list(args), env={"COLUMNS": "200"})


def test_open_posts_the_campaign_with_its_seed_and_paris_moment_and_names_the_campaign(backoffice) -> None:
    answer = decision("control_open", "cheque-france-num-2021", "complete", campaign_id=CAMPAIGN)
    backoffice.answers[("POST", "/api/v1/controls/campaigns")] = (200, answer)
    result = invoke(
        "controls", "open", "--programme", "cheque-france-num-2021", "--seed", "42", "--paid-before", "2026-12-01",
        "--reason", "campagne de décembre", "--token", TOKEN,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert backoffice.seen == [
        (
            "POST",
            "/api/v1/controls/campaigns",
            {
                "programme": "cheque-france-num-2021",
                "reason": "campagne de décembre",
                "seed": 42,
                "paid_before": "2026-12-01T23:59:59.999999+01:00",
            },
        )
    ]
    assert "control_open of cheque-france-num-2021: complete (carla)" in result.output
    assert f"guichet controls show {CAMPAIGN}" in result.output


def test_open_without_a_seed_lets_the_back_office_draw_one(backoffice) -> None:
    backoffice.answers[("POST", "/api/v1/controls/campaigns")] = (200, decision("control_open", "p", "complete"))
    result = invoke("controls", "open", "--programme", "p", "--reason", "r", "--token", TOKEN, "--json")
    assert result.exit_code == 0, result.output
    assert backoffice.seen[0][2] == {"programme": "p", "reason": "r"}
    assert json.loads(result.output)["action"] == "control_open"


def test_a_non_compliant_outcome_sends_cents_and_waits_for_a_second_person(backoffice) -> None:
    path = "/api/v1/controls/CFN-2021-0000123/outcome"
    backoffice.answers[("POST", path)] = (200, decision("control_non_compliant", "CFN-2021-0000123", "pending"))
    result = invoke(
        "controls", "decide", "CFN-2021-0000123", "--outcome", "non_compliant", "--reason-code",
        "CONTROL_INVOICE_UNPAID", "--amount", "1 250,50", "--reason", "facture non acquittée", "--token", TOKEN,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert backoffice.seen == [
        (
            "POST",
            path,
            {
                "outcome": "non_compliant",
                "reason_code": "CONTROL_INVOICE_UNPAID",
                "amount_undue_cents": 125_050,
                "reason": "facture non acquittée",
            },
        )
    ]
    assert f"guichet decisions second {DECISION}" in result.output


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--outcome", "non_compliant", "--reason-code", "CONTROL_INVOICE_UNPAID", "--amount", "12.345"], "euros"),
        (["--outcome", "non_compliant", "--reason-code", "CONTROL_INVOICE_UNPAID", "--amount", "-3"], "euros"),
        (["--outcome", "non_compliant", "--amount", "12"], "--reason-code"),
        (["--outcome", "non_compliant", "--reason-code", "CONTROL_COMPLIANT", "--amount", "12"], "--reason-code"),
        (["--outcome", "no_answer", "--amount", "12"], "whole grant"),
        (["--outcome", "fine"], "--outcome"),
    ],
)
def test_bad_outcome_options_are_a_usage_error_and_nothing_is_asked(backoffice, options, said) -> None:
    result = invoke("controls", "decide", "CFN-1", *options, "--reason", "r", "--token", TOKEN)
    assert result.exit_code == 2, result.output
    assert said in " ".join(result.output.split())
    assert backoffice.seen == []


def test_a_refused_outcome_exits_1_with_the_back_office_s_words(backoffice) -> None:
    path = "/api/v1/controls/CFN-1/outcome"
    backoffice.answers[("POST", path)] = (409, {"error": "la demande n'est pas sous contrôle"})
    result = invoke("controls", "decide", "CFN-1", "--outcome", "compliant", "--reason", "ok", "--token", TOKEN)
    assert result.exit_code == 1
    assert "refused: la demande n'est pas sous contrôle" in result.output


def test_a_bad_paid_before_is_a_usage_error(backoffice) -> None:
    result = invoke("controls", "open", "--programme", "p", "--paid-before", "hier", "--reason", "r", "--token", TOKEN)
    assert result.exit_code == 2 and "ISO 8601" in result.output
    assert backoffice.seen == []


@contextlib.asynccontextmanager
async def no_connection(service: str, **_: Any) -> AsyncIterator[None]:
    yield None


@pytest.fixture
def payments(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """payments' operators as fakes, on a stack whose connection is never used."""
    fake = SimpleNamespace(asked=[])
    stack = SimpleNamespace(connection=no_connection)
    for module in (controls, recovery):
        monkeypatch.setattr(module, "current_stack", lambda **_: stack)
    monkeypatch.setattr(controls, "payments", fake)
    return fake


def control(claim_id: str, outcome: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"claim_id": claim_id, "paid_cents": 50_000, "grounds": ["CONTROL_SAMPLED"], "outcome": outcome} | extra


def campaign(**extra: Any) -> dict[str, Any]:
    return {
        "campaign_id": CAMPAIGN,
        "programme": "cheque-france-num-2021",
        "seed": 42,
        "sampling_percent": "5",
        "risk_rules": ["CONTROL_RISK_FRAUD_SIGNAL"],
        "paid_before": dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        "opened_at": dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC),
        "opened_by": "sam",
        "population": 40,
        "selected": 2,
    } | extra


def test_preview_draws_without_recording_and_prints_the_selection(payments) -> None:
    async def preview_selection(conn: Any, programme: str, seed: int, paid_before: dt.datetime) -> dict[str, Any]:
        payments.asked.append((programme, seed, paid_before))
        return {"population": 40, "selected": [control("CFN-1"), control("CFN-9", grounds=("CONTROL_RISK_REVIEWED",))]}

    payments.preview_selection = preview_selection
    result = invoke("controls", "preview", "--programme", "p", "--seed", "7", "--paid-before", "2026-07-01T12:00")
    assert result.exit_code == 0, result.output
    assert payments.asked == [("p", 7, dt.datetime.fromisoformat("2026-07-01T12:00+02:00"))]
    assert "rien n'est enregistré" in result.output and "2 demande(s) tirée(s) sur 40" in result.output
    assert "CONTROL_RISK_REVIEWED" in result.output and "500,00 €" in result.output
    document = json.loads(invoke("controls", "preview", "--programme", "p", "--seed", "7", "--json").output)
    assert document["seed"] == 7 and document["population"] == 40
    assert document["selected"][1]["grounds"] == ["CONTROL_RISK_REVIEWED"]


def test_show_verify_says_when_the_seed_draws_the_same_claims(payments) -> None:
    async def found(conn: Any, campaign_id: str) -> dict[str, Any] | None:
        return campaign(controls=[control("CFN-1", "compliant"), control("CFN-2")]) if campaign_id == CAMPAIGN else None

    async def verify(conn: Any, campaign_id: str) -> dict[str, Any]:
        return {"matches": True, "selected": 2, "missing": [], "extra": []}

    payments.campaign, payments.verify_campaign = found, verify
    result = invoke("controls", "show", CAMPAIGN, "--verify")
    assert result.exit_code == 0, result.output
    assert "2 tirée(s) sur 40" in result.output and "1 contrôle(s) décidé(s) sur 2" in result.output
    assert "— conforme" in result.output and "Tirage vérifié" in result.output
    assert invoke("controls", "show", "C-20990101-00000000").exit_code == 1


def test_show_verify_exits_1_and_names_the_claims_that_differ(payments) -> None:
    async def found(conn: Any, campaign_id: str) -> dict[str, Any]:
        return campaign()

    async def verify(conn: Any, campaign_id: str) -> dict[str, Any]:
        return {"matches": False, "selected": 2, "missing": ["CFN-2"], "extra": ["CFN-3"]}

    payments.campaign, payments.verify_campaign = found, verify
    result = invoke("controls", "show", CAMPAIGN, "--verify", "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["verification"]["extra"] == ["CFN-3"]
    text = invoke("controls", "show", CAMPAIGN, "--verify").output
    assert "DIFFÉRENT" in text and "CFN-2" in text and "CFN-3" in text


def test_list_prints_every_campaign(payments) -> None:
    async def campaigns(conn: Any) -> list[dict[str, Any]]:
        return [campaign()]

    payments.campaigns = campaigns
    result = invoke("controls", "list")
    assert result.exit_code == 0 and CAMPAIGN in result.output and "1 campagne(s)" in result.output
    assert json.loads(invoke("controls", "list", "--json").output)["campaigns"][0]["seed"] == 42


def order(**extra: Any) -> dict[str, Any]:
    return {
        "order_id": "RO-ABCDEF123456",
        "claim_id": "CFN-1",
        "payment_id": "P1",
        "programme": "cheque-france-num-2021",
        "siren": "642515712",
        "reason_code": "CONTROL_INVOICE_UNPAID",
        "amount_cents": 50_000,
        "repaid_cents": 20_000,
        "outstanding_cents": 30_000,
        "payment_reference": "RF18539007547034",
        "issued_on": dt.date(2026, 12, 3),
        "due_on": dt.date(2027, 1, 2),
        "reminders_sent": 1,
        "state": "outstanding",
        "issued_at": dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC),
        "settled_at": None,
        "collection_at": None,
        "returns_to_envelope": True,
        "source": None,
        "repayments": [
            {
                "bank_entry": "E-1",
                "amount_cents": 20_000,
                "value_date": dt.date(2026, 12, 10),
                "received_at": dt.datetime(2026, 12, 10, 8, tzinfo=dt.UTC),
                "returned_to_envelope": True,
            }
        ],
    } | extra


def test_recovery_show_by_order_or_claim_and_exit_1_when_none(payments, monkeypatch) -> None:
    async def one(conn: Any, *, order_id: str, claim_id: str) -> dict[str, Any] | None:
        return order() if "CFN-1" in (order_id, claim_id) else None

    monkeypatch.setattr(recovery.payments, "recovery_order", one)
    result = invoke("recovery", "show", "CFN-1")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "RO-ABCDEF123456" in text and "reste dû 300,00 €" in text and "02/01/2027" in text
    assert "ne montrent pas le paiement" in text and "écriture E-1, rendu à l'enveloppe" in text
    assert json.loads(invoke("recovery", "show", "CFN-1", "--json").output)["outstanding_cents"] == 30_000
    assert invoke("recovery", "show", "CFN-404").exit_code == 1


def test_recovery_list_filters_by_state_and_refuses_an_unknown_one(payments, monkeypatch) -> None:
    asked = []

    async def orders(conn: Any, **filters: Any) -> list[dict[str, Any]]:
        asked.append(filters)
        return [order(repayments=None)]

    monkeypatch.setattr(recovery.payments, "recovery_orders", orders)
    result = invoke("recovery", "list", "--state", "outstanding")
    assert result.exit_code == 0, result.output
    assert asked[0]["state"] == "outstanding" and "RO-ABCDEF123456" in result.output and "à recouvrer" in result.output
    assert invoke("recovery", "list", "--state", "paid").exit_code == 2


def test_a_programme_payments_does_not_know_is_refused_not_a_traceback(payments) -> None:
    async def preview_selection(conn: Any, programme: str, seed: int, paid_before: dt.datetime) -> dict[str, Any]:
        raise KeyError(f"programme inconnu de payments : {programme}")

    payments.preview_selection = preview_selection
    result = invoke("controls", "preview", "--programme", "nope", "--seed", "1")
    assert result.exit_code == 1
    assert "refused: programme inconnu de payments : nope\n" in result.output
