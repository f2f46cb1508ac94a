"""A person's requests over the data intake keeps (operator commands `privacy_*` from the back-office).

- export: the claims and refusals intake keeps about `claim_ids`, opened with intake's own keys; an erased field
  reads `{"erased_on": date}`.
- rectify: intake corrects the contact in its copy, seals it again under the claim's contact key, and announces the
  contact again, so that notifications writes to the corrected address. Refused once the contact was erased.
- erase: notifications decides it (it knows whether the claim is final); intake follows its announcement.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from guichet_common.canonical import text_is_clean
from guichet_common.contracts.backoffice import OperatorCommandV1
from guichet_common.contracts.privacy import HeldRecordV1, erased_on
from guichet_common.operator_commands import CommandRefused
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.erasures import Erasure
from guichet_common.privacy.keyring import Erased, Opener
from guichet_common.privacy.sealing import KeyNotYetKnown, MasterKey, is_sealed
from guichet_intake.domain import PERSONAL_PARTS
from guichet_intake.keys import ClaimKeys
from guichet_intake.privacy_model import KeptClaim, PrivacyUnitOfWork
from guichet_intake.sealed import contact_message

UNKNOWN_CLAIM = "RECTIFICATION_REFUSED_UNKNOWN_CLAIM"
ERASED = "RECTIFICATION_REFUSED_ERASED"
INVALID = "RECTIFICATION_REFUSED_INVALID"
_PHONE = re.compile(r"\+?[0-9 .-]{6,20}")


@dataclass(frozen=True)
class IntakePrivacyRequests:
    master: MasterKey
    opener: Opener
    topic_prefix: str = ""

    async def export(self, uow: PrivacyUnitOfWork, command: OperatorCommandV1) -> list[HeldRecordV1]:
        """Intake's rows about `command.claim_ids`: each kept claim, opened, and each refused submission."""
        claim_ids = list(command.claim_ids)
        kept = await uow.copies.claims(claim_ids)
        erasures = await uow.erasures.of(claim_ids)
        opened = await self._open(uow, [v for claim in kept.values() for v in _personal_values(claim.payload)])
        records = [
            HeldRecordV1(store="table claims", claim_id=c.claim_id, fields=_claim_fields(c, opened, erasures))
            for c in kept.values()
        ]
        records += [
            HeldRecordV1(
                store="table refusals",
                claim_id=r.claim_id,
                fields={"codes": r.codes, "details": r.details, "refused_at": r.refused_at.isoformat()},
            )
            for r in await uow.copies.refusals(claim_ids)
        ]
        return records

    async def rectify(self, uow: PrivacyUnitOfWork, command: OperatorCommandV1, now: dt.datetime) -> str:
        """Correct the contact of each of `command.claim_ids` and announce it again (one new ApplicantContactV1
        each); refused, for all of them, when one is unknown or its contact was erased."""
        corrections = _valid_corrections({str(k): v for k, v in (command.rectification or {}).items()})
        kept = await uow.copies.claims(command.claim_ids)
        if unknown := [c for c in command.claim_ids if c not in kept]:
            raise CommandRefused(f"{UNKNOWN_CLAIM}: demande inconnue d'intake ({', '.join(unknown)})")
        keys = await ClaimKeys.load(self.master, uow.keys, command.claim_ids)
        if erased := [c for c in command.claim_ids if keys.is_erased(c, "contact")]:
            raise CommandRefused(f"{ERASED}: les coordonnées ont déjà été effacées ({', '.join(erased)})")
        for claim in kept.values():
            uow.publish(await self._rectify_one(uow, keys, claim, corrections, command.event_id))
        await uow.keys.put(keys.made, now)
        return f"coordonnées rectifiées ({', '.join(sorted(corrections))}) pour {len(kept)} demande(s)"

    async def erase(self, uow: PrivacyUnitOfWork, command: OperatorCommandV1, now: dt.datetime) -> str:
        raise CommandRefused("l'effacement se demande à notifications, qui suit le statut de la demande")

    async def _rectify_one(
        self,
        uow: PrivacyUnitOfWork,
        keys: ClaimKeys,
        claim: KeptClaim,
        corrections: Mapping[str, str],
        request_id: uuid.UUID,
    ) -> list[OutboxMessage]:
        """The claim's contact corrected in intake's copy, sealed with its key, and announced again."""
        stored_contact = claim.payload.get("contact") or {}
        bank = claim.payload.get("bank_account") or {}
        opened = await self._open(uow, [*stored_contact.values(), bank.get("iban")])
        current = {name: _readable(stored_contact.get(name), opened) for name in PERSONAL_PARTS["contact"][1]}
        contact = {**current, **corrections}
        sealed = keys.seal(claim.claim_id, "contact", contact)
        await uow.copies.set_contact(claim.claim_id, {k: v for k, v in sealed.items() if v is not None})
        announced = keys.announcement(claim.claim_id, self.topic_prefix, dt.datetime.now(dt.UTC))
        message = contact_message(
            keys,
            self.topic_prefix,
            claim_id=claim.claim_id,
            programme=claim.programme,
            email=contact["email"] or "",
            full_name=contact["full_name"] or "",
            correlation_id=request_id,
            iban=_readable(bank.get("iban"), opened),
            rectification_id=request_id,
        )
        return [*announced, message]

    async def _open(self, uow: PrivacyUnitOfWork, values: list[Any]) -> dict[str, str | Erased]:
        try:
            return await self.opener.open_many(uow.keys, [v for v in values if isinstance(v, str)])
        except KeyNotYetKnown:  # a sealed value without a key of intake's: shown as sealed, never guessed
            return {}


