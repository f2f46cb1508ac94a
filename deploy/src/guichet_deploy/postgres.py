"""A private PostgreSQL server run as the unprivileged `postgres` account, and one database per service."""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import asyncpg

from guichet_deploy.procs import ProcessStartError, log_tail, pid_alive, port_answers, stop_process

ADMIN_ROLE = "guichet_admin"
SERVER_ACCOUNT = "postgres"  # PostgreSQL refuses to run as root, and CI runs as root
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_SUFFIX = re.compile(r"^[a-z0-9_]{0,20}$")


@dataclass(frozen=True)
class PgLayout:
    """The server's folders. They live outside the project (under /var/tmp by default) because the project may
    sit in a folder that the `postgres` account cannot traverse, such as /root/... or a mode-700 /tmp/tmp.XXXX."""

    base: Path
    log: Path

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base / "run"

    @classmethod
    def for_state_dir(cls, state_dir: Path) -> PgLayout:
        parent = Path(os.environ.get("GUICHET_PG_BASE_DIR", "/var/tmp"))
        digest = hashlib.sha256(str(state_dir).encode()).hexdigest()[:10]
        return cls(base=parent / f"guichet-pg-{digest}", log=state_dir / "logs" / "postgres.log")


@functools.cache
def bin_dir() -> Path:
    """Folder of initdb/pg_ctl: $GUICHET_PG_BINDIR, `pg_config --bindir`, the newest Debian one, or PATH."""
    candidates: list[Path] = []
    if override := os.environ.get("GUICHET_PG_BINDIR"):
        candidates.append(Path(override))
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out:
            candidates.append(Path(out))
    debian = [folder for folder in Path("/usr/lib/postgresql").glob("*/bin") if folder.parent.name.isdigit()]
    candidates += sorted(debian, key=lambda folder: int(folder.parent.name), reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; set GUICHET_PG_BINDIR or the *_DATABASE_URL variables"
    )


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as when we are root; None means 'as ourselves'."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_ACCOUNT)
    except KeyError:
        raise RuntimeError(f"running as root needs the '{SERVER_ACCOUNT}' account to run PostgreSQL") from None


def _run_as_server(command: list[str], layout: PgLayout, *, timeout_s: float = 120.0) -> int:
    account = _server_account()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(LC_ALL="C", LANG="C")
    if account is not None:
        env.update(HOME=account.pw_dir, USER=account.pw_name, LOGNAME=account.pw_name)
    with open(layout.log, "ab") as out:
        return subprocess.run(
            command,
            cwd=layout.base,  # the caller's folder may be closed to the server account
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
            start_new_session=True,
            timeout=timeout_s,
            check=False,
        ).returncode


def _give_to_server(path: Path) -> None:
    if account := _server_account():
        os.chown(path, account.pw_uid, account.pw_gid)


def prepare_base(layout: PgLayout) -> None:
    layout.log.parent.mkdir(parents=True, exist_ok=True)
    layout.base.mkdir(mode=0o700, parents=True, exist_ok=True)
    layout.base.chmod(0o700)
    _give_to_server(layout.base)
    layout.socket_dir.mkdir(mode=0o700, exist_ok=True)
    _give_to_server(layout.socket_dir)


