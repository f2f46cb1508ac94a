"""`guichet privacy export|erase|rectify`: a person's requests over their data (GDPR articles 15, 16 and 17).

Every request goes through the back-office's API under your personal token (supervisors and auditors), which
records who asked and why, and asks the services that hold the data: the console never reads a database for them.
- export: the services' answers gathered by the back-office; written as JSON and as a readable HTML page (with
  `--json`, the JSON on stdout). The files hold personal data in clear: they are written readable by you alone,
  and are yours to delete once handed over (docs/privacy.md, "Logs and files").
- erase: asked of notifications, which keeps each claim's retention clock; refused while the claim is under review
  or control or its payment is under way (the code says which), and the refusal is recorded.
- rectify: a contact field (e-mail, name, phone), corrected by intake, which owns it.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from guichet_common.cli import ExitCode
from guichet_common.safe_text import printable
from guichet_console.backoffice_api import Backoffice, Token, segment
from guichet_console.operations import Json, fail
from guichet_console.privacy_page import export_page

app = typer.Typer(
    no_args_is_help=True,
    help="A person's requests over their data: export, erase, rectify (through the back-office, needs --token).",
)
Reason = Annotated[str, typer.Option(help="the legal reason and the request's reference, in words (recorded)")]
Email = Annotated[str | None, typer.Option(help="the person, by the e-mail address their claims gave")]
Siren = Annotated[str | None, typer.Option(help="the firm, by its SIREN")]
Claim = Annotated[str | None, typer.Option("--claim", help="one claim, by its reference")]
Wait = Annotated[float, typer.Option("--wait", min=0, help="seconds to wait for the services' answers")]
POLL_EVERY_S = 1.0
PRIVACY_API = "api/privacy"  # the back-office's privacy API, beside /api/v1
OUTCOMES = ("applied", "refused")


def privacy_api(token: str | None) -> Backoffice:
    return dataclasses.replace(Backoffice.from_environment(token), api=PRIVACY_API)


def selector(email: str | None, siren: str | None, claim: str | None) -> dict[str, str]:
    """Exactly one of --email, --siren, --claim, as the API's selector."""
    given = {key: value.strip() for key, value in (("email", email), ("siren", siren), ("claim_id", claim)) if value}
    if len(given) != 1 or not all(given.values()):
        raise typer.BadParameter("give exactly one of --email, --siren, --claim", param_hint="the person")
    return given


def poll(ask: Callable[[], dict[str, Any] | None], done: Callable[[dict[str, Any]], bool], wait_s: float) -> Any:
    """Ask until the answer is done or `wait_s` passed; the last answer (None: never any)."""
    deadline = time.monotonic() + wait_s
    while True:
        answer = ask()
        if (answer is not None and done(answer)) or time.monotonic() >= deadline:
            return answer
        time.sleep(POLL_EVERY_S)


@app.command()
def export(
    reason: Reason,
    email: Email = None,
    siren: Siren = None,
    claim: Claim = None,
    out: Annotated[Path | None, typer.Option(help="folder for export-<id>.json and .html (default: here)")] = None,
    wait: Wait = 120.0,
    token: Token = None,
    as_json: Json = False,
) -> None:
    """Everything every service holds about a person: written as export-<id>.json and export-<id>.html."""
    wanted = selector(email, siren, claim)
    backoffice = privacy_api(token)
    asked = backoffice.post("exports", {**wanted, "reason": reason})
    request_id = str(asked.get("request_id", ""))
    path = f"exports/{segment(request_id)}"
    document = poll(lambda: backoffice.get(path), lambda answer: bool(answer.get("complete")), wait)
    if not document or not document.get("complete"):
        missing = ", ".join(printable(str(s), 40) for s in (document or {}).get("missing", [])) or "?"
        fail(
            ExitCode.UNREACHABLE,
            f"unavailable: export {request_id} incomplete after {wait:g} s, no answer from {missing}",
        )
    document = {"request_id": request_id, "claim_ids": asked.get("claim_ids", []), **document}
    if as_json:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    if out is not None or not as_json:
        for written in write_export(out or Path("."), request_id, document):
            typer.echo(f"written {written}", err=as_json)


