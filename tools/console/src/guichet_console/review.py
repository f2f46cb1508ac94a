"""`guichet review list|show|approve|reject`: the manual-review queue.

`list` and `show` read eligibility's database (ELIGIBILITY_DATABASE_URL, else the local stack), for site
reliability engineers who hold its role. `approve` and `reject` are a person's decisions: they go through the
back-office's API with a personal token (see `backoffice_api`), which records them under the token's account,
asks a second person for an approval despite a fraud signal, and sends eligibility the decision it applies. A
decision on a claim no longer under review is refused (exit code 1).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from guichet_common.cli import ExitCode
from guichet_common.safe_text import printable
from guichet_console.backoffice_api import Backoffice, Operator, Token, segment
from guichet_console.connect import current_stack
from guichet_console.decisions import print_decision
from guichet_console.operations import Json, fail, run
from guichet_eligibility import operators as eligibility

review_app = typer.Typer(no_args_is_help=True, help="The manual-review queue: list, show, approve, reject.")

ClaimId = Annotated[str, typer.Argument(metavar="CLAIM_ID", help="the claim's reference, as `review list` shows it")]
Reason = Annotated[str, typer.Option(help="why, in words (recorded)")]


@review_app.command("list")
def review_list(
    programme: Annotated[str | None, typer.Option(help="only this programme's claims")] = None, as_json: Json = False
) -> None:
    """Claims waiting for an operator, oldest first."""
    stack = current_stack(databases=("eligibility",))

    async def waiting() -> list[Any]:
        async with stack.connection("eligibility", decode_json=True) as conn:
            return await eligibility.under_review(conn, programme)

    items = [
        {
            "claim_id": r["claim_id"],
            "programme": r["programme"],
            "siren": r["siren"],
            "reasons": list(r["reasons"]),
            "waiting_since": r["decided_at"].isoformat(),
        }
        for r in run(waiting())
    ]
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    for item in items:
        shown = {key: printable(str(item[key]), 80) for key in ("claim_id", "programme", "siren")}
        reasons = printable(", ".join(item["reasons"]), 200)
        typer.echo(f"{shown['claim_id']:<28} {shown['programme']:<28} {shown['siren']}  {reasons}")
    typer.echo(f"{len(items)} claim(s) waiting for review")


@review_app.command("show")
def review_show(claim_id: ClaimId, as_json: Json = False) -> None:
    """The claim's decision, rule by rule, with the values each rule looked at (exit 1 for an unknown claim)."""
    stack = current_stack(databases=("eligibility",))

    async def detail() -> dict[str, Any] | None:
        async with stack.connection("eligibility", decode_json=True) as conn:
            return await eligibility.review_detail(conn, claim_id)

    found = run(detail())
    if found is None:
        fail(ExitCode.REFUSED, f"no claim {printable(claim_id, 80)}")
    if as_json:
        typer.echo(json.dumps({key: found[key] for key in _SHOWN}, indent=2, default=str))
        return
    typer.echo(f"{printable(claim_id, 80)}: {found['status']} under rule version {found['rule_version']}")
    for result in found["rules"]:
        verdict = "ok  " if result["passed"] else "FAIL"
        typer.echo(f"  {verdict} {result['code']}: {printable(json.dumps(result['observed'], default=str), 300)}")


_SHOWN = ("claim_id", "status", "rule_version", "reasons", "rules")


@review_app.command("approve")
def review_approve(
    claim_id: ClaimId, reason: Reason, token: Token = None, operator: Operator = None, as_json: Json = False
) -> None:
    """Approve a claim under review (final once applied; a fraud signal needs a second person)."""
    _decide(claim_id, "approve", reason, token, as_json)


@review_app.command("reject")
def review_reject(
    claim_id: ClaimId, reason: Reason, token: Token = None, operator: Operator = None, as_json: Json = False
) -> None:
    """Reject a claim under review (final once applied)."""
    _decide(claim_id, "reject", reason, token, as_json)


def _decide(claim_id: str, verb: str, reason: str, token: str | None, as_json: bool) -> None:
    backoffice = Backoffice.from_environment(token)
    try:
        path = f"review/{segment(claim_id)}/{verb}"
    except ValueError as error:
        fail(ExitCode.REFUSED, f"refused: {error}")
    print_decision(backoffice.post(path, {"reason": reason}), as_json)
