"""Settings every service shares; each service subclasses `CommonSettings` with its own env prefix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from guichet_common.clock import Clock, shifted_clock
from guichet_common.privacy.sealing import DEVELOPMENT_MASTER_KEY, MasterKey

# A portal's name, as the gateway and the Kafka topics and principals spell it.
PORTAL_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")


def project_root() -> Path:
    """The workspace root (the folder whose pyproject.toml declares the uv workspace), else the cwd."""
    for folder in [Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents]:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.uv.workspace]" in pyproject.read_text(encoding="utf-8"):
            return folder
    return Path.cwd()


# Where every settings class reads from, first match wins: the environment, then a `.env` file in the working
# directory when there is one (a developer's local values; .gitignore and the image's .dockerignore keep it out),
# then the defaults. extra="ignore": one .env serves every service and tool, so keys meant for another are skipped.
# Each service's subclass sets only its env_prefix; pydantic merges model_config down the class tree.
_SOURCES = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True)


def _shared(name: str) -> AliasChoices:
    # Shared settings keep one un-prefixed name whatever the service's env prefix is.
    return AliasChoices(name)


class KafkaSecuritySettings(BaseSettings):
    """How a client authenticates to Kafka and encrypts its connections (guichet_common.kafka_security reads it).

    Un-prefixed like every shared setting; each service process gets its own principal's credentials. Secrets come
    only from the environment, a developer's uncommitted `.env`, or a file (KAFKA_SASL_PASSWORD_FILE, e.g. a
    mounted Kubernetes secret), never from the repository, and SecretStr keeps them out of reprs and logs.
    """

    model_config = _SOURCES

    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = Field(
        "PLAINTEXT", validation_alias=_shared("KAFKA_SECURITY_PROTOCOL")
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", validation_alias=_shared("KAFKA_SASL_MECHANISM")
    )
    kafka_sasl_username: str | None = Field(None, validation_alias=_shared("KAFKA_SASL_USERNAME"))
    kafka_sasl_password: SecretStr | None = Field(None, validation_alias=_shared("KAFKA_SASL_PASSWORD"))
    kafka_sasl_password_file: Path | None = Field(None, validation_alias=_shared("KAFKA_SASL_PASSWORD_FILE"))
    # Without a CA file, TLS trusts the system's certificate authorities.
    kafka_ssl_cafile: Path | None = Field(None, validation_alias=_shared("KAFKA_SSL_CAFILE"))
    kafka_ssl_certfile: Path | None = Field(None, validation_alias=_shared("KAFKA_SSL_CERTFILE"))
    kafka_ssl_keyfile: Path | None = Field(None, validation_alias=_shared("KAFKA_SSL_KEYFILE"))
    kafka_ssl_key_password: SecretStr | None = Field(None, validation_alias=_shared("KAFKA_SSL_KEY_PASSWORD"))


class CommonSettings(KafkaSecuritySettings):
    model_config = _SOURCES

    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", validation_alias=_shared("KAFKA_BOOTSTRAP_SERVERS"))
    topic_prefix: str = Field("", validation_alias=_shared("GUICHET_TOPIC_PREFIX"))
    topic_partitions: int = Field(6, ge=1, validation_alias=_shared("GUICHET_TOPIC_PARTITIONS"))
    consumer_max_records: int = Field(500, ge=1, validation_alias=_shared("GUICHET_CONSUMER_MAX_RECORDS"))
    programmes_dir: Path = Field(
        default_factory=lambda: project_root() / "programmes", validation_alias=_shared("GUICHET_PROGRAMMES_DIR")
    )
    # Portals that publish claims on Kafka themselves, each on its own topic under its own principal (topics.
    # portal_claims_topic, access.portal_principal): "alpha,beta". Empty: portals use claims.submitted.v1 or HTTP.
    kafka_portals: Annotated[tuple[str, ...], NoDecode] = Field((), validation_alias=_shared("GUICHET_KAFKA_PORTALS"))
    log_level: str = Field("INFO", validation_alias=_shared("LOG_LEVEL"))
    log_format: str = Field("auto", pattern="^(auto|json|console)$", validation_alias=_shared("LOG_FORMAT"))

    gauges_every_s: float = Field(10.0, gt=0, validation_alias=_shared("GUICHET_GAUGES_EVERY_S"))

    # Personal data (guichet_common.privacy). The master key wraps every data key: base64 of 32 random bytes, from
    # the environment or a file (a mounted secret); a KMS can stand in for it (privacy.sealing.KeyWrapper). Without
    # either, a development key is used and the service says so at start-up.
    privacy_master_key: SecretStr | None = Field(None, validation_alias=_shared("GUICHET_PRIVACY_MASTER_KEY"))
    privacy_master_key_file: Path | None = Field(None, validation_alias=_shared("GUICHET_PRIVACY_MASTER_KEY_FILE"))
    # How often a service runs its retention job (erasures due, inbox pruning), and how long its inbox keeps an
    # event id: longer than any topic it reads keeps a record, and than any replay of a dead letter reaches back.
    privacy_sweep_every_s: float = Field(3600.0, gt=0, validation_alias=_shared("GUICHET_PRIVACY_SWEEP_EVERY_S"))
    inbox_keep_days: float = Field(30.0, gt=0, validation_alias=_shared("GUICHET_INBOX_KEEP_DAYS"))
    # Moves the clock of the jobs that count time (guichet_common.clock). Rehearsals and tests only.
    clock_offset_days: float = Field(0.0, ge=0, validation_alias=_shared("GUICHET_CLOCK_OFFSET_DAYS"))

    # Each service's own HTTP port (/healthz, /readyz, /metrics): INTAKE_HTTP_PORT...; 0 lets the system pick one.
    http_host: str = "127.0.0.1"
    http_port: int = Field(0, ge=0, le=65535)

    # Each service's own database; the env prefix turns this into INTAKE_DATABASE_URL and so on.
    database_url: str = "postgresql://localhost/guichet"
    database_pool_size: int = Field(4, ge=1)

    @field_validator("kafka_portals", mode="before")
    @classmethod
    def _portal_names(cls, value: object) -> object:
        if isinstance(value, str):
            value = [name.strip() for name in value.split(",") if name.strip()]
        if isinstance(value, list | tuple):
            for name in value:
                if not (isinstance(name, str) and PORTAL_NAME.fullmatch(name)):
                    raise ValueError(f"a portal name is lower-case letters, digits and dashes: {name!r}")
            return tuple(dict.fromkeys(value))
        return value

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    def master_key(self) -> MasterKey:
        if self.privacy_master_key is not None:
            return MasterKey.from_base64(self.privacy_master_key.get_secret_value())
        if self.privacy_master_key_file is not None:
            return MasterKey.from_base64(self.privacy_master_key_file.read_text(encoding="utf-8"))
        return MasterKey(DEVELOPMENT_MASTER_KEY)

    @property
    def uses_development_master_key(self) -> bool:
        return self.privacy_master_key is None and self.privacy_master_key_file is None

    def clock(self) -> Clock:
        return shifted_clock(self.clock_offset_days)
