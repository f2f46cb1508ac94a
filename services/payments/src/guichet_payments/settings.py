from guichet_common.settings import CommonSettings
from pydantic_settings import SettingsConfigDict


class PaymentsSettings(CommonSettings):
    """Environment variables: the shared ones, plus PAYMENTS_DATABASE_URL and PAYMENTS_DATABASE_POOL_SIZE."""

    model_config = SettingsConfigDict(env_prefix="PAYMENTS_", extra="ignore", frozen=True)
