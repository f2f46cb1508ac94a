"""`guichet report`: the programme's figures, on the terminal, as JSON, or as a self-contained HTML page."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from guichet_common.cli import ExitCode
from guichet_console.connect import current_stack
from guichet_console.operations import Json
from guichet_console.report_collect import collect
from guichet_console.report_controls import controls_table
from guichet_console.report_figures import assemble
from guichet_console.report_format import PARIS, count, duration, euros
from guichet_console.report_html import BUDGET_CARDS, CLAIM_CARDS, DELAYS, render
from guichet_console.trace_collect import UNREACHABLE, why

ZONE = "Europe/Paris"  # the programme's dates are judged in Paris time (specification)


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    programme: Annotated[str | None, typer.Option(help="one programme's figures (default: all programmes)")] = None,
    as_json: Json = False,
    html: Annotated[Path | None, typer.Option("--html", help="also write a self-contained HTML page to FILE")] = None,
) -> None:
    """The programme's figures: claims, refusals and rejections, invoices, budget, payments, controls and recovery,
    delays, claims per day."""
    try:
        figures = asyncio.run(collect(current_stack(), programme, ZONE))
    except UNREACHABLE as error:
        typer.echo(f"Une base de données est injoignable ({why(error)}) : rapport non produit.", err=True)
        raise typer.Exit(ExitCode.UNREACHABLE) from error
    document = assemble(figures, programme, dt.datetime.now(PARIS).replace(microsecond=0))
    if html is not None:
        html.write_text(render(document), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        show(Console(), document)
        if html is not None:
            typer.echo(f"Page HTML écrite : {html}")


def show(console: Console, report: dict[str, Any]) -> None:
    claims, budget, invoices = report["claims"], report["budget"], report["invoices"]
    console.print(f"[bold]Rapport — {report['programme'] or 'tous les programmes'}[/bold]  ({report['generated_at']})")
    console.print(_pairs("Demandes", [(caption, count(claims[key])) for key, caption in CLAIM_CARDS]))
    average = euros(invoices["average_incl_tax_cents"])
    console.print(f"Facture moyenne TTC : {average} sur {count(invoices['count'])} factures")
    console.print(_pairs("Budget", [(caption, euros(budget[key])) for key, caption in BUDGET_CARDS]))
    payments = [
        (s, f"{count(p['count'])} — {euros(p['amount_cents'])}") for s, p in report["payments_by_status"].items()
    ]
    console.print(_pairs("Paiements par statut", payments))
    console.print(controls_table(report["controls"]))
    delays = Table(title="Délais depuis le dépôt")
    for column in ("", "médiane", "p90", "p99", "demandes"):
        delays.add_column(column)
    for key, caption in DELAYS:
        found = report["delays_seconds"][key]
        delays.add_row(caption, *(duration(found[q]) for q in ("p50", "p90", "p99")), count(found["count"]))
    console.print(delays)
    console.print(_pairs("Refus à l'enregistrement", [(c, count(n)) for c, n in report["refusals_by_code"].items()]))
    console.print(_pairs("Rejets", [(c, count(n)) for c, n in report["rejections_by_reason"].items()]))
    per_day = report["claims_per_day"]
    if per_day:
        console.print(f"Demandes par jour : {len(per_day)} jours, du {per_day[0]['date']} au {per_day[-1]['date']}")
    for note in report["notes"]:
        console.print(f"[dim]{note}[/dim]")


def _pairs(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    for name, value in rows:
        table.add_row(name, value)
    return table
