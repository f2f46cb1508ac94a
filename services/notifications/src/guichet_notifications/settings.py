from pydantic_settings import SettingsConfigDict

from guichet_common.settings import CommonSettings

# Which status changes earn the applicant an e-mail (one per claim and kind, ever).
DEFAULT_EMAIL_STATUSES = "refused,rejected,under_review,waitlisted,payment_sent,payment_returned"


class NotificationsSettings(CommonSettings):
    """Environment variables: the shared ones, plus NOTIFICATIONS_DATABASE_URL, NOTIFICATIONS_SMTP_HOST,
    NOTIFICATIONS_SMTP_PORT, NOTIFICATIONS_MAIL_FROM and NOTIFICATIONS_EMAIL_STATUSES (comma-separated)."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", frozen=True)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_from: str = "Guichet <ne-pas-repondre@guichet.invalid>"
    email_statuses: str = DEFAULT_EMAIL_STATUSES

    def email_status_set(self) -> frozenset[str]:
        return frozenset(s.strip() for s in self.email_statuses.split(",") if s.strip())
