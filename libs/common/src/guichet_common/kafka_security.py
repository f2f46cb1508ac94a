"""Kafka authentication (SASL/SCRAM) and encryption (TLS) from settings, for every client the project builds.

Two shapes of the same settings: `client_options` for aiokafka's producers, consumers and admin clients, and
`faststream_security` for FastStream's `KafkaBroker`. PLAINTEXT (the default) gives no options at all, so a
client built with them is exactly the one built before security existed.

Library functions that open their own clients (`kafka_admin`, the relay's producer, the gauges) take an optional
`client_options`; when it is None they use `environment_client_options()`, the shared KAFKA_* variables of the
process, which are the same ones its settings were read from.
"""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from guichet_common.settings import KafkaSecuritySettings

_SASL_PROTOCOLS = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})
_TLS_PROTOCOLS = frozenset({"SSL", "SASL_SSL"})
_FASTSTREAM_SASL = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}


class KafkaSecurityError(ValueError):
    """The security settings are incomplete or contradictory. The message names settings, never a secret."""


def client_options(settings: KafkaSecuritySettings) -> dict[str, Any]:
    """aiokafka keyword arguments (security_protocol, sasl_*, ssl_context) for `settings`; {} for PLAINTEXT."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in _SASL_PROTOCOLS:
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": sasl_username(settings),
            "sasl_plain_password": sasl_password(settings),
        }
    if protocol in _TLS_PROTOCOLS:
        options["ssl_context"] = tls_context(settings)
    return options


def faststream_security(settings: KafkaSecuritySettings) -> BaseSecurity | None:
    """FastStream's security object for `settings`; None for PLAINTEXT."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = tls_context(settings) if protocol in _TLS_PROTOCOLS else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context)
    security_class = _FASTSTREAM_SASL[settings.kafka_sasl_mechanism]
    return security_class(sasl_username(settings), sasl_password(settings), ssl_context=context)


def environment_client_options() -> dict[str, Any]:
    """`client_options` of the process's own KAFKA_SECURITY_* / KAFKA_SASL_* / KAFKA_SSL_* variables."""
    return client_options(KafkaSecuritySettings())


def sasl_username(settings: KafkaSecuritySettings) -> str:
    if not settings.kafka_sasl_username:
        raise KafkaSecurityError(
            f"KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} needs KAFKA_SASL_USERNAME"
        )
    return settings.kafka_sasl_username


def sasl_password(settings: KafkaSecuritySettings) -> str:
    """The password from KAFKA_SASL_PASSWORD or the file KAFKA_SASL_PASSWORD_FILE names (exactly one of them).

    The file is read at every call, so a rotated secret (a re-mounted Kubernetes secret) is picked up by the next
    client without a restart."""
    given, path = settings.kafka_sasl_password, settings.kafka_sasl_password_file
    if given is not None and path is not None:
        raise KafkaSecurityError("set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both")
    if path is not None:
        try:
            # Only the trailing line break an editor or `echo` adds: a password may end with other whitespace.
            password = path.read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")
        except OSError as error:
            raise KafkaSecurityError(f"KAFKA_SASL_PASSWORD_FILE {path} cannot be read: {error.strerror}") from None
    elif given is not None:
        password = given.get_secret_value()
    else:
        password = ""
    if not password:
        raise KafkaSecurityError(
            f"KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} needs KAFKA_SASL_PASSWORD or"
            " KAFKA_SASL_PASSWORD_FILE (not empty)"
        )
    return password


def tls_context(settings: KafkaSecuritySettings) -> ssl.SSLContext:
    """A verifying TLS context: the CA file if given (else the system's CAs), and a client certificate if given."""
    if (settings.kafka_ssl_certfile is None) != (settings.kafka_ssl_keyfile is None):
        raise KafkaSecurityError("KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together")
    key_password = settings.kafka_ssl_key_password
    context: ssl.SSLContext = create_ssl_context(
        cafile=settings.kafka_ssl_cafile,
        certfile=settings.kafka_ssl_certfile,
        keyfile=settings.kafka_ssl_keyfile,
        password=key_password.get_secret_value() if key_password else None,
    )
    return context
