"""mTLS, configured by settings: with GATEWAY_TLS_CLIENT_CA_FILE set, a client without a certificate from that CA
does not get through the TLS handshake, and one with such a certificate reaches the API (which still wants a key)."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from guichet_common.runtime import tls_options
from guichet_deploy.procs import free_port
from guichet_gateway.http.app import offline_api
from guichet_gateway.settings import GatewaySettings

pytestmark = pytest.mark.integration
EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def issue(name: str, cwd: Path, extensions: str) -> None:
    """`name`.pem and `name`.key, signed by the test CA."""
    openssl("req", *EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=cwd)
    (cwd / f"{name}.ext").write_text(extensions)
    openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", f"{name}.pem", "-days", "1", "-extfile", f"{name}.ext", cwd=cwd,
    )  # fmt: skip


@pytest.fixture
def certificates(tmp_path: Path) -> Path:
    openssl("req", "-x509", *EC_KEY, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=ca",
            cwd=tmp_path)  # fmt: skip
    issue("server", tmp_path, "subjectAltName=IP:127.0.0.1\n")
    issue("portal-alpha", tmp_path, "extendedKeyUsage=clientAuth\n")
    return tmp_path


@pytest.fixture
async def gateway_url(certificates: Path) -> AsyncIterator[str]:
    settings = GatewaySettings(
        tls_certfile=certificates / "server.pem",
        tls_keyfile=certificates / "server.key",
        tls_client_ca_file=certificates / "ca.pem",
    )
    port = free_port()
    config = uvicorn.Config(offline_api(), host="127.0.0.1", port=port, log_config=None, **tls_options(settings))
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield f"https://127.0.0.1:{port}"
    server.should_exit = True
    await serving


def client_context(certificates: Path, *, with_certificate: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    if with_certificate:
        context.load_cert_chain(certificates / "portal-alpha.pem", certificates / "portal-alpha.key")
    return context


async def test_a_client_without_a_certificate_fails_the_handshake(gateway_url: str, certificates: Path) -> None:
    async with httpx.AsyncClient(verify=client_context(certificates, with_certificate=False)) as client:
        with pytest.raises(httpx.TransportError):
            await client.get(gateway_url + "/v1/reason-codes")


async def test_a_client_with_a_certificate_of_the_ca_reaches_the_api(gateway_url: str, certificates: Path) -> None:
    async with httpx.AsyncClient(verify=client_context(certificates, with_certificate=True)) as client:
        answer = await client.get(gateway_url + "/v1/reason-codes")
    assert (answer.status_code, answer.json()["code"]) == (401, "UNAUTHORIZED")  # through TLS; the key is next


def test_without_tls_settings_the_service_serves_plain_http() -> None:
    assert tls_options(GatewaySettings()) == {}
