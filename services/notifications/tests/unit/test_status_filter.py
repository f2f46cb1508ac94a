"""Statuses that mail nobody are skipped before the contract check; anything doubtful still gets that check."""

import json

from guichet_common.records import InboundRecord
from guichet_notifications.handlers import NotificationsHandlers

HANDLERS = NotificationsHandlers(email_statuses=frozenset({"refused", "payment_sent"}))


def record(value: object) -> InboundRecord:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return InboundRecord("claims.status.v1", 0, 0, b"k", raw)


def test_a_valid_status_that_mails_nobody_is_skipped() -> None:
    assert not HANDLERS.may_mail(record({"status": "received"}))
    assert HANDLERS.decode_status(record({"status": "received"})) is None


def test_a_status_that_mails_goes_on() -> None:
    assert HANDLERS.may_mail(record({"status": "payment_sent"}))


def test_an_unknown_status_or_unreadable_value_goes_on_to_be_dead_lettered() -> None:
    assert HANDLERS.may_mail(record({"status": "bogus"}))
    assert HANDLERS.may_mail(record({"status": ["received"]}))
    assert HANDLERS.may_mail(record([1, 2]))
    assert HANDLERS.may_mail(record(b"not json"))
