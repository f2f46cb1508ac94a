"""Controls and recovery in the report and on the status screen (issue 19). Pure: no I/O.

From payments' `control_and_recovery_figures` (per programme: claims controlled, by outcome, cents ordered,
recovered and outstanding, orders in collection, and per reason code the cents ordered and recovered), one section:
the figures of one programme or the sum of all, the outcome rates (shares of the claims controlled; `pending` is
those not decided yet), the recovery rate (recovered / ordered; None while nothing is ordered) overall and by
reason, and each programme's own. Rates are fractions rounded to four places; money is in integer cents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.table import Table

from guichet_console.report_format import count, euros, outside

OUTCOMES = ("compliant", "non_compliant", "no_answer", "pending")
AMOUNTS = ("ordered_cents", "recovered_cents", "outstanding_cents", "in_collection_cents")
OUTCOME_CAPTIONS = {
    "compliant": "Conformes",
    "non_compliant": "Non conformes",
    "no_answer": "Sans réponse",
    "pending": "En attente",
}
AMOUNT_CAPTIONS = {
    "ordered_cents": "Montant à reverser (ordres émis)",
    "recovered_cents": "Montant reversé",
    "outstanding_cents": "Reste à recouvrer",
    "in_collection_cents": "Transmis au recouvrement forcé",
}


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _summed(raw: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The counts and amounts of several programmes, added up (rates come after, from the sums)."""
    total: dict[str, Any] = {"controlled": 0, "by_outcome": dict.fromkeys(OUTCOMES[:-1], 0), "in_collection": 0}
    total |= dict.fromkeys(AMOUNTS, 0)
    by_reason: dict[str, dict[str, int]] = {}
    for figures in raw.values():
        total["controlled"] += int(figures.get("controlled", 0))
        total["in_collection"] += int(figures.get("in_collection", 0))
        for outcome in OUTCOMES[:-1]:
            total["by_outcome"][outcome] += int(figures.get("by_outcome", {}).get(outcome, 0))
        for key in AMOUNTS:
            total[key] += int(figures.get(key, 0))
        for code, reason in figures.get("by_reason", {}).items():
            sums = by_reason.setdefault(code, {"orders": 0, "ordered_cents": 0, "recovered_cents": 0})
            for key in sums:
                sums[key] += int(reason.get(key, 0))
    return total | {"by_reason": by_reason}


def _with_rates(summed: dict[str, Any]) -> dict[str, Any]:
    controlled, by_outcome = summed["controlled"], dict(summed["by_outcome"])
    by_outcome["pending"] = max(controlled - sum(by_outcome.values()), 0)
    reasons = dict(sorted(summed["by_reason"].items()))
    return {
        "controlled": controlled,
        "by_outcome": by_outcome,
        "outcome_rates": {outcome: _rate(by_outcome[outcome], controlled) for outcome in OUTCOMES},
        **{key: summed[key] for key in AMOUNTS},
        "in_collection": summed["in_collection"],
        "recovery_rate": _rate(summed["recovered_cents"], summed["ordered_cents"]),
        "by_reason": reasons,
        "recovery_rate_by_reason": {
            code: _rate(reason["recovered_cents"], reason["ordered_cents"]) for code, reason in reasons.items()
        },
    }


EMPTY = _with_rates(_summed({}))


def controls_document(raw: Mapping[str, Mapping[str, Any]], programme: str | None) -> dict[str, Any]:
    """The report's `controls` section: `programme`'s figures (all programmes' when None) and `by_programme`."""
    chosen = {name: figures for name, figures in raw.items() if programme is None or name == programme}
    return _with_rates(_summed(chosen)) | {
        "by_programme": {name: _with_rates(_summed({name: chosen[name]})) for name in sorted(chosen)}
    }


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %".replace(".", ",")


def controls_table(document: dict[str, Any]) -> Table:
    """For a terminal: the counts, rates and amounts, then the recovery rate by reason."""
    table = Table(title="Contrôles après paiement et reversements", show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    table.add_row("Demandes contrôlées", count(document["controlled"]))
    for outcome in OUTCOMES:
        rate = percent(document["outcome_rates"][outcome])
        table.add_row(f"  {OUTCOME_CAPTIONS[outcome]}", f"{count(document['by_outcome'][outcome])} ({rate})")
    for key in AMOUNTS:
        table.add_row(AMOUNT_CAPTIONS[key], euros(document[key]))
    table.add_row("Ordres transmis au recouvrement forcé", count(document["in_collection"]))
    table.add_row("Taux de recouvrement", percent(document["recovery_rate"]))
    for code, rate in document["recovery_rate_by_reason"].items():
        table.add_row(f"  {outside(code, 64)}", percent(rate))
    return table


def controls_html(document: dict[str, Any]) -> str:
    """For the report page: cards tagged with their JSON path (`controls.…`), then the rate by reason."""
    from guichet_console.report_html import card, esc, figure  # here: report_html imports this module

    cards = [card("controls.controlled", document["controlled"], count(document["controlled"]), "Demandes contrôlées")]
    for outcome in OUTCOMES:
        rate = document["outcome_rates"][outcome]
        cards.append(card(f"controls.outcome_rates.{outcome}", rate, percent(rate), OUTCOME_CAPTIONS[outcome]))
    for key in AMOUNTS:
        cards.append(card(f"controls.{key}", document[key], euros(document[key]), AMOUNT_CAPTIONS[key]))
    cards.append(
        card(
            "controls.in_collection",
            document["in_collection"],
            count(document["in_collection"]),
            "Ordres en recouvrement forcé",
        )
    )
    cards.append(
        card(
            "controls.recovery_rate",
            document["recovery_rate"],
            percent(document["recovery_rate"]),
            "Taux de recouvrement",
        )
    )
    rows = "".join(
        f"<tr><td>{esc(code)}</td><td>{count(document['by_reason'][code]['orders'])}</td>"
        f"<td>{figure(f'controls.recovery_rate_by_reason.{code}', rate, percent(rate))}</td></tr>"
        for code, rate in document["recovery_rate_by_reason"].items()
    )
    return (
        f'<div class="cards">{"".join(cards)}</div>'
        "<h3>Taux de recouvrement, par motif</h3>"
        f"<table><tr><th>Motif</th><th>Ordres</th><th>Recouvré</th></tr>{rows}</table>"
    )