def initdb(layout: PgLayout, admin_password: str) -> None:
    """Create the cluster once, with `guichet_admin` as its bootstrap superuser; an existing one is kept."""
    if (layout.data / "PG_VERSION").is_file():
        return
    if layout.data.exists():
        shutil.rmtree(layout.data)  # a previous initdb died half-way
    pwfile = layout.base / ".initdb-password"
    pwfile.write_text(admin_password + "\n")
    pwfile.chmod(0o600)
    _give_to_server(pwfile)
    try:
        code = _run_as_server(
            [
                str(bin_dir() / "initdb"),
                "-D",
                str(layout.data),
                "-U",
                ADMIN_ROLE,
                f"--pwfile={pwfile}",
                "--auth-local=peer",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            ],
            layout,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if code != 0:
        raise ProcessStartError(f"initdb failed; see {layout.log}:\n{log_tail(layout.log)}")
    with open(layout.data / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# Settings chosen by guichet_deploy, rewritten on every start.\ninclude_if_exists = 'guichet.conf'\n"
        )


def write_settings(layout: PgLayout, port: int) -> None:
    settings = layout.data / "guichet.conf"
    settings.write_text(
        "listen_addresses = '127.0.0.1'\n"
        f"port = {port}\n"
        f"unix_socket_directories = '{layout.socket_dir}'\n"
        "max_connections = 200\n"
        # A 115,000-claim bench writes about 1 GB across the databases: the 128MB default is below that.
        "shared_buffers = 512MB\n"
        # Checkpoints by time, not by every GB of WAL: under `make bench` a checkpoint landing mid-run made every
        # page's next change write a full page image, and the server's CPU swung from 8 s to 17 s per 20,000 claims.
        "max_wal_size = 8GB\n"
        "checkpoint_timeout = 15min\n"
        "password_encryption = 'scram-sha-256'\n"
        "log_timezone = 'UTC'\n"
        "timezone = 'UTC'\n"
    )
    _give_to_server(settings)


def start_server(layout: PgLayout, port: int) -> int:
    """Start the server with pg_ctl (it waits until connections are accepted) and return the postmaster's pid."""
    write_settings(layout, port)
    code = _run_as_server([str(bin_dir() / "pg_ctl"), "-D", str(layout.data), "-w", "-t", "60", "start"], layout)
    pid = running_pid(layout)
    if code != 0 or pid is None:
        raise ProcessStartError(f"PostgreSQL did not start; see {layout.log}:\n{log_tail(layout.log)}")
    return pid


def running_pid(layout: PgLayout) -> int | None:
    """The postmaster's pid if our cluster is running (read from postmaster.pid, checked against /proc)."""
    try:
        pid = int((layout.data / "postmaster.pid").read_text().split("\n", 1)[0])
    except (FileNotFoundError, ValueError):
        return None
    return pid if pid_alive(pid, marker=str(layout.data)) else None


def wait_until_ready(layout: PgLayout, port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    isready = str(bin_dir() / "pg_isready")
    while True:
        result = subprocess.run([isready, "-q", "-h", "127.0.0.1", "-p", str(port), "-t", "2"], check=False)
        if result.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise ProcessStartError(f"PostgreSQL on port {port} is not ready after {timeout_s:.0f}s; see {layout.log}")
        time.sleep(0.2)


def stop_server(pid: int | None, layout: PgLayout, timeout_s: float = 30.0) -> bool:
    # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") would wait for every client to hang up.
    return stop_process(pid, marker=str(layout.data), timeout_s=timeout_s, first_signal=signal.SIGINT)


def is_up(pid: int | None, layout: PgLayout, port: int | None) -> bool:
    return pid_alive(pid, marker=str(layout.data)) and port_answers(port)


def admin_dsn(port: int, password: str) -> str:
    return f"postgresql://{ADMIN_ROLE}:{quote(password, safe='')}@127.0.0.1:{port}/postgres"


def new_password() -> str:
    return secrets.token_urlsafe(24)


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier, so that the plain password never reaches the server or its log."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    stored_key = hashlib.sha256(hmac.new(salted, b"Client Key", "sha256").digest()).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def database_name(service: str, suffix: str = "") -> str:
    if not _NAME.match(service) or not _SUFFIX.match(suffix):
        raise ValueError(f"invalid service name or suffix: {service!r}, {suffix!r} (lowercase letters, digits, _)")
    return f"guichet_{service}{suffix}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


async def provision_databases(
    admin_dsn: str,
    services: Iterable[str],
    suffix: str = "",
    passwords: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Create, for each service, the role and database `guichet_<service><suffix>` owned by that role; return DSNs.

    Other roles lose the right to connect (REVOKE ... FROM PUBLIC), so a service cannot open another's database.
    Idempotent: an existing role gets its password reset (to `passwords[service]` when given, which keeps
    running services' credentials valid) and an existing database is kept.
    """
    target = urlsplit(admin_dsn)
    host = target.hostname or "127.0.0.1"
    netloc = f"[{host}]" if ":" in host else host
    port = target.port or 5432
    connection = await asyncpg.connect(admin_dsn, timeout=15)
    dsns: dict[str, str] = {}
    try:
        for service in services:
            name = database_name(service, suffix)
            password = (passwords or {}).get(service) or new_password()
            await _upsert_role(connection, name, password)
            owner = await connection.fetchval(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", name
            )
            if owner is None:
                with contextlib.suppress(asyncpg.DuplicateDatabaseError):  # created meanwhile by another launcher
                    await connection.execute(f"CREATE DATABASE {_ident(name)} OWNER {_ident(name)}")
            elif owner != name:
                await connection.execute(f"ALTER DATABASE {_ident(name)} OWNER TO {_ident(name)}")
            await connection.execute(f"REVOKE ALL ON DATABASE {_ident(name)} FROM PUBLIC")
            dsns[service] = f"postgresql://{name}:{quote(password, safe='')}@{netloc}:{port}/{name}"
    finally:
        await connection.close()
    return dsns


async def _upsert_role(connection: asyncpg.Connection, name: str, password: str) -> None:
    password_clause = f"LOGIN PASSWORD {_literal(scram_verifier(password))}"
    if await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name):
        await connection.execute(f"ALTER ROLE {_ident(name)} {password_clause}")
        return
    try:
        await connection.execute(f"CREATE ROLE {_ident(name)} {password_clause}")
    except asyncpg.DuplicateObjectError:  # created meanwhile by a concurrent launcher
        await connection.execute(f"ALTER ROLE {_ident(name)} {password_clause}")


async def drop_databases(admin_dsn: str, services: Iterable[str], suffix: str = "") -> None:
    """Drop the databases and roles `provision_databases` made (open sessions are closed first)."""
    connection = await asyncpg.connect(admin_dsn, timeout=15)
    try:
        for service in services:
            name = database_name(service, suffix)
            await connection.execute(f"DROP DATABASE IF EXISTS {_ident(name)} WITH (FORCE)")
            await connection.execute(f"DROP ROLE IF EXISTS {_ident(name)}")
    finally:
        await connection.close()
