"""Starts Guichet's infrastructure (Kafka, PostgreSQL, SMTP) and its five services; see `python -m guichet_deploy`."""

from guichet_deploy.infra import SERVICES, Infra, ensure_infra, stop_infra
from guichet_deploy.postgres import drop_databases, provision_databases
from guichet_deploy.services import ServiceStartError, service_status, start_services, stop_services

__all__ = [
    "SERVICES",
    "Infra",
    "ServiceStartError",
    "drop_databases",
    "ensure_infra",
    "provision_databases",
    "service_status",
    "start_services",
    "stop_infra",
    "stop_services",
]
