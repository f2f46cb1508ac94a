from guichet_common.settings import CommonSettings
from pydantic_settings import SettingsConfigDict


class EligibilitySettings(CommonSettings):
    """Environment variables: the shared ones, plus ELIGIBILITY_DATABASE_URL and ELIGIBILITY_DATABASE_POOL_SIZE."""

    model_config = SettingsConfigDict(env_prefix="ELIGIBILITY_", extra="ignore", frozen=True)
