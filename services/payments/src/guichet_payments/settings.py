from pydantic_settings import SettingsConfigDict

from guichet_common.settings import CommonSettings


class PaymentsSettings(CommonSettings):
    """Environment variables: the shared ones, plus PAYMENTS_DATABASE_URL and PAYMENTS_DATABASE_POOL_SIZE."""

    model_config = SettingsConfigDict(env_prefix="PAYMENTS_", extra="ignore", frozen=True)