def write_export(folder: Path, request_id: str, document: dict[str, Any]) -> list[Path]:
    """The export as JSON and HTML, created readable by their owner alone (they hold personal data in clear)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"export-{segment(request_id)}"
    contents = {
        folder / f"{name}.json": json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        folder / f"{name}.html": export_page(document),
    }
    for path, text in contents.items():
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_text(text, encoding="utf-8")
    return list(contents)


@app.command()
def erase(
    reason: Reason,
    email: Email = None,
    siren: Siren = None,
    claim: Claim = None,
    wait: Wait = 60.0,
    token: Token = None,
    as_json: Json = False,
) -> None:
    """Erase a person's data now, claim by claim: each is applied, or refused with its code (and recorded).

    Exit 1 when any claim was refused, 3 when one had no answer within --wait."""
    backoffice = privacy_api(token)
    asked = backoffice.post("erasures", {**selector(email, siren, claim), "reason": reason})
    requests = {str(claim_id): str(command) for claim_id, command in (asked.get("request_ids") or {}).items()}
    outcomes = {claim_id: outcome_of(backoffice, command, wait) for claim_id, command in requests.items()}
    report_outcomes(outcomes, requests, as_json, what="erasure")


@app.command()
def rectify(
    reason: Reason,
    claim: Annotated[str, typer.Option("--claim", help="the claim whose contact is corrected")],
    email: Annotated[str | None, typer.Option(help="the corrected e-mail address")] = None,
    full_name: Annotated[str | None, typer.Option("--full-name", help="the corrected name")] = None,
    phone: Annotated[str | None, typer.Option(help="the corrected phone number")] = None,
    wait: Wait = 60.0,
    token: Token = None,
    as_json: Json = False,
) -> None:
    """Correct a claim's contact field; intake, which owns it, applies it and sends it on."""
    fields = {key: value for key, value in (("email", email), ("full_name", full_name), ("phone", phone)) if value}
    if len(fields) != 1:
        raise typer.BadParameter("give exactly one of --email, --full-name, --phone", param_hint="the field")
    backoffice = privacy_api(token)
    asked = backoffice.post("rectifications", {"claim_id": claim, **fields, "reason": reason})
    command = str(asked.get("request_id") or asked.get("command_id") or "")
    if not command:
        fail(ExitCode.UNREACHABLE, "unavailable: the back-office's answer names no request")
    report_outcomes({claim: outcome_of(backoffice, command, wait)}, {claim: command}, as_json, what="rectification")


def outcome_of(backoffice: Backoffice, command_id: str, wait_s: float) -> dict[str, Any] | None:
    """The service's answer to the command: {"outcome": "applied"|"refused", "detail": ...}, or None (none yet)."""
    path = f"requests/{segment(command_id)}"
    answer = poll(lambda: backoffice.get_if_known(path), lambda answer: answer.get("outcome") in OUTCOMES, wait_s)
    return answer if answer and answer.get("outcome") in OUTCOMES else None


def report_outcomes(
    outcomes: dict[str, dict[str, Any] | None], requests: dict[str, str], as_json: bool, *, what: str
) -> None:
    if as_json:
        document = [
            {
                "claim_id": claim_id,
                "request_id": requests[claim_id],
                "outcome": (outcome or {}).get("outcome", "pending"),
                "detail": (outcome or {}).get("detail", ""),
            }
            for claim_id, outcome in outcomes.items()
        ]
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        if not outcomes:
            typer.echo(f"no claim found: no {what} asked")
        for claim_id, outcome in outcomes.items():
            typer.echo(f"{printable(claim_id, 80)}: {outcome_words(outcome)} (request {requests[claim_id]})")
    if any(outcome is None for outcome in outcomes.values()):
        raise typer.Exit(ExitCode.UNREACHABLE)
    if not outcomes or any(outcome["outcome"] == "refused" for outcome in outcomes.values() if outcome):
        raise typer.Exit(ExitCode.REFUSED)


def outcome_words(outcome: dict[str, Any] | None) -> str:
    if outcome is None:
        return "pending: no answer yet (the back-office shows it when it comes)"
    if outcome["outcome"] == "applied":
        return "applied"
    return f"refused {printable(str(outcome.get('detail') or ''), 300)}".rstrip()
