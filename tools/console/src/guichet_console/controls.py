"""`guichet controls preview|open|list|show|decide`: post-payment controls (décret 2021-69, article 6).

`preview`, `list` and `show` read payments' database (PAYMENTS_DATABASE_URL, else the local stack), read-only:
`preview` draws a campaign's selection without recording anything, `show --verify` draws a stored campaign again
from its seed and says whether it selects the same claims (exit 1 if not).

`open` and `decide` are a person's decisions: they go through the back-office's API with your personal token
(--token or GUICHET_TOKEN), which records them under your account and sends payments the command it applies once.
Opening a campaign is a supervisor's; a `compliant` outcome goes at once, while `non_compliant` and `no_answer`
order money back and wait for a supervisor other than you to second them (`guichet decisions second ID`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

import typer

from guichet_common.cli import ExitCode
from guichet_console.backoffice_api import Backoffice, Token, segment
from guichet_console.connect import current_stack
from guichet_console.controls_input import NON_COMPLIANCE_CODES, OUTCOMES, BadInput, moment, outcome_body
from guichet_console.controls_view import (
    campaign_lines,
    campaigns_lines,
    plain,
    preview_lines,
    verification_lines,
)
from guichet_console.decisions import decision_lines
from guichet_console.operations import Json, fail, run
from guichet_console.report_format import json_text, outside
from guichet_payments import operators as payments

T = TypeVar("T")
app = typer.Typer(
    no_args_is_help=True,
    help="Post-payment controls: preview, open (campaigns), list, show, decide (an outcome; open/decide need --token).",
)
Programme = Annotated[str, typer.Option(help="the programme whose paid claims are drawn from")]
Seed = Annotated[int, typer.Option(min=0, max=2**63 - 1, help="the draw's seed: the same seed draws the same claims")]
PaidBefore = Annotated[
    str | None,
    typer.Option(
        "--paid-before",
        metavar="DATE|MOMENT",
        help="only claims paid at or before it (ISO 8601; a date alone is its whole day, Paris time; default now)",
    ),
]
Reason = Annotated[str, typer.Option(help="why, in words (recorded)")]
CampaignId = Annotated[str, typer.Argument(metavar="CAMPAIGN", help="the campaign's id (C-yyyymmdd-xxxxxxxx)")]


def _checked(read: Any) -> Any:
    """A value the command line gave, or a usage error (exit 2) naming what is wrong."""
    try:
        return read()
    except BadInput as error:
        raise typer.BadParameter(str(error)) from None


def _reading(job: Any) -> Any:
    stack = current_stack(databases=("payments",))

    async def read() -> Any:
        async with stack.connection("payments", decode_json=True) as conn:
            try:
                return await job(conn)
            except KeyError as unknown:  # payments' words for a programme or campaign it does not know
                raise ValueError(str(unknown.args[0]) if unknown.args else "unknown") from None

    return run(read())


@app.command()
def preview(programme: Programme, seed: Seed, paid_before: PaidBefore = None, as_json: Json = False) -> None:
    """The claims a campaign opened now with this seed would pick: nothing is recorded, nobody is told."""
    until = _checked(lambda: moment(paid_before)) if paid_before else dt.datetime.now(dt.UTC).replace(microsecond=0)
    drawn = plain(_reading(lambda conn: payments.preview_selection(conn, programme, seed, until)))
    document = {"programme": programme, "seed": seed, "paid_before": until.isoformat()} | drawn
    if as_json:
        typer.echo(json_text(document))
        return
    typer.echo("\n".join(preview_lines(document)))


@app.command("list")
def list_(as_json: Json = False) -> None:
    """Every control campaign, the last opened first."""
    found = plain(_reading(payments.campaigns))
    if as_json:
        typer.echo(json_text({"campaigns": found}))
        return
    typer.echo("\n".join(campaigns_lines(found)))


@app.command()
def show(
    campaign_id: CampaignId,
    verify: Annotated[
        bool, typer.Option("--verify", help="draw it again from its seed: same claims? (exit 1 if not)")
    ] = False,
    as_json: Json = False,
) -> None:
    """A campaign, its selected claims and their outcomes (exit 1 for an unknown campaign)."""

    async def both(conn: Any) -> tuple[Any, Any]:
        found = await payments.campaign(conn, campaign_id)
        if found is None or not verify:
            return found, None
        return found, await payments.verify_campaign(conn, campaign_id)

    found, verification = _reading(both)
    if found is None:
        fail(ExitCode.REFUSED, f"no campaign {outside(campaign_id, 80)}")
    document = plain(found) | ({"verification": plain(verification)} if verify else {})
    if as_json:
        typer.echo(json_text(document))
    else:
        typer.echo("\n".join(campaign_lines(document)))
        if verify:
            typer.echo("\n".join(verification_lines(document["verification"])))
    if verify and not document["verification"]["matches"]:
        raise typer.Exit(ExitCode.REFUSED)


@app.command("open")
def open_(
    programme: Programme,
    reason: Reason,
    seed: Annotated[
        int | None, typer.Option(min=0, max=2**63 - 1, help="the draw's seed (default: one the back-office draws)")
    ] = None,
    paid_before: PaidBefore = None,
    token: Token = None,
    as_json: Json = False,
) -> None:
    """Open a control campaign (supervisors): payments selects the claims, records them and tells their firms."""
    body: dict[str, Any] = {"programme": programme, "reason": reason}
    if seed is not None:
        body["seed"] = seed
    if paid_before:
        body["paid_before"] = _checked(lambda: moment(paid_before)).isoformat()
    answer = Backoffice.from_environment(token).post("controls/campaigns", body)
    if as_json:
        typer.echo(json_text(answer))
        return
    typer.echo("\n".join(decision_lines(answer)))
    if campaign := answer.get("campaign_id"):
        typer.echo(f"  campagne {outside(campaign, 40)} : guichet controls show {outside(campaign, 40)}")


@app.command()
def decide(
    claim_id: Annotated[str, typer.Argument(metavar="CLAIM_ID", help="the controlled claim's reference")],
    outcome: Annotated[str, typer.Option(metavar="|".join(OUTCOMES), help="the control's outcome")],
    reason: Reason,
    reason_code: Annotated[
        str | None,
        typer.Option("--reason-code", help=f"non_compliant only: {', '.join(NON_COMPLIANCE_CODES)}"),
    ] = None,
    amount: Annotated[
        str | None,
        typer.Option(metavar="EUROS", help="non_compliant only: the amount undue, in euros (250, 250.00, 250,00)"),
    ] = None,
    token: Token = None,
    as_json: Json = False,
) -> None:
    """Record a control's outcome: compliant at once; non_compliant and no_answer after a supervisor's second."""
    body = _checked(lambda: outcome_body(outcome, reason_code, amount, reason))
    backoffice = Backoffice.from_environment(token)
    try:
        path = f"controls/{segment(claim_id)}/outcome"
    except ValueError as error:
        fail(ExitCode.REFUSED, f"refused: {error}")
    answer = backoffice.post(path, body)
    if as_json:
        typer.echo(json_text(answer))
        return
    typer.echo("\n".join(decision_lines(answer)))
