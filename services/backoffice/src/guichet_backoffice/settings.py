from pydantic_settings import SettingsConfigDict

from guichet_common.settings import CommonSettings


class BackofficeSettings(CommonSettings):
    """Environment variables: the shared ones, plus BACKOFFICE_DATABASE_URL, BACKOFFICE_DATABASE_POOL_SIZE and
    BACKOFFICE_HTTP_PORT (the pages and the operational routes share the port)."""

    model_config = SettingsConfigDict(env_prefix="BACKOFFICE_", extra="ignore", frozen=True)
