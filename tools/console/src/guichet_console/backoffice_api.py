"""The back-office's JSON API, as the console's write commands use it: a personal token, never a database role.

A decision (review approve/reject, dead-letter replay/discard, set-aside release/cancel) is a person's: the
back-office records it under the token's account, applies four eyes, audits it and sends the owning service its
command. The console therefore needs only the back-office's address and a token:
- BACKOFFICE_URL, as `make env` prints it; else the back-office the local launcher started (`make up`);
- the token: `--token`, else GUICHET_TOKEN (issued on the back-office's /jeton page or by `guichet users token`).

Answers become exit codes (guichet_common.cli.ExitCode): 400/401/403/404/409 refused (1), the back-office away or
failing (5xx) unreachable (3), no address or no token a usage error (2).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn
from urllib.parse import quote

import httpx
import typer

from guichet_common.cli import ExitCode
from guichet_common.safe_text import printable
from guichet_console.operations import fail

API = "api/v1"
TIMEOUT_S = 30.0
TOKEN_ENV = "GUICHET_TOKEN"
URL_ENV = "BACKOFFICE_URL"
REFUSALS = (400, 401, 403, 404, 409, 422)

Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar=TOKEN_ENV,
        show_envvar=True,
        show_default=False,
        help="your personal back-office token (gbo_...): the decision is recorded under its account",
    ),
]


def _no_operator(value: str | None) -> None:
    if value is not None:
        raise typer.BadParameter(
            "is gone: a decision is recorded under the account of your back-office token (--token or GUICHET_TOKEN)"
        )


# Kept only to say why it is refused: a free string let anybody be anybody (issue 15).
Operator = Annotated[str | None, typer.Option("--operator", hidden=True, callback=_no_operator)]


class Unaddressable(ValueError):
    """An id the API's paths cannot carry (a `/` in it)."""


def backoffice_url(environ: Mapping[str, str] | None = None) -> str:
    """BACKOFFICE_URL, else the address of the back-office `make up` started; "" when neither is known."""
    env = os.environ if environ is None else environ
    if url := env.get(URL_ENV, "").strip():
        return url
    try:
        from guichet_deploy.backoffice import backoffice_url as launched
        from guichet_deploy.services import http_ports

        return str(launched(http_ports()))
    except (OSError, RuntimeError, ValueError):  # no project checkout, or an unreadable state file
        return ""


def segment(value: str) -> str:
    """One path segment of the API, percent-encoded. The server decodes the path before routing, so an id holding
    a `/` would name another route: refused here, with a way out."""
    if "/" in value:
        raise Unaddressable(f"{printable(value, 80)!r} holds a '/', which the back-office's API cannot address")
    return quote(value, safe="")


@dataclass(frozen=True, repr=False)
class Backoffice:
    url: str
    token: str  # a secret: never printed, never in repr
    api: str = API  # the root of the paths asked: /api/v1, or /api/privacy for a person's requests

    @classmethod
    def from_environment(cls, token: str | None) -> Backoffice:
        if not token or not token.strip():
            raise typer.BadParameter(
                f"a personal back-office token is needed (--token or {TOKEN_ENV}; issued on the back-office's /jeton"
                " page or by `guichet users token`)",
                param_hint="--token",
            )
        url = backoffice_url()
        if not url:
            raise typer.BadParameter(
                f"{URL_ENV} is not set and no local back-office was started (`make up`; `make env` prints it)",
                param_hint="the environment",
            )
        return cls(url.rstrip("/") + "/", token.strip())

    def get(self, path: str) -> dict[str, Any]:
        return self._call("GET", path, None)

    def get_if_known(self, path: str) -> dict[str, Any] | None:
        """GET, with a 404 read as "not known yet" (None): an answer still on its way, not a refusal."""
        return self._call("GET", path, None, missing_ok=True)

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._call("POST", path, body or {})

    def _call(self, method: str, path: str, body: dict[str, Any] | None, *, missing_ok: bool = False) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        try:
            with httpx.Client(timeout=TIMEOUT_S) as client:
                response = client.request(method, f"{self.url}{self.api}/{path}", json=body, headers=headers)
        except httpx.HTTPError as error:
            fail(ExitCode.UNREACHABLE, f"unavailable: the back-office at {self.url}: {type(error).__name__}")
        if missing_ok and response.status_code == 404:
            return None
        return _answer(response)


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        document = response.json()
    except ValueError:
        document = None
    if response.is_success and isinstance(document, dict):
        return document
    said = document.get("error") if isinstance(document, dict) else None
    message = printable(str(said), 300) if said else f"HTTP {response.status_code}"
    if response.status_code in REFUSALS:
        _refused(response.status_code, message)
    fail(ExitCode.UNREACHABLE, f"unavailable: the back-office answered {response.status_code}: {message}")


def _refused(status: int, message: str) -> NoReturn:
    why = {401: " (token missing, unknown or revoked)", 403: " (not allowed)"}.get(status, "")
    fail(ExitCode.REFUSED, f"refused{why}: {message}")
