"""backoffice process wiring: settings, logging, broker, the read model's subscribers, and the web pages."""

from pathlib import Path

from faststream.asgi import AsgiFastStream

from guichet_backoffice.handlers import register_handlers
from guichet_backoffice.settings import BackofficeSettings
from guichet_backoffice.web.app import create_web
from guichet_common.runtime import build_app

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = (
    "The back-office: projects the services' events into a read model for caseworkers, supervisors and finance,"
    " and sends the owning services the decisions and commands people take on its pages."
)


def create_app(settings: BackofficeSettings | None = None) -> AsgiFastStream:
    return build_app(
        name="backoffice",
        settings=settings or BackofficeSettings(),
        migrations=MIGRATIONS,
        wire=register_handlers,
        description=DESCRIPTION,
        web=create_web,
    )
