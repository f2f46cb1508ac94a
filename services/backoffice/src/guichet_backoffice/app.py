"""backoffice process wiring: settings, logging, broker, the read model's subscribers, and the web pages."""

from pathlib import Path

from faststream.asgi import AsgiFastStream
from faststream.asgi.types import ASGIApp

from guichet_backoffice.handlers import register_handlers
from guichet_backoffice.settings import BackofficeSettings
from guichet_common.runtime import Wiring, build_app

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = (
    "The back-office: projects the services' events into a read model for caseworkers, supervisors and finance,"
    " and sends the owning services the decisions and commands people take on its pages."
)


def _placeholder_web(wiring: Wiring) -> ASGIApp:
    """Until the pages are delivered (guichet_backoffice.web.app.create_web): a page that says so."""
    from starlette.responses import PlainTextResponse

    return PlainTextResponse("Back-office : pages en cours d'installation.", status_code=503)


def create_app(settings: BackofficeSettings | None = None) -> AsgiFastStream:
    try:
        from guichet_backoffice.web.app import create_web
    except ModuleNotFoundError:  # the pages land separately (issue 15); remove once web/app.py is in
        create_web = _placeholder_web

    return build_app(
        name="backoffice",
        settings=settings or BackofficeSettings(),
        migrations=MIGRATIONS,
        wire=register_handlers,
        description=DESCRIPTION,
        web=create_web,
    )
