"""Use cases of the privacy API: a person's requests (export, erasure, rectification) sent to the services that
apply them, and what they answered. Each is recorded in the audit trail with who asked and why, in the same
transaction as the commands it sends; reading an export is an unmasked view of personal data, recorded as such.

The person is designated by an e-mail, a SIREN or a claim id, resolved here to claim ids from the read model: the
commands and the audit rows name claims, never the e-mail the person was found by.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from guichet_backoffice import audit
from guichet_backoffice.privacy_model import EXPORTING_SERVICES, ExportRequest, export_json, own_records
from guichet_backoffice.privacy_repository import PrivacyRepository
from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.outbox import OutboxMessage
from guichet_common.topics import OPERATOR_COMMANDS
from guichet_common.unit_of_work import PostgresUnitOfWork

MAX_REASON = 2000
RECTIFIABLE = ("email", "full_name", "phone")
EXPORT_REQUESTED = "privacy_export_requested"
ERASURE_REQUESTED = "privacy_erasure_requested"
RECTIFICATION_REQUESTED = "privacy_rectification_requested"
OUTCOME_READ = "privacy_request_read"


class PrivacyRefused(Exception):
    """A request the API answers with an error (400 unless said otherwise), in French."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


class PrivacyWork(PostgresUnitOfWork):
    def __init__(self, connection: asyncpg.Connection) -> None:
        super().__init__(connection)
        self.privacy = PrivacyRepository(connection)

    async def audit(self, actor: str, action: str, target: str, reason: str, details: Mapping[str, Any]) -> None:
        await audit.record(self.connection, actor, action, target, reason, dict(details))


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise PrivacyRefused("Le motif (reason) est obligatoire : il est consigné dans le journal d'audit.")
    if len(reason) > MAX_REASON:
        raise PrivacyRefused(f"Le motif est limité à {MAX_REASON} caractères.")
    return reason.strip()


def _command(
    command_id: uuid.UUID,
    service: str,
    action: str,
    target: str,
    claim_ids: Sequence[str],
    login: str,
    reason: str,
    now: dt.datetime,
    topic_prefix: str,
    rectification: Mapping[str, str] | None = None,
) -> OutboxMessage:
    command = OperatorCommandV1.model_validate(
        {
            "event_id": command_id,
            "occurred_at": now,
            "service": service,
            "action": action,
            "target": target,
            "requested_by": login,
            "reason": reason,
            "claim_ids": list(claim_ids),
            "rectification": dict(rectification) if rectification else None,
        },
        strict=False,
    )
    return OutboxMessage.of_event(topic_prefix + OPERATOR_COMMANDS[service].name, target, command)


async def ask_export(
    uow: PrivacyWork, login: str, selector: tuple[str, str], reason: object, *, topic_prefix: str, now: dt.datetime
) -> ExportRequest:
    """Resolve the person to their claims and ask every service what it holds about them (one request id, the
    command's, shared by the five commands). Nobody found: nothing is asked, the export is complete and empty."""
    why = _reason(reason)
    claim_ids = await uow.privacy.claim_ids(*selector)
    services = EXPORTING_SERVICES if claim_ids else ()
    request = ExportRequest(uuid.uuid4(), login, why, {selector[0]: selector[1]}, tuple(claim_ids), services, now)
    await uow.privacy.add_export(request)
    target = str(request.request_id)
    uow.publish(
        _command(request.request_id, s, "privacy_export", target, claim_ids, login, why, now, topic_prefix)
        for s in services
    )
    details = {"found_by": selector[0], "claim_ids": list(claim_ids), "services": list(services), "via": "api"}
    await uow.audit(login, EXPORT_REQUESTED, f"privacy_request:{target}", why, details)
    await uow.commit()
    return request


