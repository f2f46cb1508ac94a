"""eligibility process wiring: settings, logging, broker, handlers."""

from pathlib import Path

from faststream.asgi import AsgiFastStream

from guichet_common.runtime import build_app
from guichet_eligibility.handlers import register_handlers
from guichet_eligibility.settings import EligibilitySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


DESCRIPTION = "Judges registered claims under the programme's rules against the company registry."


def create_app(settings: EligibilitySettings | None = None) -> AsgiFastStream:
    return build_app(
        name="eligibility",
        settings=settings or EligibilitySettings(),
        migrations=MIGRATIONS,
        wire=register_handlers,
        description=DESCRIPTION,
    )
