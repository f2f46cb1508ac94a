"""What the gateway holds of applicants' personal data, and what it does with a person's rights over it.

The gateway keeps no contact or bank value: a post's body goes to the outbox (deleted by the relay once published)
and only its digest stays, for idempotency, keyed by the master key (guichet_gateway.digests). What a portal posted
stays readable on the contract topics it was published on (plaintext by contract, bounded retention), never in the
gateway's tables. So erasing a claim's contact or bank data here is recording that it is erased (intake's
`privacy.erased.v1`, followed), which GET /v1/claims/{id} then says, and a replayed identical post still gets its
first answer (see `service`).

`INVENTORY` is what the register (docs/privacy.md) is generated from; `NOT_PERSONAL` says why columns whose names
look personal are not applicants' data.
"""

from __future__ import annotations

from guichet_common.privacy.inventory import Inventory, PersonalField

_SUBMITTED = "claims.submitted.v1"
_BANK_DETAILS = "claims.bank-details.v1"
_POSTED = "what a portal posts over HTTP, published for intake (plaintext: the portals' contract)"
_TOPIC_RETENTION = "topic retention (plaintext by contract)"
_OUTBOX = (
    "deleted by the relay once published (seconds); a row the broker refuses is held until an operator releases"
    " or cancels it"
)

_KEYED_DIGEST = (
    "kept, keyed by the master key (a plain SHA-256 written before is keyed at the claim's erasure): nobody without"
    " the key can test a guessed body, and a replayed post still publishes nothing again"
)

INVENTORY = Inventory(
    service="gateway",
    fields=(
        # Published: the portals' contract topics, the same the Kafka portals write.
        PersonalField("topic", _SUBMITTED, "claim.contact.full_name", "identity", _POSTED, "topic", _TOPIC_RETENTION),
        PersonalField("topic", _SUBMITTED, "claim.contact.email", "contact", _POSTED, "topic", _TOPIC_RETENTION),
        PersonalField("topic", _SUBMITTED, "claim.contact.phone", "contact", _POSTED, "topic", _TOPIC_RETENTION),
        PersonalField(
            "topic", _SUBMITTED, "claim.applicant.legal_name", "identity", _POSTED, "topic", _TOPIC_RETENTION
        ),
        PersonalField("topic", _SUBMITTED, "claim.applicant.address", "contact", _POSTED, "topic", _TOPIC_RETENTION),
        PersonalField("topic", _SUBMITTED, "claim.bank_account.iban", "bank", _POSTED, "topic", _TOPIC_RETENTION),
        PersonalField("topic", _SUBMITTED, "claim.bank_account.bic", "bank", _POSTED, "topic", _TOPIC_RETENTION),
        PersonalField(
            "topic", _SUBMITTED, "claim.bank_account.holder_name", "identity", _POSTED, "topic", _TOPIC_RETENTION
        ),
        PersonalField("topic", _BANK_DETAILS, "iban", "bank", _POSTED, "topic", _TOPIC_RETENTION),
        PersonalField("topic", _BANK_DETAILS, "bic", "bank", _POSTED, "topic", _TOPIC_RETENTION),
        PersonalField("topic", _BANK_DETAILS, "holder_name", "identity", _POSTED, "topic", _TOPIC_RETENTION),
        # Stored: the events above wait in the outbox until the relay has published them.
        PersonalField("table", "outbox", "value", "contact", "the posted events until published", "topic", _OUTBOX),
        PersonalField("table", "outbox", "value", "bank", "the posted events until published", "topic", _OUTBOX),
        # A posted body's digest (contact and bank details included): opens nothing, but derived from them.
        PersonalField(
            "table",
            "claims",
            "body_sha256",
            "pseudonymous",
            "idempotency: the same post again gets its first answer, another body under the claim_id a conflict",
            "accounting",
            _KEYED_DIGEST,
        ),
        PersonalField(
            "table",
            "bank_details_posts",
            "body_sha256",
            "pseudonymous",
            "idempotency of bank-details posts",
            "accounting",
            _KEYED_DIGEST,
        ),
        # The agency's own people: who asked for a webhook to be sent again (accountability of an operator action).
        PersonalField(
            "table",
            "webhook_deliveries",
            "redelivery_by",
            "staff",
            "who asked the pending redelivery",
            "staff_account",
            "cleared when the attempt is journaled",
        ),
        PersonalField(
            "table",
            "webhook_attempts",
            "redelivery_by",
            "staff",
            "who asked an attempt (operators' journal)",
            "staff_account",
            "kept with the journal",
        ),
    ),
)

# (table, column): why it is not an applicant's personal data, though its name may look so.
NOT_PERSONAL: dict[tuple[str, str], str] = {
    ("portals", "name"): "a portal's name: an organisation's system (a CCI, an accountants' platform), not a person",
    ("portals", "webhook_url"): "the portal's HTTPS endpoint, an organisation's address, not a person's",
    ("portals", "webhook_secret"): "the portal's signing secret: a credential, no data about anyone",
    ("statuses", "payload"): "claims.status.v1 as published: ids, SIREN, status, reasons, amounts; no contact or bank",
    ("webhook_attempts", "error"): "the receiver's transport error or HTTP status, never a body",
}
