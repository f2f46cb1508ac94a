"""The services (the pipeline, the gateway and the back-office) as detached processes (`python -m guichet_<name>`),
with pid files and logs in the state folder."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from guichet_deploy.infra import SERVICES, Infra
from guichet_deploy.procs import exit_code, log_tail, pid_alive, reuse_or_pick_port, spawn_detached, stop_process
from guichet_deploy.state import load_state, locked, prepare_state_dir, save_state

INSTANCES_ENV = "GUICHET_INSTANCES"  # processes per service that `make up` / `make demo` start
# What suits processes serving plain http on 127.0.0.1, under whatever the environment says: the back-office's
# session cookie cannot be `Secure` there (browsers would not send it back over http), and a demo portal's webhook
# receiver on this machine listens on plain http too (the gateway still refuses http to any other host).
LOCAL_DEFAULTS = {"BACKOFFICE_COOKIE_SECURE": "false", "GATEWAY_WEBHOOK_ALLOW_HTTP_LOOPBACK": "true"}


class ServiceStartError(RuntimeError):
    """One or more services exited right after being started; the message holds each one's log tail."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    pid: int | None
    running: bool
    log_file: Path


def start_services(
    infra: Infra,
    names: Iterable[str] = SERVICES,
    extra_env: Mapping[str, str] | None = None,
    *,
    settle_s: float = 3.0,
    instances: int | None = None,
) -> dict[str, int]:
    """Start `instances` processes of each named service (default: GUICHET_INSTANCES, else 1) unless they already
    run; return every process's pid, by process name (`intake`, or `intake-1`, `intake-2`... with several).

    Watches newly started ones for `settle_s` seconds and raises ServiceStartError naming those that exited
    (the others keep running; `stop_services` stops them).
    """
    count = instances if instances is not None else int(os.environ.get(INSTANCES_ENV, "1"))
    processes = [name if count == 1 else f"{name}-{i}" for name in names for i in range(1, count + 1)]
    folder = prepare_state_dir(infra.state_dir)
    with locked(folder):
        return _start(
            folder,
            processes,
            {**LOCAL_DEFAULTS, **os.environ, **infra.service_env(), "LOG_FORMAT": "json", **(extra_env or {})},
            settle_s,
        )


def _start(folder: Path, names: Iterable[str], env: dict[str, str], settle_s: float) -> dict[str, int]:
    pids: dict[str, int] = {}
    fresh: list[str] = []
    state = load_state(folder)
    ports = state.setdefault("http_ports", {})
    for name in names:
        pid = _read_pid(folder, name)
        if pid is not None and pid_alive(pid, _marker(name)):
            pids[name] = pid
            continue
        # The same /metrics address from one start to the next (Prometheus scrapes it), unless someone took it.
        ports[name] = reuse_or_pick_port(ports.get(name), avoid=set(ports.values()) - {ports.get(name)})
        save_state(folder, state)
        _write_prometheus_targets(folder, ports)
        service_env = {**env, f"{service_of(name).upper()}_HTTP_PORT": str(ports[name])}
        module = f"guichet_{service_of(name)}"
        pids[name] = spawn_detached([sys.executable, "-m", module], _log_file(folder, name), env=service_env)
        _write_pid(folder, name, pids[name])
        fresh.append(name)
    deadline = time.monotonic() + settle_s
    while time.monotonic() < deadline and any(pid_alive(pids[name]) for name in fresh):
        time.sleep(0.1)
    exited = [name for name in fresh if not pid_alive(pids[name])]
    if exited:
        raise ServiceStartError("\n\n".join(_exit_report(folder, name, pids[name]) for name in exited))
    return pids


def stop_services(state_dir: Path | None = None, timeout_s: float = 20.0) -> list[str]:
    """SIGTERM every service with a pid file, SIGKILL those still running after `timeout_s`; return those stopped."""
    folder = prepare_state_dir(state_dir)
    names = _known_names(folder)

    def stop(name: str) -> bool:
        stopped = stop_process(_read_pid(folder, name), marker=_marker(name), timeout_s=timeout_s)
        _pid_file(folder, name).unlink(missing_ok=True)
        return stopped

    with locked(folder), ThreadPoolExecutor(len(names)) as pool:
        results = list(pool.map(stop, names))
    return [name for name, stopped in zip(names, results, strict=True) if stopped]


def service_status(state_dir: Path | None = None) -> dict[str, ServiceStatus]:
    folder = prepare_state_dir(state_dir)
    statuses = {}
    for name in _known_names(folder):
        pid = _read_pid(folder, name)
        statuses[name] = ServiceStatus(
            name, pid, pid is not None and pid_alive(pid, _marker(name)), _log_file(folder, name)
        )
    return statuses


def _exit_report(folder: Path, name: str, pid: int) -> str:
    code = exit_code(pid)
    how = f"exited with code {code}" if code is not None else "exited"
    log_file = _log_file(folder, name)
    return f"service {name} {how} right after start; last lines of {log_file}:\n{log_tail(log_file)}"


def service_url(ports: Mapping[str, int], service: str) -> str:
    """`http://127.0.0.1:<port>/` of the service's first process the launcher started; "" when none was."""
    names = sorted(name for name in ports if service_of(name) == service)
    return f"http://127.0.0.1:{ports[names[0]]}/" if names else ""


def service_of(process_name: str) -> str:
    """`intake-2` -> `intake`: several instances of a service are processes of the same module."""
    return process_name.split("-")[0]


def _marker(name: str) -> str:
    return f"-m guichet_{service_of(name)}"


def _known_names(folder: Path) -> list[str]:
    """The processes started here (pid files), in pipeline order; every service when none was."""
    recorded = {path.stem for path in (folder / "run").glob("*.pid")}
    ordered = [name for service in SERVICES for name in sorted(recorded) if service_of(name) == service]
    return ordered + sorted(recorded - set(ordered)) or list(SERVICES)


def _log_file(folder: Path, name: str) -> Path:
    return folder / "logs" / f"{name}.log"


def _pid_file(folder: Path, name: str) -> Path:
    return folder / "run" / f"{name}.pid"


def _read_pid(folder: Path, name: str) -> int | None:
    try:
        return int(_pid_file(folder, name).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _write_pid(folder: Path, name: str, pid: int) -> None:
    path = _pid_file(folder, name)
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{pid}\n")
    tmp.replace(path)


def http_ports(state_dir: Path | None = None) -> dict[str, int]:
    """Each service's HTTP port (/healthz, /readyz, /metrics) as the launcher last started it."""
    return dict(load_state(prepare_state_dir(state_dir)).get("http_ports", {}))


def _write_prometheus_targets(folder: Path, ports: Mapping[str, int]) -> None:
    """The file deploy/prometheus/prometheus.yml discovers the local services from."""
    targets = [
        {"targets": [f"127.0.0.1:{port}"], "labels": {"service": service_of(name), "instance_name": name}}
        for name, port in sorted(ports.items())
    ]
    path = folder / "prometheus" / "targets.json"
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(targets, indent=2) + "\n")
    tmp.replace(path)
