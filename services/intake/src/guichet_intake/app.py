"""intake process wiring: settings, logging, broker, handlers."""

from pathlib import Path

from faststream.asgi import AsgiFastStream

from guichet_common.runtime import build_app
from guichet_intake.handlers import register_handlers
from guichet_intake.settings import IntakeSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


DESCRIPTION = "Receives portals' claims: registers each once, or refuses it with the specification's codes."


def create_app(settings: IntakeSettings | None = None) -> AsgiFastStream:
    return build_app(
        name="intake",
        settings=settings or IntakeSettings(),
        migrations=MIGRATIONS,
        wire=register_handlers,
        description=DESCRIPTION,
    )
