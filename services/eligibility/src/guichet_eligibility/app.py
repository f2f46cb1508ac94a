"""eligibility process wiring: settings, logging, broker, handlers."""

from pathlib import Path

from guichet_common.runtime import build_app
from guichet_eligibility.handlers import register_handlers
from guichet_eligibility.settings import EligibilitySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app():
    return build_app(name="eligibility", settings=EligibilitySettings(), migrations=MIGRATIONS, wire=register_handlers)
