from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from guichet_common.settings import CommonSettings


class GatewaySettings(CommonSettings):
    """Environment variables: the shared ones, plus GATEWAY_DATABASE_URL, GATEWAY_DATABASE_POOL_SIZE,
    GATEWAY_HTTP_PORT (the /v1 API and the operational routes share the port) and those below."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    # A portal's requests per minute unless its own row says otherwise (`guichet portals add --rate-limit`).
    default_rate_limit_per_minute: int = Field(600, ge=1)
    # Biggest request body read, in bytes: a claim with its invoices is a few kB.
    max_body_bytes: int = Field(256 * 1024, ge=1024)

    # Webhooks: retried with exponential backoff (base × 2^n, capped, with full jitter) until give-up, then failed
    # and set aside for an operator to redeliver. Tests shorten all three to simulate hours in seconds.
    webhook_retry_base_s: float = Field(10.0, gt=0)
    webhook_retry_max_s: float = Field(6 * 3600.0, gt=0)
    webhook_give_up_after_s: float = Field(72 * 3600.0, gt=0)
    webhook_timeout_s: float = Field(10.0, gt=0)
    webhook_pause_s: float = Field(1.0, gt=0)  # between sender turns when nothing is due
    # Webhook URLs must be https; plain http is allowed only to loopback addresses, and only when this is true
    # (tests and `make demo` on 127.0.0.1).
    webhook_allow_http_loopback: bool = False

    # mTLS, off unless GATEWAY_TLS_CERTFILE is set: the gateway serves https with that certificate, and when
    # GATEWAY_TLS_CLIENT_CA_FILE is set too, only clients with a certificate signed by that CA get through the
    # handshake. The API key still names the portal.
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None
    tls_client_ca_file: Path | None = None
