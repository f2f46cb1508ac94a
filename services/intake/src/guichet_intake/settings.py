from pydantic_settings import SettingsConfigDict

from guichet_common.settings import CommonSettings


class IntakeSettings(CommonSettings):
    """Environment variables: the shared ones, plus INTAKE_DATABASE_URL and INTAKE_DATABASE_POOL_SIZE."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", frozen=True)
