"""gateway process wiring: settings, logging, broker, the statuses' subscriber, the webhook sender and the /v1 API."""

from pathlib import Path

from faststream.asgi import AsgiFastStream

from guichet_common.runtime import build_app
from guichet_gateway.handlers import register_handlers
from guichet_gateway.http.app import create_web
from guichet_gateway.settings import GatewaySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = (
    "The portals' HTTP door: takes claims and bank details over HTTPS (one identity per portal), publishes them"
    " through its outbox, keeps each claim's status history, and sends each portal signed status webhooks."
)


def create_app(settings: GatewaySettings | None = None) -> AsgiFastStream:
    return build_app(
        name="gateway",
        settings=settings or GatewaySettings(),
        migrations=MIGRATIONS,
        wire=register_handlers,
        description=DESCRIPTION,
        web=create_web,
    )
