"""python -m guichet_deploy up | infra | env | status | down [--purge]"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shlex
import sys

import structlog

from guichet_deploy.backoffice import backoffice_url, first_admin_lines
from guichet_deploy.infra import Infra, ensure_infra, stop_infra
from guichet_deploy.procs import redact
from guichet_deploy.services import (
    ServiceStartError,
    http_ports,
    service_of,
    service_status,
    service_url,
    start_services,
    stop_services,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m guichet_deploy", description="Run Guichet's infrastructure and services."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "up", help="infrastructure, topics and the services, gateway and back-office included (idempotent)"
    )
    commands.add_parser("infra", help="infrastructure and topics only (idempotent)")
    commands.add_parser("env", help="the addresses in use as shell assignments (starts infrastructure if needed)")
    commands.add_parser("status", help="which services run")
    down = commands.add_parser("down", help="stop the services, then the infrastructure")
    down.add_argument("--purge", action="store_true", help="also delete Kafka's and PostgreSQL's data and the Maildir")
    args = parser.parse_args(argv)

    # stdout carries the answer (`eval "$(python -m guichet_deploy env)"`); progress goes to stderr.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    try:
        return COMMANDS[args.command](args)
    except Exception as error:  # a readable line instead of a traceback; GUICHET_DEBUG=1 shows the traceback
        if os.environ.get("GUICHET_DEBUG"):
            raise
        what = "" if isinstance(error, RuntimeError) else f"{type(error).__name__}: "
        print(f"error: {what}{redact(str(error))}", file=sys.stderr)
        return 1


def _up(args: argparse.Namespace) -> int:
    infra = ensure_infra()
    _print_infra(infra)
    try:
        start_services(infra)
    except ServiceStartError as error:
        print(f"\nservices: some exited at start-up\n{redact(str(error))}", file=sys.stderr)
        _print_services(infra)
        return 1
    _print_services(infra)
    if gateway := service_url(http_ports(infra.state_dir), "gateway"):
        print(f"gateway         {gateway}v1/   (portals: `guichet portals add NAME` prints a key once)")
    for line in asyncio.run(first_admin_lines(infra)):
        print(line)
    return 0


def _infra(args: argparse.Namespace) -> int:
    _print_infra(ensure_infra())
    return 0


def _env(args: argparse.Namespace) -> int:
    infra = ensure_infra()
    ports = http_ports(infra.state_dir)
    assignments = {
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
        **{f"{name.upper()}_DATABASE_URL": url for name, url in infra.database_urls.items()},
        "SMTP_HOST": infra.smtp_host,
        "SMTP_PORT": str(infra.smtp_port),
        "GUICHET_MAILDIR": str(infra.maildir or ""),
        # With several instances, the first one's port (the console and curl need one address per service).
        **{f"{service_of(name).upper()}_HTTP_PORT": str(port) for name, port in sorted(ports.items(), reverse=True)},
        "BACKOFFICE_URL": backoffice_url(ports),  # "" until the back-office has been started
        "GATEWAY_URL": service_url(ports, "gateway"),  # the portals' API is under /v1/; "" until started
    }
    for name, value in assignments.items():
        print(f"{name}={shlex.quote(value)}")
    return 0


def _status(args: argparse.Namespace) -> int:
    for status in service_status().values():
        state = f"running, pid {status.pid}" if status.running else "stopped"
        print(f"{status.name:<14} {state:<20} log {status.log_file}")
    return 0


def _down(args: argparse.Namespace) -> int:
    stopped = stop_services()
    stop_infra(purge=args.purge)
    print(
        f"stopped services: {', '.join(stopped) or 'none were running'}; infrastructure stopped"
        + (" and its data deleted" if args.purge else "")
    )
    return 0


def _print_infra(infra: Infra) -> None:
    print(f"infrastructure ({infra.source}), state in {infra.state_dir}")
    print(f"  kafka           {infra.kafka_bootstrap}")
    for name, url in infra.database_urls.items():
        print(f"  db {name:<12} {redact(url)}")
    mail = f"  maildir {infra.maildir}" if infra.maildir else ""
    print(f"  smtp            {infra.smtp_host}:{infra.smtp_port}{mail}")
    print(f"  logs            {infra.state_dir / 'logs'}")


def _print_services(infra: Infra) -> None:
    print("services")
    ports = http_ports(infra.state_dir)
    for status in service_status(infra.state_dir).values():
        state = f"pid {status.pid}" if status.running else "NOT RUNNING"
        port = ports.get(status.name)
        http = f"http://127.0.0.1:{port}/metrics" if port else ""
        print(f"  {status.name:<14} {state:<12} {http:<32} log {status.log_file}")


COMMANDS = {"up": _up, "infra": _infra, "env": _env, "status": _status, "down": _down}

if __name__ == "__main__":
    sys.exit(main())