async def read_export(uow: PrivacyWork, login: str, request_id: uuid.UUID) -> dict[str, Any] | None:
    """The export once every service answered, with the back-office's own part, recorded as an unmasked view;
    before that, which services are still missing (and no data)."""
    found = await uow.privacy.export(request_id)
    if found is None:
        return None
    request, parts = found
    erased = {key: e.erased_at for key, e in (await uow.erasures.of(request.claim_ids)).items()}
    own = own_records(await uow.privacy.held(request.claim_ids), erased)
    answer = export_json(request, parts, own)
    details = {"page": "privacy_export", "claim_ids": list(request.claim_ids), "via": "api"}
    if answer["complete"]:  # the person's data shown: an unmasked view
        await uow.audit(login, audit.PERSONAL_DATA_VIEWED, f"privacy_request:{request_id}", request.reason, details)
    else:  # the console polls until complete: an incomplete answer shows which services are missing, no data
        answer["parts"] = []
        await uow.audit(login, OUTCOME_READ, f"privacy_request:{request_id}", request.reason, details)
    await uow.commit()
    return answer


async def ask_erasure(
    uow: PrivacyWork, login: str, selector: tuple[str, str], reason: object, *, topic_prefix: str, now: dt.datetime
) -> dict[str, uuid.UUID]:
    """Ask notifications to erase each of the person's claims now (it refuses, and records why, a claim still under
    review, control or payment); claim id -> the command's id, whose outcome GET /api/privacy/requests/{id} gives."""
    why = _reason(reason)
    claim_ids = await uow.privacy.claim_ids(*selector)
    sent = {claim_id: uuid.uuid4() for claim_id in claim_ids}  # nobody found: nothing asked, an empty answer
    uow.publish(
        _command(command_id, "notifications", "privacy_erase", claim_id, [claim_id], login, why, now, topic_prefix)
        for claim_id, command_id in sent.items()
    )
    details = {"found_by": selector[0], "requests": {c: str(i) for c, i in sent.items()}, "via": "api"}
    await uow.audit(login, ERASURE_REQUESTED, f"claims:{','.join(claim_ids)}"[:300], why, details)
    await uow.commit()
    return sent


async def ask_rectification(
    uow: PrivacyWork,
    login: str,
    claim_id: object,
    changes: Mapping[str, object],
    reason: object,
    *,
    topic_prefix: str,
    now: dt.datetime,
) -> tuple[uuid.UUID, bool]:
    """Correct the claim's contact in the back-office's copy and ask intake to correct its own (and announce it
    again, so that notifications writes to the corrected address). Returns the command id and whether the
    back-office's copy changed (False: it holds none, e.g. erased)."""
    why = _reason(reason)
    given = {name: value for name, value in changes.items() if name in RECTIFIABLE and value is not None}
    if not isinstance(claim_id, str) or not claim_id or len(given) != 1:
        raise PrivacyRefused("Indiquer claim_id et un seul champ parmi email, full_name, phone.")
    ((name, value),) = given.items()
    if not isinstance(value, str) or not value.strip() or len(value) > 254:
        raise PrivacyRefused("La nouvelle valeur est une chaîne de 1 à 254 caractères.")
    if not await uow.privacy.claim_ids("claim_id", claim_id):
        raise PrivacyRefused("Demande inconnue.", 404)
    changed = await uow.privacy.rectify_contact(claim_id, name, value.strip())
    command_id = uuid.uuid4()
    uow.publish(
        [
            _command(
                command_id,
                "intake",
                "privacy_rectify",
                claim_id,
                [claim_id],
                login,
                why,
                now,
                topic_prefix,
                {name: value.strip()},
            )
        ]
    )
    details = {"field": name, "request_id": str(command_id), "updated_here": changed, "via": "api"}
    await uow.audit(login, RECTIFICATION_REQUESTED, f"claim:{claim_id}", why, details)
    await uow.commit()
    return command_id, changed


async def read_outcome(uow: PrivacyWork, login: str, request_id: uuid.UUID) -> dict[str, Any]:
    """What the service did with one request (a command): applied, refused with its detail, or still pending."""
    found = await uow.privacy.outcome(request_id)
    answer: dict[str, Any] = {"request_id": str(request_id), "outcome": None, "detail": "", "service": None}
    if found is not None:
        answer |= {"outcome": found.outcome, "detail": found.detail, "service": found.service}
        answer["decided_at"] = found.occurred_at.isoformat()
    answer["pending"] = found is None
    await uow.audit(login, OUTCOME_READ, f"privacy_request:{request_id}", "", {"via": "api"})
    await uow.commit()
    return answer
