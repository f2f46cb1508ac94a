"""payments process wiring: settings, logging, broker, handlers."""

from pathlib import Path

from guichet_common.runtime import build_app
from guichet_payments.handlers import register_handlers
from guichet_payments.settings import PaymentsSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app():
    return build_app(name="payments", settings=PaymentsSettings(), migrations=MIGRATIONS, wire=register_handlers)
