"""Eligibility and a person's data: what it holds (INVENTORY, for the register in docs/privacy.md) and what it
answers to a person's requests (`EligibilityPrivacy`: the export; erasure is decided by notifications and followed
here through intake's announcement, `erasure.py`; rectification is intake's).

Eligibility holds no key: the sealed values it keeps read `{"sealed": true}` in an export, erased ones
`{"erased_on": date}`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.internal import ELIGIBILITY_DECISIONS_TOPIC
from guichet_common.contracts.privacy import HeldRecordV1, erased_on
from guichet_common.operator_commands import CommandRefused
from guichet_common.privacy.erasures import Erasure
from guichet_common.privacy.inventory import Category, Inventory, PersonalField
from guichet_common.privacy.sealing import is_sealed
from guichet_eligibility.translate import ERASABLE
from guichet_eligibility.unit_of_work import EligibilityWork

_DECIDED = "an approved claim's payee, passed on to payments as intake sealed it (eligibility cannot open it)"
_SEALED_TOPIC = "sealed: unreadable once intake destroys the claim's bank key; the topic's retention removes it"
_CLAIM = "the claim as registered, kept to judge it, to pass its bank details on to payments when approved"
_SEALED = "sealed by intake, never opened here; null once intake's erasure of its kind is followed"
_CONTACT: tuple[tuple[str, Category], ...] = (("full_name", "identity"), ("email", "contact"), ("phone", "contact"))
_BANK: tuple[tuple[str, Category], ...] = (("iban", "bank"), ("bic", "bank"), ("holder_name", "identity"))
_DECIDED_FIELDS: tuple[tuple[str, Category], ...] = (
    ("beneficiary_name", "identity"),
    ("iban", "bank"),
    ("bic", "bank"),
)
INVENTORY = Inventory(
    "eligibility",
    (
        *(
            PersonalField("table", "claims", f"payload.contact.{name}", category, _CLAIM, "contact", _SEALED)
            for name, category in _CONTACT
        ),
        *(
            PersonalField("table", "claims", f"payload.bank_account.{name}", category, _CLAIM, "bank", _SEALED)
            for name, category in _BANK
        ),
        *(
            PersonalField("topic", ELIGIBILITY_DECISIONS_TOPIC, name, category, _DECIDED, "sealed", _SEALED_TOPIC)
            for name, category in _DECIDED_FIELDS
        ),
        PersonalField(
            "table",
            "claims",
            "payload.applicant.legal_name",
            "identity",
            "the applicant company's name (a sole trader's is a person's), part of the claim as registered",
            "contact",
            "erased (null) with the contact: no rule reads it",
        ),
        PersonalField(
            "table",
            "claims",
            "payload.applicant.address",
            "contact",
            "the company's address (a sole trader's may be their home); the rules read its postcode",
            "contact",
            "street lines erased (null) with the contact; postcode and city kept (OVERSEAS_EXCLUDED reads them)",
        ),
        PersonalField(
            "table",
            "claims",
            "payload.invoices.supplier_name",
            "identity",
            "the invoices' suppliers (a sole trader's name), part of the claim as registered",
            "accounting",
            "kept with the decision it was judged by",
        ),
        PersonalField(
            "table",
            "claims",
            "iban_fingerprint",
            "pseudonymous",
            "IBAN_SHARED: one bank account on the claims of several companies (a keyed hash; no IBAN is stored)",
            "accounting",
            "kept: opens nothing, and later claims must still be compared with it",
        ),
        PersonalField(
            "table",
            "review_decisions",
            "operator",
            "staff",
            "who decided a claim under review (and seconded_by, under four eyes)",
            "staff_account",
            "kept with the decision",
        ),
        PersonalField(
            "table",
            "review_decisions",
            "seconded_by",
            "staff",
            "the second person of a four-eyes decision",
            "staff_account",
            "kept with the decision",
        ),
    ),
)


class EligibilityPrivacy:
    """A person's requests as eligibility applies them: it answers exports; erasure and rectification are refused
    here (the back-office sends them to notifications and intake)."""

    async def export(self, uow: EligibilityWork, command: OperatorCommandV1) -> Sequence[HeldRecordV1]:
        """Every row eligibility holds about `command.claim_ids`, sealed values as sealed, erased ones dated."""
        erasures = await uow.erasures.of(command.claim_ids)
        records = []
        for row in await uow.personal.held(command.claim_ids):
            fields = dict(row.fields)
            if row.table == "claims":
                fields["payload"] = shown_payload(fields["payload"], row.claim_id, erasures)
            records.append(HeldRecordV1(store=f"table {row.table}", claim_id=row.claim_id, fields=fields))
        return records

    async def erase(self, uow: EligibilityWork, command: OperatorCommandV1, now: dt.datetime) -> str:
        raise CommandRefused("eligibility suit les effacements annoncés par intake ; la demande va à notifications")

    async def rectify(self, uow: EligibilityWork, command: OperatorCommandV1, now: dt.datetime) -> str:
        raise CommandRefused("eligibility ne garde pas de coordonnées lisibles ; la rectification va à intake")


def shown_payload(
    payload: Mapping[str, Any], claim_id: str, erasures: Mapping[tuple[str, str], Erasure]
) -> dict[str, Any]:
    """The stored claim with each contact and bank value as eligibility can show it: sealed, erased (dated), or a
    claim registered before sealing's value in clear, as it was received."""
    shown: dict[str, Any] = json_copy(payload)
    for kind, places in ERASABLE.items():
        erasure = erasures.get((claim_id, kind))
        for path, names in places:
            section = shown
            for step in path:
                if not isinstance(section.get(step), dict):
                    section[step] = {}
                section = section[step]
            for name in names:
                section[name] = _shown(section.get(name), erasure)
    return shown


def json_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


def _shown(value: Any, erasure: Erasure | None) -> Any:
    if value is None:
        return erased_on(erasure.erased_at) if erasure is not None else None
    return {"sealed": True} if is_sealed(value) else value
