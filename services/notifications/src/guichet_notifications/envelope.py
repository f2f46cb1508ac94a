"""One owed e-mail as it goes on the wire. Its headers hold configured text (sender, programme name, the fixed
phrase of its kind, the Message-ID domain) and two values from outside checked against a strict pattern first: the
recipient's address and the claim reference (or, failing that, the e-mail's own number). Whatever fails a check
raises `UnsendableEmail` before anything is sent, and the sender sets that one e-mail aside."""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.message import EmailMessage

from guichet_common.safe_text import has_unsafe_characters
from guichet_notifications import domain
from guichet_notifications.reason_texts import french_sentences

# One address, no display name, no header specials, no white space of any kind (CR/LF included).
_ADDRESS = re.compile(r"[^\s\"(),:;<>@\[\\\]]{1,64}@[^\s\"(),:;<>@\[\\\]]{1,189}\Z")


class UnsendableEmail(ValueError):
    """This e-mail cannot be written safely; the others can."""


def recipient(address: str) -> str:
    if not _ADDRESS.match(address) or has_unsafe_characters(address):
        raise UnsendableEmail("recipient address unfit for a header (white space, control or special characters)")
    return address


def programme_name(programme: str, names: Mapping[str, str]) -> str:
    """The programme's configured name; never the applicant's own text for a programme we do not run."""
    return names.get(programme, domain.UNKNOWN_PROGRAMME_NAME)


def build(
    email: domain.DueEmail, names: Mapping[str, str], *, mail_from: str, message_id_domain: str
) -> tuple[EmailMessage, str]:
    """The message for one e-mail taken for sending, and its Message-ID."""
    if not domain.is_kind(email.kind):
        raise UnsendableEmail("no e-mail text for this status")
    letter = domain.compose(
        domain.Occasion(
            kind=email.kind,
            claim_id=email.claim_id,
            programme_name=programme_name(email.programme, names),
            full_name=email.full_name,
            reasons=email.reasons,
            amount_cents=email.amount_cents,
            iban_last4=email.iban_last4 if email.iban_last4 and email.iban_last4.isalnum() else None,
            details=email.details,
        ),
        french_sentences(),
    )
    message_id = domain.message_id(email.claim_id, email.kind, message_id_domain, email.id)
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = recipient(email.email)
    message["Subject"] = letter.subject
    message["Message-ID"] = message_id
    message.set_content(letter.body)
    return message, message_id
