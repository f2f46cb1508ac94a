"""intake process wiring: settings, logging, broker, handlers."""

from pathlib import Path

from guichet_common.runtime import build_app
from guichet_intake.handlers import register_handlers
from guichet_intake.settings import IntakeSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app():
    return build_app(name="intake", settings=IntakeSettings(), migrations=MIGRATIONS, wire=register_handlers)
