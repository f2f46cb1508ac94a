"""A SEPA batch's data key: its pain.001 (names, IBANs) crosses `payments.sepa-files.v1` sealed under a key of its
own (kind `bank`, subject `batch-<batch id>`), which payments makes, keeps wrapped in its key ring and announces on
`privacy.claim-keys.v1` (owner "payments") before the file, for the back-office to open it. Once every claim of the
batch has had its bank data erased, the key is destroyed and announced destroyed: every copy of the file on the
topic, its replicas and backups becomes unreadable (crypto-shredding)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re

from guichet_common.contracts.privacy import CLAIM_KEYS_TOPIC, ClaimKeysV1
from guichet_common.outbox import OutboxMessage
from guichet_common.privacy.keyring import Sealer
from guichet_common.privacy.sealing import DEVELOPMENT_MASTER_KEY, MasterKey

KIND = "bank"
# ClaimKeysV1's subject: letters, digits and dashes. Batch ids payments makes fit (`domain.new_batch_id`); the
# outbound folder also allows "." and "_", so an id with those is named by a digest instead.
_SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{1,79}")


def batch_subject(batch_id: str) -> str:
    subject = f"batch-{batch_id}"
    if _SUBJECT.fullmatch(subject):
        return subject
    return "batch-" + hashlib.sha256(batch_id.encode()).hexdigest()[:40]


def development_sealer() -> Sealer:
    """For tests and a developer's machine; the service passes the one made from its settings' master key."""
    return Sealer(MasterKey(DEVELOPMENT_MASTER_KEY))


def key_announcement(topic_prefix: str, subject: str, wrapped: bytes | None, at: dt.datetime) -> OutboxMessage:
    """ClaimKeysV1 of a batch: its key wrapped (base64), or null once destroyed. Key: the subject."""
    event = ClaimKeysV1.model_validate(
        {
            "subject": subject,
            "owner": "payments",
            "keys": {KIND: None if wrapped is None else base64.b64encode(wrapped).decode("ascii")},
            "occurred_at": at,
        },
        strict=False,
    )
    return OutboxMessage.of_event(topic_prefix + CLAIM_KEYS_TOPIC, subject, event)
