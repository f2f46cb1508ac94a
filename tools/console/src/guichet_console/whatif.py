"""`guichet whatif`: re-judge a programme's past claims under another rule version or an edited programme, and say
what would change. Changes nothing (a read-only transaction on eligibility's database, through
`guichet_eligibility.operators`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from guichet_common.cli import ExitCode
from guichet_console.connect import current_stack
from guichet_console.operations import Json, fail, run
from guichet_eligibility import operators as eligibility


def whatif(
    programme: Annotated[str, typer.Option(help="programme id whose claims to replay")],
    programme_file: Annotated[Path | None, typer.Option(help="an edited programme file to judge with")] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="edit one setting, e.g. invoices.latest=2021-03-31")
    ] = None,
    rule_version: Annotated[str | None, typer.Option(help="judge every claim under this rule version")] = None,
    limit: Annotated[int, typer.Option(min=0, help="changed decisions to list")] = 10,
    as_json: Json = False,
) -> None:
    """Re-judge past claims under another rule version or an edited programme; changes nothing."""
    try:
        known = eligibility.programmes(programme_file.parent if programme_file else None)
    except (OSError, ValueError) as error:
        fail(ExitCode.USAGE, f"cannot read the programmes: {error}")
    if programme not in known:
        raise typer.BadParameter(
            f"no programme {programme!r}; known: {', '.join(sorted(known))}", param_hint="--programme"
        )
    try:
        judged_with = eligibility.edited_programme(known[programme], set_ or [])
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--set") from None
    stack = current_stack(databases=("eligibility",))

    async def replay() -> eligibility.WhatIfReport:
        async with stack.connection("eligibility", decode_json=True) as conn:
            return await eligibility.whatif(conn, judged_with, rule_version)

    report = run(replay())
    typer.echo(json.dumps(as_dict(report, limit), indent=2) if as_json else as_text(report, set_ or [], limit))


def as_dict(report: eligibility.WhatIfReport, limit: int) -> dict[str, Any]:
    return {
        "programme": report.programme,
        "claims": report.claims,
        "before": dict(report.before),
        "after": dict(report.after),
        "changed": len(report.changes),
        "transitions": dict(report.transitions),
        "newly_failing_rules": dict(report.newly_failing),
        "newly_passing_rules": dict(report.newly_passing),
        "granted_before_cents": report.granted_before_cents,
        "granted_after_cents": report.granted_after_cents,
        "examples": [
            {"claim_id": c.claim_id, "before": c.before, "after": c.after, "because": c.because}
            for c in report.changes[:limit]
        ],
    }


def as_text(report: eligibility.WhatIfReport, edits: list[str], limit: int) -> str:
    lines = [
        f"What-if on {report.programme}: {report.claims} decided claims re-judged"
        + (f" with {', '.join(edits)}" if edits else "")
        + " (nothing was changed)"
    ]
    for outcome in sorted(set(report.before) | set(report.after)):
        lines.append(f"  {outcome:<14} {report.before[outcome]:>8} -> {report.after[outcome]:>8}")
    lines.append(
        f"  granted        {report.granted_before_cents / 100:>11,.2f} € -> {report.granted_after_cents / 100:,.2f} €"
    )
    lines.append(f"{len(report.changes)} decision(s) would change:")
    lines += [f"  {transition}: {count}" for transition, count in report.transitions.most_common()]
    lines += [f"  rule {code} would newly fail {count} claim(s)" for code, count in report.newly_failing.most_common()]
    lines += [f"  rule {code} would newly pass {count} claim(s)" for code, count in report.newly_passing.most_common()]
    for change in report.changes[:limit]:
        lines.append(
            f"  {change.claim_id}: {change.before[0]} {list(change.before[1])} -> "
            f"{change.after[0]} {list(change.after[1])}"
        )
        lines += [f"      {why}" for why in change.because]
    return "\n".join(lines)
