"""A person's requests over their data, as payments applies them (operator commands `privacy_*`): it answers an
export with every row it holds about the claims, bank data opened or shown erased; erasure and rectification are
not payments' to apply (notifications decides erasures, which reach payments from intake; intake rectifies)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.privacy import HeldRecordV1, erased_on
from guichet_common.operator_commands import CommandRefused
from guichet_common.privacy.erasures import Erasure
from guichet_common.privacy.keyring import Erased, KeyRing, Opener
from guichet_common.privacy.sealing import KeyNotYetKnown, SealingError, is_sealed
from guichet_payments.privacy_repository import BANK_COLUMNS, HeldRow
from guichet_payments.unit_of_work import PaymentsWork


@dataclass(frozen=True)
class PaymentsPrivacy:
    opener: Opener

    async def export(self, uow: PaymentsWork, command: OperatorCommandV1) -> Sequence[HeldRecordV1]:
        """Every row payments holds about `command.claim_ids`; bank fields erased read `{"erased_on": date}`."""
        rows = await uow.privacy.held(command.claim_ids)
        erasures = await uow.erasures.of(command.claim_ids)
        return [
            HeldRecordV1(
                store=f"table {row.table}",
                claim_id=row.claim_id,
                fields=await self._shown(uow.keys, row, erasures.get((row.claim_id, "bank"))),
            )
            for row in rows
        ]

    async def erase(self, uow: PaymentsWork, command: OperatorCommandV1, now: dt.datetime) -> str:
        raise CommandRefused(
            "payments n'efface pas sur demande : la demande d'effacement est adressée aux notifications,"
            " payments suit l'effacement annoncé par intake"
        )

    async def rectify(self, uow: PaymentsWork, command: OperatorCommandV1, now: dt.datetime) -> str:
        raise CommandRefused(
            "payments ne rectifie pas : les coordonnées bancaires nouvelles arrivent du portail"
            " (claims.bank-details.v1)"
        )

    async def _shown(self, keys: KeyRing, row: HeldRow, erasure: Erasure | None) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        bank = {column.removeprefix("decision.") for column in BANK_COLUMNS[row.table]}
        for name, value in row.fields.items():
            if name in bank and value is None and erasure is not None:
                shown[name] = erased_on(erasure.erased_at)
            elif is_sealed(value):
                shown[name] = await self._opened(keys, value)
            else:
                shown[name] = value.isoformat() if isinstance(value, dt.date) else value
        return shown

    async def _opened(self, keys: KeyRing, value: str) -> Any:
        try:
            opened = (await self.opener.open_many(keys, [value]))[value]
        except (KeyNotYetKnown, SealingError):
            return {"sealed": True}
        return erased_on(opened.on) if isinstance(opened, Erased) else opened
