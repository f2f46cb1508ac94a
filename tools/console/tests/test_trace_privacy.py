"""`guichet trace` under issue 18: data a service erased reads "effacé le JJ/MM/AAAA", and a sealed value from an
internal topic is never printed, only said to be there."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import sys
from pathlib import Path

from guichet_common.privacy.erasures import Erasure
from guichet_console.trace_timeline import timeline

ERASED_AT = dt.datetime(2023, 8, 2, 3, 0, tzinfo=dt.UTC)
SEALED = "sealed:v1:contact:CFN-1:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo"


def _sibling(name: str):
    """The timeline tests' history of a paid claim (tests here are not a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


paid_history = _sibling("test_trace_timeline").paid_history


def erased_history():
    history = paid_history()
    for attempt in history.payments["attempts"]:
        attempt["iban_last4"] = None  # payments nulls the IBAN of an accounting row it must keep
    history.erasures = {
        service: [
            Erasure("CFN-1", "bank", ERASED_AT + dt.timedelta(minutes=i), "retention"),
            Erasure("CFN-1", "contact", ERASED_AT + dt.timedelta(minutes=i), "retention"),
        ]
        for i, service in enumerate(("intake", "payments", "notifications"))
    }
    return history


def test_an_erased_account_reads_effaced_on_its_date_and_each_kind_says_when_and_by_whom() -> None:
    events = timeline(erased_history())
    titles = [e.title for e in events]
    assert (
        "Tentative 2 : virement de 500,00 € vers un compte dont les coordonnées ont été effacées le 02/08/2023"
        in titles
    )
    bank = next(e for e in events if e.title.startswith("Coordonnées bancaires"))
    assert (
        bank.title
        == "Coordonnées bancaires (IBAN, BIC, titulaire) effacées le 02/08/2023 (durée de conservation échue)"
    )
    assert bank.details == ("Effacées par : intake, notifications, payments",)
    assert bank.as_json()["data"] == {"kind": "bank", "erased_on": "2023-08-02", "reason": "retention"}
    assert any(t.startswith("Coordonnées (nom, e-mail, téléphone) effacées le 02/08/2023") for t in titles)
    assert events[-1].service == "privacy", "the erasures come last, in time order"


def test_nothing_erased_says_nothing_of_erasures() -> None:
    assert not [e for e in timeline(paid_history()) if e.service == "privacy"]


def test_a_sealed_value_is_never_printed() -> None:
    history = paid_history()
    history.emails[0]["last_error"] = f"550 mailbox {SEALED} unknown"
    history.intake["refusals"] = [{"codes": ["X"], "details": [f"contact {SEALED}"], "refused_at": ERASED_AT}]
    history.eligibility = history.eligibility | {"review_reason": f"vu {SEALED}"}
    events = timeline(history)
    shown = repr([dataclasses.asdict(event) for event in events])
    assert "sealed:v1" not in shown and "QUJDREVG" not in shown
    assert "[scellé]" in shown
