"""Operators' commands on eligibility: the review queue and what-if replays.

    python -m guichet_eligibility.cli review list
    python -m guichet_eligibility.cli review approve CLAIM_ID --operator alice --reason "registry checked by phone"
    python -m guichet_eligibility.cli whatif --programme cheque-france-num-2021 --set invoices.latest=2021-03-31

They use ELIGIBILITY_DATABASE_URL (and the other eligibility settings) like the service does.
"""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from guichet_common.db import create_pool
from guichet_eligibility import review
from guichet_eligibility.settings import EligibilitySettings
from guichet_eligibility.whatif import WhatIfReport, replay
from guichet_programme import Programme, load_programmes, parse_programme

app = typer.Typer(no_args_is_help=True, help=__doc__)
review_app = typer.Typer(no_args_is_help=True, help="The manual-review queue: list, show, approve, reject.")
app.add_typer(review_app, name="review")

Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _run(job: Callable[[Any], Awaitable[Any]], *, readonly: bool = False) -> Any:
    async def main() -> Any:
        pool = await create_pool(EligibilitySettings().database_url, size=1, connect_timeout_s=10)
        try:
            async with pool.acquire() as conn, conn.transaction(readonly=readonly):
                return await job(conn)
        finally:
            await pool.close()

    return asyncio.run(main())


@review_app.command("list")
def review_list(programme: Annotated[str | None, typer.Option()] = None, as_json: Json = False) -> None:
    """Claims waiting for an operator, oldest first."""
    rows = _run(lambda conn: review.under_review(conn, programme), readonly=True)
    items = [
        {
            "claim_id": r["claim_id"],
            "programme": r["programme"],
            "siren": r["siren"],
            "reasons": list(r["reasons"]),
            "waiting_since": r["decided_at"].isoformat(),
        }
        for r in rows
    ]
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    for item in items:
        typer.echo(f"{item['claim_id']:<28} {item['programme']:<28} {item['siren']}  {', '.join(item['reasons'])}")
    typer.echo(f"{len(items)} claim(s) waiting for review")


@review_app.command("show")
def review_show(claim_id: str, as_json: Json = False) -> None:
    """The claim's decision, rule by rule, with the values each rule looked at."""
    from guichet_eligibility import repository

    row = _run(lambda conn: repository.claim_with_decision(conn, claim_id), readonly=True)
    if row is None:
        raise typer.BadParameter(f"no claim {claim_id}")
    results = row["rule_results"] or []
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "claim_id": claim_id,
                    "status": row["status"],
                    "rule_version": row["rule_version"],
                    "reasons": list(row["reasons"] or []),
                    "rules": results,
                },
                indent=2,
                default=str,
            )
        )
        return
    typer.echo(f"{claim_id}: {row['status']} under rule version {row['rule_version']}")
    for result in results:
        typer.echo(f"  {'ok  ' if result['passed'] else 'FAIL'} {result['code']}: {result['observed']}")


def _decide(claim_id: str, decision: str, operator: str, reason: str) -> None:
    settings = EligibilitySettings()
    programmes = load_programmes(settings.programmes_dir)
    choice = review.ReviewDecision(claim_id, decision, operator, reason)
    try:
        _run(lambda conn: review.decide(conn, programmes, choice, settings.topic_prefix))
    except review.ReviewRefused as refused:
        typer.echo(f"refused: {refused}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{claim_id} {decision} by {operator}")


Operator = Annotated[str, typer.Option(help="who decides (recorded)")]
Reason = Annotated[str, typer.Option(help="why, in words (recorded)")]


@review_app.command("approve")
def review_approve(claim_id: str, operator: Operator, reason: Reason) -> None:
    """Approve a claim under review (final)."""
    _decide(claim_id, "approved", operator, reason)


@review_app.command("reject")
def review_reject(claim_id: str, operator: Operator, reason: Reason) -> None:
    """Reject a claim under review (final)."""
    _decide(claim_id, "rejected", operator, reason)


def edited_programme(base: Programme, assignments: list[str]) -> Programme:
    """`base` with dotted keys replaced, values written as in TOML (`invoices.latest=2021-03-31`)."""
    raw = base.model_dump(mode="python")
    for assignment in assignments:
        key, _, value = assignment.partition("=")
        if not value:
            raise typer.BadParameter(f"--set wants KEY=VALUE, got {assignment!r}")
        *path, last = key.strip().split(".")
        section = raw
        for part in path:
            section = section[part]
        if last not in section:
            raise typer.BadParameter(f"--set {key}: no such setting")
        section[last] = tomllib.loads(f"value = {value.strip()}")["value"]
    return parse_programme(raw, "edited programme")


@app.command()
def whatif(
    programme: Annotated[str, typer.Option(help="programme id whose claims to replay")],
    programme_file: Annotated[Path | None, typer.Option(help="an edited programme file to judge with")] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="edit one setting, e.g. invoices.latest=2021-03-31")
    ] = None,
    rule_version: Annotated[str | None, typer.Option(help="judge every claim under this rule version")] = None,
    limit: Annotated[int, typer.Option(help="changed decisions to list")] = 10,
    as_json: Json = False,
) -> None:
    """Re-judge past claims under another rule version or an edited programme; changes nothing."""
    settings = EligibilitySettings()
    base = load_programmes(programme_file.parent if programme_file else settings.programmes_dir)[programme]
    judged_with = edited_programme(base, set_ or [])
    report = _run(lambda conn: replay(conn, judged_with, rule_version), readonly=True)
    typer.echo(json.dumps(_as_dict(report, limit), indent=2) if as_json else _as_text(report, set_ or [], limit))


def _as_dict(report: WhatIfReport, limit: int) -> dict[str, Any]:
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


def _as_text(report: WhatIfReport, edits: list[str], limit: int) -> str:
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


if __name__ == "__main__":
    app()
