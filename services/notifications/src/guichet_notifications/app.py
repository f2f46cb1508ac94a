"""notifications process wiring: settings, logging, broker, handlers."""

from pathlib import Path

from guichet_common.runtime import build_app
from guichet_notifications.handlers import register_handlers
from guichet_notifications.settings import NotificationsSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app():
    return build_app(
        name="notifications", settings=NotificationsSettings(), migrations=MIGRATIONS, wire=register_handlers
    )
