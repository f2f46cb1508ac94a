"""Kafka security settings -> aiokafka options and FastStream security, without a broker."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLScram512
from pydantic_settings import SettingsConfigDict

from guichet_common.kafka_security import (
    KafkaSecurityError,
    client_options,
    environment_client_options,
    faststream_security,
)
from guichet_common.settings import CommonSettings, KafkaSecuritySettings

SECRET = "s3cr3t-never-printed"


class ServiceSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="SOMESERVICE_", extra="ignore", frozen=True)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "KAFKA_SECURITY_PROTOCOL",
        "KAFKA_SASL_MECHANISM",
        "KAFKA_SASL_USERNAME",
        "KAFKA_SASL_PASSWORD",
        "KAFKA_SASL_PASSWORD_FILE",
        "KAFKA_SSL_CAFILE",
        "KAFKA_SSL_CERTFILE",
        "KAFKA_SSL_KEYFILE",
        "KAFKA_SSL_KEY_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)


def scram(**overrides: object) -> KafkaSecuritySettings:
    values = {
        "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "KAFKA_SASL_USERNAME": "guichet-intake",
        "KAFKA_SASL_PASSWORD": SECRET,
        **overrides,
    }
    return KafkaSecuritySettings(**values)


def test_plaintext_adds_nothing_so_existing_clients_are_unchanged() -> None:
    settings = KafkaSecuritySettings()
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert client_options(settings) == {}
    assert faststream_security(settings) is None
    assert environment_client_options() == {}


def test_scram_gives_aiokafka_and_faststream_the_same_login() -> None:
    settings = scram()
    expected = {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "guichet-intake",
        "sasl_plain_password": SECRET,
    }
    assert client_options(settings) == expected
    security = faststream_security(settings)
    assert isinstance(security, SASLScram512)
    assert {k: v for k, v in parse_security(security).items() if k != "ssl_context"} == expected


def test_the_shared_names_are_read_unprefixed_by_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "guichet-payments")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", SECRET)
    assert client_options(ServiceSettings())["sasl_plain_username"] == "guichet-payments"
    assert environment_client_options()["sasl_plain_password"] == SECRET


def test_the_password_comes_from_a_file_without_its_line_break(tmp_path: Path) -> None:
    path = tmp_path / "password"
    path.write_text(SECRET + "\n")
    settings = scram(KAFKA_SASL_PASSWORD=None, KAFKA_SASL_PASSWORD_FILE=str(path))
    assert client_options(settings)["sasl_plain_password"] == SECRET


def test_a_secret_is_in_no_repr_and_no_error() -> None:
    settings = scram()
    assert SECRET not in repr(settings) and SECRET not in str(settings.model_dump())
    with pytest.raises(KafkaSecurityError) as both:
        client_options(scram(KAFKA_SASL_PASSWORD_FILE="/nonexistent"))
    assert SECRET not in str(both.value)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"KAFKA_SASL_USERNAME": None}, "KAFKA_SASL_USERNAME"),
        ({"KAFKA_SASL_PASSWORD": None}, "KAFKA_SASL_PASSWORD"),
        ({"KAFKA_SASL_PASSWORD": ""}, "KAFKA_SASL_PASSWORD"),
        ({"KAFKA_SASL_PASSWORD": None, "KAFKA_SASL_PASSWORD_FILE": "/nonexistent/pw"}, "KAFKA_SASL_PASSWORD_FILE"),
        ({"KAFKA_SASL_PASSWORD_FILE": "/nonexistent/pw"}, "not both"),
    ],
)
def test_incomplete_sasl_settings_are_refused_by_name(overrides: dict, named: str) -> None:
    with pytest.raises(KafkaSecurityError, match=named):
        client_options(scram(**overrides))
    with pytest.raises(KafkaSecurityError, match=named):
        faststream_security(scram(**overrides))


def test_sasl_ssl_encrypts_and_verifies() -> None:
    settings = scram(KAFKA_SECURITY_PROTOCOL="SASL_SSL")
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert parse_security(faststream_security(settings))["security_protocol"] == "SASL_SSL"


def test_ssl_alone_has_no_sasl() -> None:
    settings = KafkaSecuritySettings(KAFKA_SECURITY_PROTOCOL="SSL")
    options = client_options(settings)
    assert options.keys() == {"security_protocol", "ssl_context"}
    security = faststream_security(settings)
    assert type(security) is BaseSecurity and security.use_ssl


def test_a_client_certificate_needs_its_key() -> None:
    with pytest.raises(KafkaSecurityError, match="KAFKA_SSL_KEYFILE"):
        client_options(KafkaSecuritySettings(KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CERTFILE="/tmp/cert.pem"))


def test_an_unknown_protocol_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="KAFKA_SECURITY_PROTOCOL|kafka_security_protocol"):
        KafkaSecuritySettings(KAFKA_SECURITY_PROTOCOL="SASL_PLAIN")
