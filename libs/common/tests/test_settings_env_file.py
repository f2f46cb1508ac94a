"""Settings read a `.env` file in the working directory when there is one; the environment still wins over it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import SettingsConfigDict

from guichet_common.kafka_security import environment_client_options
from guichet_common.settings import CommonSettings, KafkaSecuritySettings

NAMES = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "GUICHET_TOPIC_PREFIX",
    "GUICHET_PROGRAMMES_DIR",
    "LOG_LEVEL",
    "HTTP_PORT",
    "SOMESERVICE_HTTP_PORT",
    "SOMESERVICE_DATABASE_URL",
    "OTHERSERVICE_DATABASE_URL",
)


class ServiceSettings(CommonSettings):
    # Written the way each service writes its own: a prefix and nothing about .env files.
    model_config = SettingsConfigDict(env_prefix="SOMESERVICE_", extra="ignore", frozen=True)


@pytest.fixture(autouse=True)
def in_a_folder_without_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def write_env(folder: Path, text: str) -> None:
    (folder / ".env").write_text(text, encoding="utf-8")


def test_a_service_reads_its_prefixed_and_the_shared_settings_from_dot_env(tmp_path: Path) -> None:
    write_env(
        tmp_path,
        "KAFKA_BOOTSTRAP_SERVERS=broker.example:9093\n"
        "GUICHET_TOPIC_PREFIX=dev.\n"
        "SOMESERVICE_HTTP_PORT=18081\n"
        "SOMESERVICE_DATABASE_URL=postgresql://localhost/someservice_dev\n",
    )
    settings = ServiceSettings()
    assert settings.kafka_bootstrap_servers == "broker.example:9093"
    assert settings.topic("claims.submitted.v1") == "dev.claims.submitted.v1"
    assert settings.http_port == 18081
    assert settings.database_url == "postgresql://localhost/someservice_dev"


def test_the_environment_wins_over_dot_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_env(tmp_path, "KAFKA_BOOTSTRAP_SERVERS=from-file:9092\nSOMESERVICE_HTTP_PORT=18081\nLOG_LEVEL=DEBUG\n")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "from-env:9092")
    monkeypatch.setenv("SOMESERVICE_HTTP_PORT", "28081")
    settings = ServiceSettings()
    assert settings.kafka_bootstrap_servers == "from-env:9092"
    assert settings.http_port == 28081
    assert settings.log_level == "DEBUG", "what the environment does not set still comes from the file"


def test_keys_for_other_services_and_tools_neither_fail_nor_leak(tmp_path: Path) -> None:
    # One .env for a developer's whole checkout: other services' keys, a tool's token, an unprefixed HTTP_PORT.
    write_env(
        tmp_path,
        "OTHERSERVICE_DATABASE_URL=postgresql://localhost/other\n"
        "SOME_TOOL_TOKEN=abc\n"
        "HTTP_PORT=1\n"
        "# a comment\n"
        "export EDITOR=vi\n",
    )
    settings = ServiceSettings()
    assert settings.database_url == "postgresql://localhost/guichet"
    assert settings.http_port == 0, "an unprefixed HTTP_PORT belongs to no service"


def test_without_a_dot_env_the_defaults_hold() -> None:
    settings = ServiceSettings()
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.http_port == 0


def test_kafka_credentials_in_dot_env_reach_every_client_and_stay_secret(tmp_path: Path) -> None:
    # The relay and the topic admin build their clients from KafkaSecuritySettings alone: they must agree with
    # the service's own consumers about the same .env.
    write_env(
        tmp_path,
        "KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT\nKAFKA_SASL_USERNAME=guichet-intake\nKAFKA_SASL_PASSWORD=s3cr3t\n",
    )
    assert environment_client_options()["sasl_plain_username"] == "guichet-intake"
    settings = KafkaSecuritySettings()
    assert settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == "s3cr3t"
    assert "s3cr3t" not in repr(settings)


def test_dot_env_is_read_as_utf_8(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes("GUICHET_PROGRAMMES_DIR=/srv/données/programmes\n".encode())
    assert str(ServiceSettings().programmes_dir) == "/srv/données/programmes"
