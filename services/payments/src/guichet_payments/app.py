"""payments process wiring: settings, logging, broker, handlers."""

from pathlib import Path

from faststream.asgi import AsgiFastStream

from guichet_common.runtime import build_app
from guichet_payments.handlers import register_handlers
from guichet_payments.settings import PaymentsSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


DESCRIPTION = "Reserves grants from the envelope, pays them by SEPA credit transfer, reconciles finance's reports."


def create_app(settings: PaymentsSettings | None = None) -> AsgiFastStream:
    return build_app(
        name="payments",
        settings=settings or PaymentsSettings(),
        migrations=MIGRATIONS,
        wire=register_handlers,
        description=DESCRIPTION,
    )