def _valid_corrections(rectification: Mapping[str, str]) -> dict[str, str]:
    """The corrected fields, each checked as the claims contract checks it."""
    if not rectification:
        raise CommandRefused(f"{INVALID}: rien à rectifier (email, full_name ou phone)")
    corrected = dict(rectification)
    if "email" in corrected:
        try:
            corrected["email"] = validate_email(corrected["email"], check_deliverability=False).normalized
        except EmailNotValidError:
            raise CommandRefused(f"{INVALID}: adresse e-mail invalide") from None
    if "phone" in corrected and not _PHONE.fullmatch(corrected["phone"]):
        raise CommandRefused(f"{INVALID}: numéro de téléphone invalide")
    name = corrected.get("full_name")
    if name is not None and not (name.strip() and len(name) <= 200 and text_is_clean(name)):
        raise CommandRefused(f"{INVALID}: nom invalide")
    return corrected


def _personal_values(payload: Mapping[str, Any]) -> list[Any]:
    return [(payload.get(part) or {}).get(name) for part, names in PERSONAL_PARTS.values() for name in names]


def _readable(value: Any, opened: Mapping[str, str | Erased]) -> str | None:
    """A stored value as a person reads it: opened when sealed (None when its key is gone), as is otherwise."""
    if is_sealed(value):
        found = opened.get(value)
        return found if isinstance(found, str) else None
    return value if isinstance(value, str) else None


def _claim_fields(
    claim: KeptClaim, opened: Mapping[str, str | Erased], erasures: Mapping[tuple[str, str], Erasure]
) -> dict[str, Any]:
    payload = dict(claim.payload)
    for kind, (part, names) in PERSONAL_PARTS.items():
        stored = payload.get(part) or {}
        erasure = erasures.get((claim.claim_id, kind))
        shown: dict[str, Any] = {}
        for name in names:
            value = stored.get(name)
            found = opened.get(value) if isinstance(value, str) and is_sealed(value) else None
            if erasure is not None:
                shown[name] = erased_on(erasure.erased_at)
            elif isinstance(found, Erased):
                shown[name] = erased_on(found.on)
            elif is_sealed(value):
                shown[name] = found if found is not None else {"sealed": True}
            elif value is not None:
                shown[name] = value
        payload[part] = shown
    return {
        "programme": claim.programme,
        "siren": claim.siren,
        "submitted_at": claim.submitted_at.isoformat(),
        "registered_at": claim.registered_at.isoformat(),
        "claim": payload,
    }
