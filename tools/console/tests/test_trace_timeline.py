"""A claim's timeline from what each service recorded: time order, plain French, no personal data."""

from __future__ import annotations

import datetime as dt

from guichet_console.trace_collect import ClaimHistory, why
from guichet_console.trace_timeline import timeline

T0 = dt.datetime(2021, 3, 2, 9, 15, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def judgement(**changes) -> dict:
    return {
        "claim_id": "CFN-1",
        "programme": "cheque-france-num-2021",
        "status": "approved",
        "submitted_at": T0,
        "received_at": at(2),
        "outcome": "under_review",
        "rule_version": "2021-01-28",
        "reasons": ["REGISTRY_NO_RECORD"],
        "rule_results": [
            {"code": "TURNOVER_TOO_HIGH", "passed": True, "observed": {"declared_cents": 1, "maximum_cents": 2}},
            {
                "code": "REGISTRY_NO_RECORD",
                "passed": False,
                "observed": {"siren": "642515712"},
                "sends_to_review": True,
            },
        ],
        "grant_cents": 0,
        "decided_at": at(3),
        "review_decision": "approved",
        "review_operator": "alice",
        "review_reason": "Kbis vérifié",
        "reviewed_at": at(60),
    } | changes


def paid_history() -> ClaimHistory:
    return ClaimHistory(
        "CFN-1",
        intake={
            "registration": {"programme": "cheque-france-num-2021", "submitted_at": T0, "registered_at": at(1)},
            "refusals": [],
        },
        eligibility=judgement(),
        payments={
            "payment": {
                "payment_id": "P1",
                "amount_cents": 50_000,
                "status": "sent",
                "attempt": 2,
                "return_reason": "AC04",
                "created_at": at(61),
            },
            "attempts": [
                attempt(1, "returned", batch="B1", reported=at(70)),
                attempt(2, "sent", batch="B2", reported=None),
            ],
            "waitlist": None,
        },
        emails=[
            {
                "kind": "payment_sent",
                "state": "pending",
                "attempts": 2,
                "last_error": "550 mailbox claire.martin@example.fr unknown",
                "created_at": at(62),
                "sent_at": None,
            }
        ],
    )


def attempt(n: int, status: str, *, batch: str, reported: dt.datetime | None) -> dict:
    return {
        "attempt": n,
        "status": status,
        "amount_cents": 50_000,
        "iban_last4": "2957",
        "batch_id": batch,
        "created_at": at(61 + 20 * (n - 1)),
        "reported_at": reported,
        "batch_created_at": at(62 + 20 * (n - 1)),
        "requested_execution_date": dt.date(2021, 3, 3),
    }


def test_the_story_is_in_time_order_across_services() -> None:
    events = timeline(paid_history())
    assert [e.at for e in events] == sorted(e.at for e in events)
    titles = [e.title for e in events]
    assert titles[0] == "Demande déposée (cheque-france-num-2021)"
    assert titles.index("Reçue et enregistrée par intake") < titles.index("Reçue par eligibility")
    assert "Vérification manuelle par alice : accordée" in titles


def test_the_decision_lists_every_rule_in_french_and_marks_review_rules() -> None:
    decision = next(e for e in timeline(paid_history()) if e.title.startswith("Décision"))
    assert decision.title == "Décision : envoyée en vérification manuelle (règles du 2021-01-28) — REGISTRY_NO_RECORD"
    assert decision.details == (
        "✓ TURNOVER_TOO_HIGH : Chiffre d'affaires déclaré de 0,01 € HT, dans la limite de 0,02 € HT",
        "? REGISTRY_NO_RECORD : SIREN 642515712 absent du répertoire : vérification par un agent",
    )
    assert [r["code"] for r in decision.data["rules"]] == ["TURNOVER_TOO_HIGH", "REGISTRY_NO_RECORD"]


def test_a_returned_attempt_shows_the_bank_reason_and_the_new_attempt_its_batch() -> None:
    titles = [e.title for e in timeline(paid_history())]
    assert "Tentative 1 revenue de la banque, motif AC04" in titles
    assert "Tentative 2 mise dans le lot SEPA B2, exécution demandée le 03/03/2021" in titles
    assert "Tentative 2 : virement de 500,00 € vers le compte finissant par 2957" in titles


def test_no_e_mail_address_leaks_through_an_smtp_error() -> None:
    mail = next(e for e in timeline(paid_history()) if e.service == "notifications")
    assert mail.title == "E-mail « payment_sent » en attente d'envoi"
    assert "claire.martin@example.fr" not in " ".join(mail.details)


def test_a_refused_submission_shows_its_codes_and_masked_details() -> None:
    history = ClaimHistory(
        "CFN-2",
        intake={
            "registration": None,
            "refusals": [
                {"codes": ["IBAN_INVALID"], "details": ["iban FR7630006000011234567890180 fails"], "refused_at": T0}
            ],
        },
    )
    [refusal] = timeline(history)
    assert refusal.title == "Refusée à l'enregistrement : IBAN_INVALID"
    assert "FR7630006000011234567890180" not in refusal.details[0]
    assert history.found


def test_an_unreachable_database_is_said_first_and_the_rest_still_shown() -> None:
    history = paid_history()
    history.unreachable["payments"] = why(OSError("Connect call failed ('127.0.0.1', 5999)"))
    events = timeline(history)
    assert events[0].at is None and events[0].title.startswith("Base de données de payments injoignable")
    assert any(e.title.startswith("Décision") for e in events[1:])


def test_a_connection_error_never_shows_the_password_of_a_dsn() -> None:
    text = why(OSError("cannot reach postgresql://guichet:s3cret@db:5432/payments"))
    assert "s3cret" not in text and "postgresql://***@db:5432/payments" in text


def test_a_claim_no_service_knows_is_not_found() -> None:
    history = ClaimHistory("CFN-X", intake={"registration": None, "refusals": []}, payments={"payment": None})
    assert not history.found
    assert timeline(history) == []
