"""A person's requests over their data, as notifications applies them (`PrivacyRequests`): it decides erasures
(it follows every claim's status), and answers exports with what it holds.

Every erasure decision is recorded in `privacy_requests`, a refusal too: `decide_erasures` records them before the
operator commands run, because a refused command's own savepoint is rolled back with whatever it wrote."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.privacy import HeldRecordV1, erased_on
from guichet_common.operator_commands import CommandRefused
from guichet_common.privacy.keyring import Opener
from guichet_common.privacy.sealing import DATA_KINDS
from guichet_notifications import erasure
from guichet_notifications.retention import decide_erasure
from guichet_notifications.service import AbstractNotificationsUnitOfWork

ERASE = "privacy_erase"
_CONTACT_FIELDS = {"email": "contact", "full_name": "contact", "iban_last4": "bank"}


@dataclass(frozen=True)
class NotificationsPrivacy:
    opener: Opener | None
    topic_prefix: str = ""

    async def decide_erasures(
        self, uow: AbstractNotificationsUnitOfWork, commands: Sequence[OperatorCommandV1], now: dt.datetime
    ) -> None:
        """Decide and record each erasure asked of notifications: granted only for a settled claim (final, or its
        control closed after the payment); refused with a code while it is under review, control or payment."""
        for command in commands:
            if command.action != ERASE or command.service != erasure.SERVICE or not command.claim_ids:
                continue
            tracks = await uow.statuses.get(command.claim_ids)
            decisions = [decide_erasure(c, tracks.get(c)) for c in dict.fromkeys(command.claim_ids)]
            await uow.privacy_requests.record(
                command.event_id, command.action, command.requested_by, command.reason, now, decisions
            )

    async def erase(self, uow: AbstractNotificationsUnitOfWork, command: OperatorCommandV1, now: dt.datetime) -> str:
        """Apply the decision recorded for this request: erase every kind of its claims now, or refuse (all of the
        claims, if one of them cannot be erased yet)."""
        decisions = await uow.privacy_requests.decisions(command.event_id)
        if not decisions:
            raise CommandRefused("ERASURE_REFUSED_NOT_FINAL : aucune demande désignée (claim_ids)")
        if refused := [d for d in decisions if not d.accepted]:
            raise CommandRefused(" ; ".join(d.detail for d in refused))
        tracks = await uow.statuses.get(d.claim_id for d in decisions)
        items = [(d.claim_id, tracks[d.claim_id].programme, kind) for d in decisions for kind in DATA_KINDS]
        new = await erasure.erase_claims(
            uow, items, now, self.opener, self.topic_prefix, reason="request", request=command
        )
        return f"effacement accepté pour {len(decisions)} demande(s) ({len(new)} effacement(s) nouveau(x))"

    async def rectify(self, uow: AbstractNotificationsUnitOfWork, command: OperatorCommandV1, now: dt.datetime) -> str:
        raise CommandRefused("notifications ne rectifie rien : intake corrige le contact et le transmet à nouveau")

    async def export(self, uow: AbstractNotificationsUnitOfWork, command: OperatorCommandV1) -> list[HeldRecordV1]:
        """Every row notifications holds about the request's claims, as it holds it (the contact in clear, since it
        is kept open here; an erased field reads `erased_on`)."""
        claim_ids = list(dict.fromkeys(command.claim_ids))
        erased = await uow.erasures.of(claim_ids)
        records = [_record("contacts", row, erased_fields(row, erased)) for row in await uow.contacts.held(claim_ids)]
        records += [_record("emails", row) for row in await uow.emails.held(claim_ids)]
        records += [_record("claim_statuses", row) for row in await uow.statuses.held(claim_ids)]
        records += [_record("privacy_requests", row) for row in await uow.privacy_requests.held(claim_ids)]
        records += [
            HeldRecordV1(store="table privacy_erasures", claim_id=e.claim_id, fields=_jsonable(vars(e)))
            for e in erased.values()
        ]
        return records


def erased_fields(row: dict[str, Any], erased: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """The contact's personal fields that were erased, each as `{"erased_on": date}`."""
    claim_id = row["claim_id"]
    return {
        name: erased_on(erased[(claim_id, kind)].erased_at)
        for name, kind in _CONTACT_FIELDS.items()
        if row.get(name) is None and (claim_id, kind) in erased
    }


def _record(table: str, row: dict[str, Any], overrides: dict[str, Any] | None = None) -> HeldRecordV1:
    fields = _jsonable(row) | (overrides or {})
    return HeldRecordV1(store=f"table {table}", claim_id=row.get("claim_id"), fields=fields)


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v.isoformat() if isinstance(v, dt.datetime) else str(v) if k == "request_id" and v else v
        for k, v in row.items()
    }
