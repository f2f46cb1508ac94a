"""The data inventory: each service declares, in code, the personal fields it stores and publishes.

`docs/privacy.md` (the GDPR article 30 register) is generated from these declarations
(`python -m guichet_deploy.privacy_register`), and tests fail when a column or a contract field that holds personal
data is not declared (tests/architecture/test_privacy_inventory.py). A declaration says where the field is, what it
is, why it is kept, on which legal basis, which retention rule applies, and what the rule does to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Category = Literal[
    "identity",  # a person's name (a manager, an account holder, a sole trader's firm named after them)
    "contact",  # e-mail address, phone number, postal address of a sole trader
    "bank",  # IBAN, BIC
    "correspondence",  # e-mails written to a person
    "pseudonymous",  # a keyed hash or the last digits of an identifier: personal data still, not readable
    "staff",  # the agency's own people: logins, names of accounts
]
Place = Literal["table", "topic", "file", "log"]

# The retention rules a declaration names; docs/privacy.md says what each one means and where it is set.
RetentionRule = Literal[
    "contact",  # programme file: [retention] contact_months_after_final
    "bank",  # programme file: [retention] bank_months_after_payment_final
    "accounting",  # programme file: [retention] accounting_years (records without personal data)
    "topic",  # the topic's retention.ms (guichet_common.topics)
    "sealed",  # on an internal topic, sealed: unreadable once the claim's key is destroyed (contact or bank rule)
    "key",  # a data key: destroyed with the data it opens
    "access_request",  # a subject-access answer: one day on its topic, until delivered in the back-office
    "staff_account",  # a staff account: while the person works the programme (the agency's own rule)
    "logs",  # service logs: the platform's log retention (docs/privacy.md, "Logs and files")
]

LEGAL_BASIS_PUBLIC_TASK = "public task (GDPR art. 6(1)(e)): décret 2021-69, the grant's instruction and payment"
LEGAL_BASIS_LEGAL_OBLIGATION = "legal obligation (GDPR art. 6(1)(c)): public accounting (décret 2012-1246)"


@dataclass(frozen=True)
class PersonalField:
    place: Place
    name: str  # the table, topic or file pattern
    field: str  # the column, or the JSON path in a record or a column ("payload.contact.email")
    category: Category
    purpose: str
    retention: RetentionRule
    treatment: str  # what the rule does to it: "erased", "pseudonymised", "sealed", "topic retention", ...
    legal_basis: str = LEGAL_BASIS_PUBLIC_TASK

    @property
    def where(self) -> str:
        return f"{self.place} {self.name}"


@dataclass(frozen=True)
class Inventory:
    """One service's (or tool's) declarations."""

    service: str
    fields: tuple[PersonalField, ...]

    def declares(self, place: Place, name: str, field: str) -> bool:
        return any(f.place == place and f.name == name and f.field == field for f in self.fields)
