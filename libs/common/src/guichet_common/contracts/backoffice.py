"""The back-office's internal events: the commands it sends the owning services, what they answer, and the facts
the services publish so that the back-office can build its own read model without opening their databases.

Commands carry the authenticated identity of whoever asked (an account's login, never a free string typed at a
prompt) and the written reason. The back-office sends a command only once it is complete: when four eyes are
needed, `seconded_by` holds the second person, who is never the first. The owning service applies it through its
inbox (the command's `event_id`), once, and announces the outcome on `operations.command-outcomes.v1`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field

from guichet_common.contracts.base import Cents, Contract, Siren, Timestamp
from guichet_common.contracts.status import ClaimStatus

# backoffice -> eligibility
REVIEW_DECISIONS_TOPIC = "backoffice.review-decisions.v1"
# backoffice -> the service named in each command (every service reads it and applies its own)
OPERATOR_COMMANDS_TOPIC = "backoffice.operator-commands.v1"
# every service -> backoffice
COMMAND_OUTCOMES_TOPIC = "operations.command-outcomes.v1"
SET_ASIDE_TOPIC = "operations.set-aside.v1"
# one service each -> backoffice (read model)
JUDGEMENTS_TOPIC = "eligibility.judgements.v1"
BUDGETS_TOPIC = "payments.budgets.v1"
EMAILS_TOPIC = "notifications.emails.v1"

Login = Annotated[str, Field(min_length=1, max_length=100)]
WrittenReason = Annotated[str, Field(min_length=1, max_length=2000)]
ReasonCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")]


class ReviewDecisionV1(Contract):
    """A reviewed claim approved or rejected by a person. Key: the claim_id. `reasons` are the codes a rejection
    gives (empty: the codes that sent the claim to review)."""

    event_id: UUID  # the command's id: eligibility's inbox applies it once
    occurred_at: Timestamp
    claim_id: Annotated[str, Field(min_length=1, max_length=64)]
    decision: Literal["approve", "reject"]
    reasons: list[ReasonCode] = Field(default_factory=list)
    decided_by: Login
    seconded_by: Login | None = None
    reason: WrittenReason


OperatorAction = Literal[
    "dead_letter_replay",
    "dead_letter_discard",
    "set_aside_release",
    "set_aside_cancel",
    # A person's rights over their data (guichet_common.privacy), asked through the back-office: `claim_ids` are
    # the subject's claims (the back-office resolves an e-mail or a SIREN to them); `target` is the request's id.
    "privacy_export",  # every service answers on privacy.access-responses.v1
    "privacy_erase",  # notifications decides (refused while under review, control or payment), the rest follow
    "privacy_rectify",  # intake corrects its copy and announces the contact again; `rectification` holds the values
]
RectifiableField = Literal["email", "full_name", "phone"]


class OperatorCommandV1(Contract):
    """A dead letter replayed or discarded, or a set-aside item released or cancelled. Key: the target.

    `target` is a dead letter's id (`<topic>.dlq:<partition>:<offset>`) or a set-aside item's id, whose `kind`
    is then given. A blocked payment is the set-aside item of kind `payment_attempt` in payments."""

    event_id: UUID
    occurred_at: Timestamp
    service: Literal["intake", "eligibility", "payments", "notifications", "gateway"]
    action: OperatorAction
    target: Annotated[str, Field(min_length=1, max_length=300)]
    kind: Annotated[str, Field(max_length=64)] | None = None
    requested_by: Login
    seconded_by: Login | None = None
    reason: WrittenReason
    # Releasing a bank entry from payments' suspense list (kind `bank_entry`): the attempt it belongs to,
    # `<payment_id>:<attempt>`. Without it, payments matches the entry again by its own references.
    assign_to: Annotated[str, Field(min_length=3, max_length=80)] | None = None
    claim_ids: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=200)] = Field(
        default_factory=list
    )
    rectification: dict[RectifiableField, Annotated[str, Field(max_length=254)]] | None = None


class CommandOutcomeV1(Contract):
    """What the owning service did with a command. Key: the command's id."""

    event_id: UUID
    occurred_at: Timestamp
    command_id: UUID
    service: str
    outcome: Literal["applied", "refused"]
    detail: Annotated[str, Field(max_length=500)] = ""


class SetAsideV1(Contract):
    """An item a background job set aside, or an operator's decision on it. Key: `<service>:<kind>:<item_id>`."""

    event_id: UUID
    occurred_at: Timestamp
    service: str
    kind: str
    item_id: str
    state: Literal["held", "released", "cancelled"]
    reason: Annotated[str, Field(max_length=2000)] = ""
    decided_by: str | None = None


class RuleResultV1(Contract):
    code: str
    passed: bool
    observed: dict[str, Any] = Field(default_factory=dict)


class JudgementV1(Contract):
    """Every decision eligibility takes on a claim, with every rule's result and the values it saw. Key: claim_id."""

    event_id: UUID
    occurred_at: Timestamp
    claim_id: str
    programme: str
    siren: Siren
    status: ClaimStatus
    rule_version: str
    reasons: list[str]
    rules: list[RuleResultV1]
    grant_amount_cents: Cents | None = None
    decided_by: str | None = None  # a person's login for a review decision, None for the rules alone


class BudgetV1(Contract):
    """A programme's envelope after a change, in cents. Key: the programme (compacted: the latest wins)."""

    event_id: UUID
    occurred_at: Timestamp
    programme: str
    total_cents: Cents
    reserved_cents: Cents
    paid_cents: Cents
    released_cents: Cents
    waitlisted: Annotated[int, Field(ge=0)]


class EmailV1(Contract):
    """An e-mail notifications sent (or gave up on) about a claim. Key: the claim_id. The address is personal
    data: the back-office masks it unless a person asks to see it, and records that they did."""

    event_id: UUID
    occurred_at: Timestamp
    claim_id: str
    programme: str
    status: str  # the claim status the e-mail announces
    subject: Annotated[str, Field(max_length=300)]
    recipient: Annotated[str, Field(max_length=4000)]  # sealed (kind contact) since issue 18
    outcome: Literal["sent", "failed"]


SEPA_FILES_TOPIC = "payments.sepa-files.v1"


class SepaFileV1(Contract):
    """A pain.001 file payments wrote, whole, so that finance can download it from the back-office. Key: batch_id.
    `content_gzip_base64` is the file's bytes, gzip-compressed then base64-encoded (a file of the largest batch
    stays well under the broker's 1 MB record limit that way); `sha256` is of the uncompressed file."""

    event_id: UUID
    occurred_at: Timestamp
    batch_id: str
    programme: str | None = None
    file_name: Annotated[str, Field(max_length=200)]
    payments: Annotated[int, Field(ge=0)]
    total_cents: Cents
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    content_gzip_base64: str
