from pydantic import Field
from pydantic_settings import SettingsConfigDict

from guichet_common.settings import CommonSettings


class EligibilitySettings(CommonSettings):
    """Environment variables: the shared ones, plus ELIGIBILITY_DATABASE_URL, ELIGIBILITY_DATABASE_POOL_SIZE and
    ELIGIBILITY_REGISTRY_GRACE_S (how long a claim waits for its company's registry record before review)."""

    model_config = SettingsConfigDict(env_prefix="ELIGIBILITY_", extra="ignore", frozen=True)

    registry_grace_s: float = Field(10.0, ge=0)
