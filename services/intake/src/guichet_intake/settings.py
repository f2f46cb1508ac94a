from guichet_common.settings import CommonSettings
from pydantic_settings import SettingsConfigDict


class IntakeSettings(CommonSettings):
    """Environment variables: the shared ones, plus INTAKE_DATABASE_URL and INTAKE_DATABASE_POOL_SIZE."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", frozen=True)
