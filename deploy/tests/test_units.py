from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

from guichet_deploy import kafka
from guichet_deploy.backoffice import backoffice_url
from guichet_deploy.infra import SERVICES, Infra, _choose_source
from guichet_deploy.postgres import database_name, scram_verifier
from guichet_deploy.procs import port_is_free, redact, reuse_or_pick_port
from guichet_deploy.services import service_url
from guichet_deploy.state import find_project_root


def test_redact_hides_dsn_passwords_and_password_settings() -> None:
    text = "dsn postgresql://guichet_intake:s3cr3t-pw@127.0.0.1:5432/guichet_intake and password=hunter2"

    redacted = redact(text)

    assert "s3cr3t-pw" not in redacted and "hunter2" not in redacted
    assert "postgresql://guichet_intake:***@127.0.0.1:5432/guichet_intake" in redacted


def test_infra_repr_does_not_show_passwords(tmp_path: Path) -> None:
    infra = Infra(
        "local",
        "127.0.0.1:9092",
        {"intake": "postgresql://r:topsecret@h:1/d"},
        "postgresql://a:admin-secret@h:1/postgres",
        "127.0.0.1",
        25,
        None,
        tmp_path,
    )

    assert "topsecret" not in repr(infra) and "admin-secret" not in repr(infra)
    # The stack's privacy master key is made once, readable by its owner only, and never shown in the environment.
    assert infra.service_env() == {
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
        "INTAKE_DATABASE_URL": "postgresql://r:topsecret@h:1/d",
        "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
        "NOTIFICATIONS_SMTP_PORT": "25",
        "GUICHET_PRIVACY_MASTER_KEY_FILE": str(tmp_path / "secrets" / "privacy-master.key"),
    }
    key_file = tmp_path / "secrets" / "privacy-master.key"
    assert key_file.stat().st_mode & 0o777 == 0o600 and len(base64.b64decode(key_file.read_text())) == 32
    assert infra.service_env()["GUICHET_PRIVACY_MASTER_KEY_FILE"] == str(key_file)  # made once, then kept


def test_scram_verifier_matches_the_password() -> None:
    verifier = scram_verifier("pw", iterations=4096)

    method, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", b"pw", base64.b64decode(salt), int(iterations))
    assert method == "SCRAM-SHA-256"
    assert base64.b64decode(server_key) == hmac.new(salted, b"Server Key", "sha256").digest()
    assert base64.b64decode(stored_key) == hashlib.sha256(hmac.new(salted, b"Client Key", "sha256").digest()).digest()


@pytest.mark.parametrize("service, suffix", [("Intake", ""), ("intake;drop", ""), ("intake", "-x"), ("", "")])
def test_database_names_refuse_anything_but_plain_identifiers(service: str, suffix: str) -> None:
    with pytest.raises(ValueError):
        database_name(service, suffix)


def test_database_name() -> None:
    assert database_name("payments", "_t1") == "guichet_payments_t1"


def test_server_properties_disable_topic_auto_creation(tmp_path: Path) -> None:
    layout = kafka.KafkaLayout(tmp_path)

    kafka.write_server_properties(layout, port=1234, controller_port=1235)

    settings = dict(line.split("=", 1) for line in layout.config.read_text().splitlines() if "=" in line)
    assert settings["auto.create.topics.enable"] == "false"
    assert settings["controller.quorum.voters"] == "1@127.0.0.1:1235"
    assert settings["listeners"] == "PLAINTEXT://127.0.0.1:1234,CONTROLLER://127.0.0.1:1235"
    assert settings["log.dirs"] == str(tmp_path / "kafka" / "data")


def test_cluster_ids_are_kafka_uuids() -> None:
    cluster_id = kafka.new_cluster_id()

    assert len(cluster_id) == 22 and not cluster_id.startswith("-")
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_a_saved_port_is_reused_while_free() -> None:
    port = reuse_or_pick_port(None)

    assert port_is_free(port)
    assert reuse_or_pick_port(port) == port


def test_project_root_is_the_uv_workspace() -> None:
    root = find_project_root()

    assert root is not None and (root / "deploy" / "pyproject.toml").is_file()


def test_addresses_in_the_environment_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GUICHET_INFRA", raising=False)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka.example:9092")

    assert _choose_source({"source": "local"}) == "env"


def test_a_forced_source_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUICHET_INFRA", "local")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka.example:9092")

    assert _choose_source({}) == "local"


def test_the_backoffice_url_is_its_first_processs_port() -> None:
    assert backoffice_url({"intake": 1, "backoffice": 18085}) == "http://127.0.0.1:18085/"
    assert backoffice_url({"backoffice-2": 2, "backoffice-1": 1}) == "http://127.0.0.1:1/"
    assert backoffice_url({"intake": 1}) == ""


def test_a_services_url_is_its_first_processs_port() -> None:
    assert service_url({"gateway": 18086, "backoffice": 18085}, "gateway") == "http://127.0.0.1:18086/"
    assert service_url({"gateway-2": 2, "gateway-1": 1}, "gateway") == "http://127.0.0.1:1/"
    assert service_url({"backoffice": 18085}, "gateway") == ""


def test_the_launcher_runs_and_provisions_the_gateway_and_the_backoffice_with_the_pipeline() -> None:
    assert SERVICES == ("intake", "eligibility", "payments", "notifications", "gateway", "backoffice")
