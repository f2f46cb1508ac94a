"""The personal data the back-office stores and publishes (the register, docs/privacy.md, is generated from
`INVENTORY`).

The read model keeps *opened* copies of what caseworkers and finance must see (a claim's contact, the last four
characters of its IBAN, e-mail recipients, payment attempts' beneficiaries): it opens the sealed fields with its copy
of the claim's keys when it projects them, and empties them, destroys its key copy and says so when intake announces
an erasure (privacy_follower). SEPA files stay sealed under their batch's key and are opened at download time only.
Its own data about staff (accounts, tokens, sessions, the audit trail) follows the agency's rules.
"""

from __future__ import annotations

from guichet_common.privacy.inventory import Category, Inventory, PersonalField, RetentionRule

_REVIEW = "show caseworkers the claim they decide on, and who it was written to"
_FINANCE = "show finance the payments and the files sent to the bank"
_REQUESTS = "answer a person's request for their data (GDPR art. 15)"
_STAFF = "sign the agency's staff in, and record who did what (accountability, GDPR art. 5(2))"
_ERASED = "set to null when intake announces the erasure of that kind"
_EXPORT_KEPT = "deleted 30 days after the request, or when the claim's data is erased"
_KEYED = "copies of the claims' and batches' data keys, wrapped by the master key; destroyed with the data"


def _table(
    table: str, column: str, category: Category, purpose: str, rule: RetentionRule, treatment: str
) -> PersonalField:
    return PersonalField("table", table, column, category, purpose, rule, treatment)


INVENTORY = Inventory(
    service="backoffice",
    fields=(
        # The read model's copies of a claim, opened from intake.claims-registered.v1.
        _table("claims", "contact.full_name", "identity", _REVIEW, "contact", _ERASED),
        _table("claims", "contact.email", "contact", _REVIEW, "contact", _ERASED),
        _table("claims", "contact.phone", "contact", _REVIEW, "contact", _ERASED),
        _table("claims", "applicant.address", "contact", _REVIEW, "contact", "removed with the contact"),
        _table("claims", "applicant.legal_name", "identity", _REVIEW, "accounting", "kept: the company's name"),
        _table("claims", "company_name", "identity", _REVIEW, "accounting", "kept: the company's name"),
        _table("claims", "iban_last4", "pseudonymous", _REVIEW, "bank", _ERASED),
        _table("emails", "recipient", "contact", _REVIEW, "contact", _ERASED),
        _table("invoices", "supplier_name", "identity", _REVIEW, "accounting", "kept: a supplier's trade name"),
        _table("payment_attempts", "beneficiary_name", "identity", _FINANCE, "bank", _ERASED),
        _table("payment_attempts", "iban_last4", "pseudonymous", _FINANCE, "bank", _ERASED),
        _table("sepa_files", "content_sealed", "bank", _FINANCE, "sealed", "unreadable once payments destroys the key"),
        _table("sepa_files", "content_gzip", "bank", _FINANCE, "bank", "files written before sealing, as received"),
        _table("dead_letters", "value", "contact", _REVIEW, "contact", "blanked when the claim is erased"),
        _table("judgements", "rules.observed", "pseudonymous", _REVIEW, "accounting", "what eligibility observed"),
        _table("privacy_keys", "wrapped_key", "pseudonymous", _REVIEW, "key", _KEYED),
        # Subject-access requests asked through the privacy API, and the services' answers (in clear).
        _table("privacy_exports", "subject", "contact", _REQUESTS, "access_request", _EXPORT_KEPT),
        _table("privacy_access_responses", "records", "contact", _REQUESTS, "access_request", _EXPORT_KEPT),
        # The agency's staff.
        _table("accounts", "login", "staff", _STAFF, "staff_account", "kept while the account exists"),
        _table("accounts", "oidc_subject", "staff", _STAFF, "staff_account", "kept while the account exists"),
        _table("api_tokens", "login", "staff", _STAFF, "staff_account", "kept while the account exists"),
        _table("web_sessions", "login", "staff", _STAFF, "staff_account", "deleted when the session expires"),
        _table("audit_trail", "actor", "staff", _STAFF, "staff_account", "append-only: kept as the audit record"),
        _table("audit_trail", "reason", "staff", _STAFF, "staff_account", "append-only: names claims, not people"),
        _table("decisions", "requested_by", "staff", _STAFF, "staff_account", "kept with the decision"),
        _table("decisions", "seconded_by", "staff", _STAFF, "staff_account", "kept with the decision"),
        # What it publishes: the corrected contact field sent to intake, and who asked a person's request.
        PersonalField(
            "topic", "backoffice.intake-commands.v1", "rectification", "contact", _REQUESTS, "topic", "topic retention"
        ),
        *(
            PersonalField(
                "topic",
                f"backoffice.{service}-commands.v1",
                "requested_by",
                "staff",
                _STAFF,
                "topic",
                "topic retention",
            )
            for service in ("intake", "eligibility", "payments", "notifications", "gateway")
        ),
        PersonalField("topic", "privacy.erased.v1", "requested_by", "staff", _STAFF, "topic", "topic retention"),
    ),
)
