"""A dead letter as the API answers `GET /api/v1/dead-letters/{letter_id}`: the read model's view, its key, headers
and payload masked as the dead-letter page masks them, unless the person asked (and the audit trail recorded it).

Pure: no I/O. The payload is the JSON value when the record's value is JSON, else its text (bytes that are not
UTF-8 written `\\xNN`); header values are printable text already (read_views). The reason is masked either way,
as on the page: it is the service's message, not the record.
"""

from __future__ import annotations

import json
from typing import Any

from guichet_backoffice.read_views import DeadLetterView
from guichet_common.logging import mask_personal_data, mask_text


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def payload(value: bytes, *, unmasked: bool) -> Any:
    try:
        parsed = json.loads(value)
    except ValueError:  # not JSON, or not UTF-8
        return _text(value) if unmasked else mask_text(_text(value))
    # The logs' masking, as on the page: personal-name keys, IBAN- and e-mail-shaped text, at any depth.
    return parsed if unmasked else mask_personal_data(None, "", {"payload": parsed})["payload"]


def dead_letter_json(letter: DeadLetterView, *, unmasked: bool) -> dict[str, Any]:
    shown = (lambda text: text) if unmasked else mask_text
    return {
        "id": letter.id,
        "service": letter.service,
        "original_topic": letter.original_topic,
        "original_partition": letter.original_partition,
        "original_offset": letter.original_offset,
        "reason": mask_text(letter.reason),
        "attempts": letter.attempts,
        "dead_lettered_at": letter.dead_lettered_at.isoformat(),
        "state": letter.state,
        "acted_by": letter.acted_by,
        "acted_at": letter.acted_at.isoformat() if letter.acted_at else None,
        "key": None if letter.key is None else shown(_text(letter.key)),
        "headers": [[name, shown(value)] for name, value in letter.headers],
        "payload": payload(letter.payload, unmasked=unmasked),
        "unmasked": unmasked,
    }
