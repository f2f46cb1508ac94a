"""What the operators' console writes that holds personal data (files on an operator's machine or a shared folder),
for the register (docs/privacy.md) beside the services' own declarations.

Not here because they hold none: `guichet finance reconcile --out` (per programme, batch and payment: amounts,
dates, ids, no IBAN and no name), `guichet report --html` (figures), `trace` (an IBAN's last four characters at
most, and "effacé le" once erased).
"""

from __future__ import annotations

from guichet_common.privacy.inventory import LEGAL_BASIS_PUBLIC_TASK, Category, Inventory, PersonalField

EXPORT = "export-<request id>.json and .html (guichet privacy export --out DIR)"
BANK_FILES = "PAYMENTS_INBOUND_DIR/<sha256>-<name> (guichet finance import: the bank's pain.002, camt.054, camt.053)"
ANSWER = "the answer to a person's subject-access request (GDPR art. 15)"
LEGAL_OBLIGATION_ART_15 = "legal obligation (GDPR art. 6(1)(c)): answering the person's request (art. 15)"
HANDED_OVER = "written readable by the operator alone (mode 600); deleted by the operator once handed to the person"


def _export(field: str, category: Category) -> PersonalField:
    return PersonalField(
        place="file",
        name=EXPORT,
        field=field,
        category=category,
        purpose=ANSWER,
        retention="access_request",
        treatment=HANDED_OVER,
        legal_basis=LEGAL_OBLIGATION_ART_15,
    )


INVENTORY = Inventory(
    service="console",
    fields=(
        _export("parts[].records[].fields (contact: email, full_name, phone, address)", "contact"),
        _export("parts[].records[].fields (names: manager, account holder, sole trader)", "identity"),
        _export("parts[].records[].fields (bank: iban, bic)", "bank"),
        _export("parts[].records[].fields (e-mails sent: recipient, subject, body)", "correspondence"),
        PersonalField(
            place="file",
            name=BANK_FILES,
            field="creditor's name and IBAN of a returned or reported transfer",
            category="bank",
            purpose="matching the bank's reports to the payments (settled, returned) and the accounts",
            retention="bank",
            treatment="read by payments, which keeps only what its tables declare; the file itself stays in the"
            " folder for the platform's file retention (docs/privacy.md, Logs and files)",
            legal_basis=LEGAL_BASIS_PUBLIC_TASK,
        ),
    ),
)
