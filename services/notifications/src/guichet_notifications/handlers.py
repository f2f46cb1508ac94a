"""notifications' subscribers: contacts and status changes in; e-mails out through the SMTP sender."""

from __future__ import annotations

from guichet_common.contracts import ApplicantContactV1, ClaimStatusV1
from guichet_common.contracts.internal import APPLICANT_CONTACTS_TOPIC
from guichet_common.contracts.status import TOPIC as CLAIMS_STATUS
from guichet_common.runtime import Wiring
from guichet_common.safe_text import has_unsafe_characters
from guichet_notifications import status_repository
from guichet_notifications.domain import KINDS
from guichet_notifications.sender import EmailSender, SmtpSettings
from guichet_notifications.service import NotificationsService
from guichet_notifications.settings import NotificationsSettings
from guichet_programme import load_programmes


def register_handlers(wiring: Wiring) -> None:
    settings = wiring.settings
    assert isinstance(settings, NotificationsSettings)
    unknown = settings.email_status_set() - KINDS
    if unknown:
        raise ValueError(f"NOTIFICATIONS_EMAIL_STATUSES names statuses with no e-mail text: {sorted(unknown)}")
    names = {p.id: p.name for p in load_programmes(settings.programmes_dir).values()}
    # Programme names go into e-mail subjects: configured text, but checked like any header value all the same.
    unsafe = sorted(programme for programme, name in names.items() if has_unsafe_characters(name))
    if unsafe:
        raise ValueError(f"programme names with control characters cannot head an e-mail: {unsafe}")
    service = NotificationsService(programme_names=names, email_statuses=settings.email_status_set())
    wiring.subscribe(
        APPLICANT_CONTACTS_TOPIC,
        service.apply_contacts,
        payload=ApplicantContactV1,
        description="Applicants' contact details",
    )
    wiring.subscribe(
        CLAIMS_STATUS,
        service.apply_statuses,
        payload=ClaimStatusV1,
        description="Status changes that owe the applicant a mail",
    )
    wiring.figures.stage = status_repository.stage_figures
    sender = EmailSender(wiring.pool, SmtpSettings(settings.smtp_host, settings.smtp_port, settings.mail_from), names)
    wiring.run_in_background(sender.run)
