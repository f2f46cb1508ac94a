"""The programme report as one self-contained HTML page: inline CSS and SVG, no script, font or network.

Each key number carries `data-figure` (its dotted path in `guichet report --json`) and `data-value` (the raw
JSON value), so a machine can check the page says what the JSON says.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from guichet_console.report_controls import controls_html
from guichet_console.report_format import count, duration, euros, outside
from guichet_console.report_svg import bar_list, column_chart, line_chart
from guichet_console.report_svg import esc as _markup_escaped

STYLE = """
body { font-family: sans-serif; margin: 2rem; color: #1f2937; max-width: 1100px; }
h1 { margin-bottom: 0; } .muted { color: #6b7280; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 0.75rem; margin: 1rem 0; }
.card { border: 1px solid #d1d5db; border-radius: 6px; padding: 0.6rem 0.8rem; }
.card .value { font-size: 1.5rem; font-weight: bold; display: block; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
td, th { border-bottom: 1px solid #e5e7eb; padding: 0.25rem 0.8rem; text-align: right; }
td:first-child, th:first-child { text-align: left; }
"""
CLAIM_CARDS = (
    ("received", "Demandes reçues"),
    ("registered", "Enregistrées"),
    ("refused", "Refusées à l'enregistrement"),
    ("awaiting_registry", "En attente du répertoire"),
    ("under_review", "En vérification manuelle"),
    ("approved", "Accordées"),
    ("rejected", "Rejetées"),
    ("waitlisted", "En liste d'attente"),
    ("beneficiaries", "Bénéficiaires payés"),
)
BUDGET_CARDS = (
    ("total_cents", "Enveloppe"),
    ("reserved_cents", "Réservé"),
    ("paid_cents", "Payé"),
    ("available_cents", "Reste"),
)
DELAYS = (("submission_to_decision", "Dépôt → décision"), ("submission_to_payment", "Dépôt → ordre de paiement"))


def esc(value: Any) -> str:
    """HTML-escaped (markup) and printable (control, separator and bidi characters written out): a programme named
    on the command line or a code read from a database can neither add an element nor reverse what a reader sees."""
    return _markup_escaped(outside(value))


def _labels(points: list[tuple[Any, int]]) -> list[tuple[str, int]]:
    return [(outside(name), value) for name, value in points]


def figure(path: str, value: Any, shown: str) -> str:
    raw = "" if value is None else str(value)
    return f'<span data-figure="{esc(path)}" data-value="{esc(raw)}">{esc(shown)}</span>'


def figures_on(page: str) -> dict[str, str]:
    """The page's tagged numbers (data-figure path -> data-value), as a browser's DOM or a scraper reads them."""
    reader = _FigureReader()
    reader.feed(page)
    return reader.found


class _FigureReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if "data-figure" in named:
            self.found[named["data-figure"] or ""] = named.get("data-value") or ""


def card(path: str, value: Any, shown: str, caption: str) -> str:
    return (
        f'<div class="card"><span class="value">{figure(path, value, shown)}</span>'
        f'<span class="muted">{esc(caption)}</span></div>'
    )


def render(report: dict[str, Any]) -> str:
    scope = report["programme"] or "tous les programmes"
    claims, budget, invoices = report["claims"], report["budget"], report["invoices"]
    average = invoices["average_incl_tax_cents"]
    sections = [
        f"<h1>Rapport du programme — {esc(scope)}</h1>",
        f'<p class="muted">Produit le {esc(report["generated_at"])}. Montants en euros, dates en heure de Paris.</p>',
        "<h2>Demandes</h2>",
        '<div class="cards">'
        + "".join(card(f"claims.{key}", claims[key], count(claims[key]), caption) for key, caption in CLAIM_CARDS)
        + card(
            "invoices.average_incl_tax_cents",
            average,
            euros(average),
            f"Facture moyenne TTC ({count(invoices['count'])} factures)",
        )
        + "</div>",
        "<h3>Demandes enregistrées par jour de dépôt</h3>",
        column_chart(
            _labels([(p["date"], p["claims"]) for p in report["claims_per_day"]]),
            "Demandes enregistrées par jour de dépôt",
        ),
        "<h2>Budget</h2>",
        '<div class="cards">'
        + "".join(card(f"budget.{key}", budget[key], euros(budget[key]), caption) for key, caption in BUDGET_CARDS)
        + "</div>",
        "<h3>Enveloppe restante, jour après jour</h3>",
        line_chart(
            _labels([(p["date"], p["available_cents"]) for p in report["budget_by_day"]]),
            "Enveloppe restante, jour après jour",
            start=budget["total_cents"],
            label=euros,
        ),
        "<h2>Paiements</h2>",
        _payments_table(report["payments_by_status"]),
        "<h2>Contrôles après paiement et reversements</h2>",
        controls_html(report["controls"]),
        "<h2>Délais</h2>",
        _delays_table(report["delays_seconds"]),
        "<h2>Refus à l'enregistrement, par code</h2>",
        _reasons(report["refusals_by_code"], "refusals_by_code", "Refus par code"),
        "<h2>Rejets, par motif</h2>",
        _reasons(report["rejections_by_reason"], "rejections_by_reason", "Rejets par motif"),
        *(f'<p class="muted">{esc(note)}</p>' for note in report["notes"]),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f"<title>Rapport — {esc(scope)}</title><style>{STYLE}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>\n"
    )


def _cell(path: str, value: Any, shown: str) -> str:
    return f"<td>{figure(path, value, shown)}</td>"


def _payments_table(by_status: dict[str, dict[str, int]]) -> str:
    rows = "".join(
        f"<tr><td>{esc(status)}</td>"
        + _cell(f"payments_by_status.{status}.count", found["count"], count(found["count"]))
        + _cell(f"payments_by_status.{status}.amount_cents", found["amount_cents"], euros(found["amount_cents"]))
        + "</tr>"
        for status, found in by_status.items()
    )
    return f"<table><tr><th>Statut</th><th>Paiements</th><th>Montant</th></tr>{rows}</table>"


def _delays_table(delays: dict[str, dict[str, Any]]) -> str:
    rows = ""
    for key, caption in DELAYS:
        found = delays[key]
        cells = "".join(_cell(f"delays_seconds.{key}.{q}", found[q], duration(found[q])) for q in ("p50", "p90", "p99"))
        cells += _cell(f"delays_seconds.{key}.count", found["count"], count(found["count"]))
        rows += f"<tr><td>{esc(caption)}</td>{cells}</tr>"
    return f"<table><tr><th>Délai</th><th>médiane</th><th>p90</th><th>p99</th><th>demandes</th></tr>{rows}</table>"


def _reasons(counts: dict[str, int], path: str, title: str) -> str:
    items = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    rows = "".join(f"<tr><td>{esc(code)}</td>{_cell(f'{path}.{code}', n, count(n))}</tr>" for code, n in items)
    return bar_list(_labels(items), title) + f"<table><tr><th>Code</th><th>Demandes</th></tr>{rows}</table>"
