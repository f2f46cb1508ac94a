"""Statuses that mail nobody are read at a glance (what the retention clock needs of them) before the contract
check; anything doubtful, or a status that mails someone, still gets that check."""

import datetime as dt
import json

from guichet_common.records import InboundRecord
from guichet_notifications.handlers import NotificationsHandlers, SeenStatus

HANDLERS = NotificationsHandlers(email_statuses=frozenset({"refused", "payment_sent"}))
AT = "2021-03-02T10:00:00Z"


def record(value: object) -> InboundRecord:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return InboundRecord("claims.status.v1", 0, 0, b"k", raw)


def test_a_valid_status_that_mails_nobody_is_read_at_a_glance() -> None:
    seen = HANDLERS.glance(record({"status": "paid", "claim_id": "C-1", "programme": "p", "occurred_at": AT}))
    assert seen == SeenStatus("C-1", "p", "paid", dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC))


def test_a_status_that_mails_is_not_read_at_a_glance() -> None:
    assert (
        HANDLERS.glance(record({"status": "refused", "claim_id": "C-1", "programme": "p", "occurred_at": AT})) is None
    )


def test_an_unknown_status_or_unreadable_value_goes_on_to_the_contract_check() -> None:
    complete = {"claim_id": "C-1", "programme": "p", "occurred_at": AT}
    assert HANDLERS.glance(record(complete | {"status": "bogus"})) is None
    assert HANDLERS.glance(record(complete | {"status": ["received"]})) is None
    assert HANDLERS.glance(record(complete | {"status": "paid", "occurred_at": "2021-03-02T10:00:00"})) is None
    assert HANDLERS.glance(record(complete | {"status": "paid", "occurred_at": "yesterday"})) is None
    assert HANDLERS.glance(record({"status": "paid", "programme": "p", "occurred_at": AT})) is None
    assert HANDLERS.glance(record([1, 2])) is None
    assert HANDLERS.glance(record(b"not json")) is None
