"""The personal data intake stores and publishes (the register, docs/privacy.md, is generated from `INVENTORY`).

Intake owns each claim's data keys: it seals the contact (kind `contact`) and the bank account (kind `bank`) before
they leave it, and keeps them sealed in its own copy. When notifications announces an erasure, intake destroys that
key and blanks that kind in its copy (`erasure`). Its refusals keep codes and field paths, never values (an
e-mail or IBAN quoted by a schema message is masked); the dead letters it writes are the portals' records as sent.
"""

from __future__ import annotations

from guichet_common.privacy.inventory import (
    LEGAL_BASIS_LEGAL_OBLIGATION,
    Category,
    Inventory,
    PersonalField,
    Place,
    RetentionRule,
)

_REGISTER = "register the claim and write to the applicant about it"
_PAY = "pay the grant to the account the applicant gave"
_RECORD = "keep the grant's record: who was paid what (a sole trader's firm bears their name and address)"
_SEALED_KEPT = "sealed under the claim's key; set to null, and the key destroyed, when that kind is erased"
_SEALED_TOPIC = "sealed under the claim's key: unreadable once intake destroys it"
_CLEAR_TOPIC = "in clear by contract: the topic's bounded retention"
_KEPT = "kept with the claim's record for the accounting period"
_RETAINED = "topic retention"
_AS_SENT: tuple[RetentionRule, str] = ("topic", _CLEAR_TOPIC)

CONTACT: tuple[tuple[str, Category], ...] = (("full_name", "identity"), ("email", "contact"), ("phone", "contact"))
BANK: tuple[tuple[str, Category], ...] = (("iban", "bank"), ("bic", "bank"), ("holder_name", "identity"))
APPLICANT: tuple[tuple[str, Category], ...] = (
    ("applicant.legal_name", "identity"),
    ("applicant.address.line1", "contact"),
    ("applicant.address.line2", "contact"),
    ("applicant.address.postcode", "contact"),
    ("applicant.address.city", "contact"),
    ("invoices.supplier_name", "identity"),
)


def _claim(
    place: Place, name: str, root: str, personal: tuple[RetentionRule | None, str], applicant: tuple[RetentionRule, str]
) -> tuple[PersonalField, ...]:
    """The claim's personal fields under `root` in a table's payload or a topic's records: the contact and bank
    fields by `personal` (rule, None: their kind's; treatment), the applicant's by `applicant` (rule, treatment)."""
    rule, sealed = personal
    contact = [
        PersonalField(place, name, f"{root}contact.{f}", c, _REGISTER, rule or "contact", sealed) for f, c in CONTACT
    ]
    bank = [PersonalField(place, name, f"{root}bank_account.{f}", c, _PAY, rule or "bank", sealed) for f, c in BANK]
    kept = [
        PersonalField(place, name, root + f, c, _RECORD, applicant[0], applicant[1], LEGAL_BASIS_LEGAL_OBLIGATION)
        for f, c in APPLICANT
    ]
    return (*contact, *bank, *kept)


INVENTORY = Inventory(
    service="intake",
    fields=(
        *_claim("table", "claims", "payload.", (None, _SEALED_KEPT), ("accounting", _KEPT)),
        PersonalField(
            "table", "claims", "siren", "identity", _RECORD, "accounting", _KEPT, LEGAL_BASIS_LEGAL_OBLIGATION
        ),
        PersonalField(
            "table", "privacy_keys", "wrapped_key", "pseudonymous", "seal the claims' data", "key", "destroyed"
        ),
        *_claim("topic", "intake.claims-registered.v1", "claim.", ("sealed", _SEALED_TOPIC), ("topic", _RETAINED)),
        PersonalField(
            "topic",
            "intake.claims-registered.v1",
            "iban_fingerprint",
            "pseudonymous",
            "find an IBAN shared by several claims (eligibility), without reading it",
            "topic",
            "a keyed hash: nobody without the master key can test an IBAN against it",
        ),
        PersonalField("topic", "intake.applicant-contacts.v1", "email", "contact", _REGISTER, "sealed", _SEALED_TOPIC),
        PersonalField(
            "topic", "intake.applicant-contacts.v1", "full_name", "identity", _REGISTER, "sealed", _SEALED_TOPIC
        ),
        PersonalField(
            "topic", "intake.applicant-contacts.v1", "iban_last4", "pseudonymous", _REGISTER, "topic", _RETAINED
        ),
        PersonalField(
            "topic", "privacy.claim-keys.v1", "keys", "pseudonymous", "seal the claims' data", "key", "announced null"
        ),
        PersonalField(
            "topic",
            "privacy.access-responses.v1",
            "records.fields",
            "contact",
            "answer a person's access request (article 15)",
            "access_request",
            "topic retention (one day)",
        ),
        PersonalField(
            "topic", "privacy.erased.v1", "requested_by", "staff", "say who asked an erasure", "topic", _RETAINED
        ),
        # The dead letters intake writes: the portals' records as sent, on the shared topic's and each door's.
        *_claim("topic", "claims.submitted.v1.dlq", "claim.", _AS_SENT, _AS_SENT),
        *_claim("topic", "portals.<portal>.claims.submitted.v1.dlq", "claim.", _AS_SENT, _AS_SENT),
    ),
)
