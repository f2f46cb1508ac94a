"""Detached processes, ports and log files: the plumbing shared by the infrastructure and the services."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

# Popen objects of the children this process started, kept so that they can be reaped (no zombies, no
# "subprocess is still running" warnings) while the launcher lives on, as it does inside a test session.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
_EXIT_CODES: dict[int, int] = {}

_DSN_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@", re.IGNORECASE)
_PASSWORD_SETTING = re.compile(r"(password\s*[=:]\s*)\S+", re.IGNORECASE)


class ProcessStartError(RuntimeError):
    """A process we started exited or never became ready; the message names its log file."""


def spawn_detached(
    command: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> int:
    """Start `command` in its own session with stdout and stderr appended to `log_path`; return its pid."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            user=user,
            group=_primary_group(user) if user else None,
            extra_groups=[] if user else None,
        )
    _CHILDREN[process.pid] = process
    _EXIT_CODES.pop(process.pid, None)
    return process.pid


def _primary_group(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_gid


def pid_alive(pid: int | None, marker: str | None = None) -> bool:
    """True if `pid` runs (zombies count as dead) and, when given, its command line contains `marker`.

    The marker guards against pid reuse: after a reboot the pid in a state file may belong to anyone.
    """
    if not pid or pid <= 0:
        return False
    _reap(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user (postgres)
    proc = Path(f"/proc/{pid}")
    if proc.exists():
        try:
            if proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return False
            if marker is not None:
                return marker in proc.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return False
    return True


def _reap(pid: int) -> None:
    child = _CHILDREN.get(pid)
    if child is not None:
        code = child.poll()
        if code is not None:
            _EXIT_CODES[pid] = code
            del _CHILDREN[pid]
        return
    with contextlib.suppress(ChildProcessError):  # not our child: init reaps it
        os.waitpid(pid, os.WNOHANG)


def exit_code(pid: int) -> int | None:
    """The exit status of a child we started and that has exited, if we know it."""
    _reap(pid)
    return _EXIT_CODES.get(pid)


def stop_process(
    pid: int | None,
    *,
    marker: str | None = None,
    timeout_s: float = 20.0,
    first_signal: signal.Signals = signal.SIGTERM,
) -> bool:
    """Signal `pid` if it still matches `marker`, wait up to `timeout_s`, then SIGKILL; True if it was running."""
    if not pid_alive(pid, marker):
        return False
    assert pid is not None
    try:
        os.kill(pid, first_signal)
    except ProcessLookupError:
        return True
    if wait_for_exit(pid, timeout_s):
        return True
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    wait_for_exit(pid, 5.0)
    return True


def wait_for_exit(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def port_answers(port: int | None, host: str = "127.0.0.1", timeout_s: float = 0.5) -> bool:
    if not port:
        return False
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def port_is_free(port: int | None, host: str = "127.0.0.1") -> bool:
    if not port:
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1", avoid: set[int] | frozenset[int] = frozenset()) -> int:
    """A port the kernel just handed out; the usual small race with other programs is accepted."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port


def reuse_or_pick_port(saved: int | None, avoid: set[int] | frozenset[int] = frozenset()) -> int:
    """The port used last time if nobody holds it now, else a fresh one."""
    if saved and saved not in avoid and port_is_free(saved):
        return saved
    return free_port(avoid=avoid)


def redact(text: str) -> str:
    """Hide passwords in DSNs (`scheme://user:secret@`) and `password=...` settings."""
    return _PASSWORD_SETTING.sub(r"\1***", _DSN_PASSWORD.sub(r"\1***@", text))


def log_tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file, redacted, for error messages."""
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 64 * 1024))
            text = log.read().decode(errors="replace")
    except FileNotFoundError:
        return "(no log file)"
    return redact("\n".join(text.splitlines()[-lines:]))


async def gather_all(*steps: Awaitable[Any]) -> list[Any]:
    """Run the steps concurrently; if one fails, let the others finish (so that what they started gets recorded
    and can be stopped) and then raise the first failure."""
    results = await asyncio.gather(*steps, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def stop_children(processes: Iterable[subprocess.Popen], timeout_s: float = 20.0) -> None:
    """SIGTERM every child still running (graceful shutdown), then SIGKILL those still there after `timeout_s`."""
    children = list(processes)
    for process in children:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + timeout_s
    for process in children:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
