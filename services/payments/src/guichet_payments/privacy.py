"""The personal data payments stores, publishes and writes to disk (the register, docs/privacy.md, is generated from
`INVENTORY`). Bank data is erased at the programme's `bank_months_after_payment_final` after notifications announces
it and intake destroys the claim's bank key (`erasure`); accounting rows stay, pseudonymised."""

from __future__ import annotations

from guichet_common.privacy.inventory import LEGAL_BASIS_LEGAL_OBLIGATION, Category, Inventory, PersonalField, Place

_PAY = "pay the grant by SEPA credit transfer to the account the applicant gave"
_ACCOUNTS = "keep the payment's accounting record (public accounting)"
_PSEUDONYMISED = "set to NULL when the claim's bank data is erased; the row's accounting fields stay"
_SEALED = "sealed under the claim's bank key: unreadable once intake and payments destroy it"
_WAITING = _SEALED + " (in clear before sealing: NULL)"


def _bank(
    place: Place, name: str, field: str, category: Category, treatment: str, purpose: str = _PAY
) -> PersonalField:
    return PersonalField(place, name, field, category, purpose, "bank", treatment)


INVENTORY = Inventory(
    service="payments",
    fields=(
        _bank("table", "payment_attempts", "beneficiary_name", "identity", _PSEUDONYMISED),
        _bank("table", "payment_attempts", "iban", "bank", _PSEUDONYMISED),
        _bank("table", "payment_attempts", "bic", "bank", _PSEUDONYMISED),
        _bank("table", "waitlist", "decision.beneficiary_name", "identity", _WAITING),
        _bank("table", "waitlist", "decision.iban", "bank", _WAITING),
        _bank("table", "waitlist", "decision.bic", "bank", _WAITING),
        _bank(
            "table",
            "waitlist",
            "iban_fingerprint",
            "pseudonymous",
            _PSEUDONYMISED + " (a keyed hash of the IBAN)",
            "refuse new bank details naming another waiting company's account (IBAN_SHARED)",
        ),
        _bank(
            "table",
            "bank_entries",
            "iban",
            "bank",
            _PSEUDONYMISED + " (an entry matched to none of the claim's attempts keeps it: it names no claim)",
            "match the bank's reports to the transfers",
        ),
        PersonalField(
            "table",
            "payments",
            "siren",
            "identity",
            _ACCOUNTS + " (a sole trader's SIREN identifies a person)",
            "accounting",
            "kept for the accounting period",
            LEGAL_BASIS_LEGAL_OBLIGATION,
        ),
        PersonalField(
            "table", "privacy_keys", "wrapped_key", "pseudonymous", "open the claims' bank data", "key", "destroyed"
        ),
        _bank("topic", "payments.issued.v1", "beneficiary_name", "identity", "topic retention (in clear by contract)"),
        _bank("topic", "payments.issued.v1", "iban", "bank", "topic retention (in clear by contract)"),
        _bank("topic", "payments.issued.v1", "bic", "bank", "topic retention (in clear by contract)"),
        PersonalField(
            "topic",
            "payments.sepa-files.v1",
            "content_gzip_base64",
            "bank",
            "let finance download the SEPA file from the back-office",
            "sealed",
            "sealed under the batch's key, destroyed once every claim of the batch is erased",
        ),
        PersonalField(
            "topic",
            "privacy.claim-keys.v1",
            "keys",
            "pseudonymous",
            "let the back-office open a SEPA file",
            "key",
            "announced destroyed (null) once every claim of the batch is erased",
        ),
        _bank(
            "file",
            "PAYMENTS_FILES_DIR/<batch>.xml (and sent/<batch>.xml)",
            "Cdtr/Nm, CdtrAcct/IBAN, CdtrAgt/BIC",
            "bank",
            "deleted once every claim of the batch is erased; the batch row and the manifest keep its name, size,"
            " sha256 and totals",
        ),
        PersonalField(
            "file",
            "PAYMENTS_FILES_DIR/<batch>.control.csv, .control.html",
            "IBAN (masqué)",
            "pseudonymous",
            "let the accountant tick each transfer off against the bank's statement",
            "accounting",
            "kept: no name, IBANs masked to their country code (FR**…), EndToEndId, claim reference, amount, BIC",
            LEGAL_BASIS_LEGAL_OBLIGATION,
        ),
        PersonalField(
            "file",
            "PAYMENTS_INBOUND_DIR/imported/ (the bank's pain.002, camt.053, camt.054)",
            "counterparty names and IBANs as the bank writes them",
            "bank",
            "match the bank's reports to the transfers",
            "bank",
            "kept as received: the platform's retention of the folder (docs/privacy.md, Logs and files)",
        ),
    ),
)
