"""Settings every service shares; each service subclasses `CommonSettings` with its own env prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def project_root() -> Path:
    """The workspace root (the folder whose pyproject.toml declares the uv workspace), else the cwd."""
    for folder in [Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents]:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.uv.workspace]" in pyproject.read_text(encoding="utf-8"):
            return folder
    return Path.cwd()


def _shared(name: str) -> AliasChoices:
    # Shared settings keep one un-prefixed name whatever the service's env prefix is.
    return AliasChoices(name)


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", validation_alias=_shared("KAFKA_BOOTSTRAP_SERVERS"))
    topic_prefix: str = Field("", validation_alias=_shared("GUICHET_TOPIC_PREFIX"))
    topic_partitions: int = Field(6, ge=1, validation_alias=_shared("GUICHET_TOPIC_PARTITIONS"))
    consumer_max_records: int = Field(500, ge=1, validation_alias=_shared("GUICHET_CONSUMER_MAX_RECORDS"))
    programmes_dir: Path = Field(
        default_factory=lambda: project_root() / "programmes", validation_alias=_shared("GUICHET_PROGRAMMES_DIR")
    )
    log_level: str = Field("INFO", validation_alias=_shared("LOG_LEVEL"))
    log_format: str = Field("auto", pattern="^(auto|json|console)$", validation_alias=_shared("LOG_FORMAT"))

    gauges_every_s: float = Field(10.0, gt=0, validation_alias=_shared("GUICHET_GAUGES_EVERY_S"))

    # Each service's own HTTP port (/healthz, /readyz, /metrics): INTAKE_HTTP_PORT...; 0 lets the system pick one.
    http_host: str = "127.0.0.1"
    http_port: int = Field(0, ge=0, le=65535)

    # Each service's own database; the env prefix turns this into INTAKE_DATABASE_URL and so on.
    database_url: str = "postgresql://localhost/guichet"
    database_pool_size: int = Field(4, ge=1)

    def topic(self, name: str) -> str:
        return self.topic_prefix + name
