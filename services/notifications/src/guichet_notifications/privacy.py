"""The personal data notifications stores and publishes (docs/privacy.md is generated from `INVENTORY`)."""

from __future__ import annotations

from guichet_common.privacy.inventory import Inventory, PersonalField

_WRITE = "writing to the applicant about their claim (its statuses)"

INVENTORY = Inventory(
    "notifications",
    (
        PersonalField("table", "contacts", "email", "contact", _WRITE, "contact", "erased (NULL)"),
        PersonalField("table", "contacts", "full_name", "identity", _WRITE, "contact", "erased (NULL)"),
        PersonalField(
            "table", "contacts", "iban_last4", "pseudonymous", "telling where a payment went", "bank", "erased (NULL)"
        ),
        PersonalField(
            "table",
            "emails",
            "last_error",
            "correspondence",
            "why an e-mail could not be sent (addresses masked)",
            "contact",
            "erased (NULL); unsent e-mails become 'unaddressed'",
        ),
        PersonalField(
            "table",
            "privacy_keys",
            "wrapped_key",
            "pseudonymous",
            "opening the claims' sealed contacts",
            "key",
            "destroyed with the data it opens",
        ),
        PersonalField(
            "table",
            "privacy_requests",
            "requested_by",
            "staff",
            "accountability for each decision on a person's request to erase",
            "accounting",
            "kept (no applicant data in it)",
        ),
        PersonalField(
            "topic",
            "notifications.emails.v1",
            "recipient",
            "contact",
            "the back-office's list of e-mails sent",
            "sealed",
            "sealed (kind contact)",
        ),
        PersonalField(
            "topic",
            "privacy.access-responses.v1",
            "records",
            "correspondence",
            "answering a person's subject-access request",
            "access_request",
            "topic retention",
        ),
    ),
)
