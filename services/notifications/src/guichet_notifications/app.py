"""notifications process wiring: settings, logging, broker, handlers."""

from pathlib import Path

from faststream.asgi import AsgiFastStream

from guichet_common.runtime import build_app
from guichet_notifications.handlers import register_handlers
from guichet_notifications.settings import NotificationsSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


DESCRIPTION = "Writes to applicants when their claim's status owes them an e-mail."


def create_app(settings: NotificationsSettings | None = None) -> AsgiFastStream:
    return build_app(
        name="notifications",
        settings=settings or NotificationsSettings(),
        migrations=MIGRATIONS,
        wire=register_handlers,
        description=DESCRIPTION,
    )
