"""Pure parts of `guichet dlq`: ids as operators type them, states, ages, masking and the JSON shapes.

Ids are shown without the deployment's topic prefix (`claims.submitted.v1.dlq:0:12`); both forms are accepted.

`dlq list --json`: a list of {id, topic, original, reason, attempts, timestamp, age, state, operator, action_reason,
acted_at}; `state` is waiting | replayed | discarded | unknown (owner's database unreachable).
`dlq show --json`: the same keys plus key, headers ([name, value] pairs) and payload (the JSON value, or text),
masked unless --unmasked. `dlq show --unmasked` reads the back-office's API instead (`from_backoffice`): same
keys, but action_reason is null (the back-office's read model keeps who acted and when, not why) and a header
without a value is "".

Everything in a dead letter came from outside. The text views (`list_table`, `show_lines`) escape control,
separator and bidi characters and hand rich `Text`, never markup; the JSON views keep the data, escaped by
`json_text` when printed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from rich.table import Table

from guichet_common.logging import mask_personal_data, mask_text
from guichet_console.dead_letters import DeadLetter, DeadLetterAction, DeadLetterId
from guichet_console.report_format import json_text, outside, shown

LIST_COLUMNS = ("id", "original", "reason", "attempts", "age", "state")


def parse_id(text: str, prefix: str) -> DeadLetterId:
    """An id as typed, with or without the deployment's prefix; raises ValueError."""
    parsed = DeadLetterId.parse(text)
    if prefix and not parsed.topic.startswith(prefix):
        return DeadLetterId(prefix + parsed.topic, parsed.partition, parsed.offset)
    return parsed


def display_id(dead_letter_id: DeadLetterId, prefix: str) -> str:
    return str(dead_letter_id).removeprefix(prefix)


def topic_filter(text: str | None, prefix: str) -> str | None:
    """The unprefixed original topic an operator means by `--topic` (the .dlq name or the original, either way)."""
    if not text:
        return None
    return text.removeprefix(prefix).removesuffix(".dlq") if prefix else text.removesuffix(".dlq")


def state_of(action: DeadLetterAction | None, known: bool) -> str:
    if not known:
        return "unknown"
    return "waiting" if action is None else action.action


def state_text(action: DeadLetterAction | None, known: bool) -> str:
    if action is not None:
        return f"{action.action} by {action.operator}"
    return "waiting" if known else "unknown (owner's database unreachable)"


def age(timestamp_ms: int, now: dt.datetime) -> str:
    seconds = max(0, int(now.timestamp() - timestamp_ms / 1000))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {seconds}s" if minutes else f"{seconds}s"


def summary_json(
    dead: DeadLetter, action: DeadLetterAction | None, known: bool, prefix: str, now: dt.datetime
) -> dict[str, Any]:
    return {
        "id": display_id(dead.id, prefix),
        "topic": dead.id.topic.removeprefix(prefix),
        "original": dead.original_coordinates.removeprefix(prefix),
        "reason": mask_text(dead.reason),
        "attempts": dead.attempts,
        "timestamp": dt.datetime.fromtimestamp(dead.timestamp_ms / 1000, dt.UTC).isoformat(),
        "age": age(dead.timestamp_ms, now),
        "state": state_of(action, known),
        "operator": action.operator if action else None,
        "action_reason": action.reason if action else None,
        "acted_at": action.acted_at.isoformat() if action else None,
    }


def detail_json(
    dead: DeadLetter,
    action: DeadLetterAction | None,
    known: bool,
    prefix: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """Masked always: an unmasked read goes through the back-office, which records it (`from_backoffice`)."""
    return {
        **summary_json(dead, action, known, prefix, now),
        "key": None if dead.key is None else mask_text(dead.key.decode("utf-8", "replace")),
        "headers": [
            [name, None if value is None else mask_text(value.decode("utf-8", "replace"))]
            for name, value in dead.headers
        ],
        "payload": payload(dead.value),
    }


def payload(value: bytes | None) -> Any:
    """The dead letter's value: parsed JSON when it is JSON, else text; personal data masked."""
    if value is None:
        return None
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return mask_text(value.decode("utf-8", "replace"))
    # The logs' masking: personal-name keys, IBAN- and e-mail-shaped text, at any depth.
    return mask_personal_data(None, "", {"payload": parsed})["payload"]


def from_backoffice(letter: dict[str, Any], prefix: str, now: dt.datetime) -> dict[str, Any]:
    """The back-office's answer to GET /api/v1/dead-letters/{id} in `dlq show --json`'s shape."""
    topic = str(letter.get("id", "")).rsplit(":", 2)[0]
    dead_lettered_at = dt.datetime.fromisoformat(str(letter["dead_lettered_at"]))
    original = [letter.get("original_topic"), letter.get("original_partition"), letter.get("original_offset")]
    return {
        "id": str(letter["id"]).removeprefix(prefix),
        "topic": topic.removeprefix(prefix),
        "original": ":".join("?" if part is None else str(part) for part in original).removeprefix(prefix),
        "reason": letter.get("reason"),
        "attempts": letter.get("attempts"),
        "timestamp": dead_lettered_at.isoformat(),
        "age": age(int(dead_lettered_at.timestamp() * 1000), now),
        "state": letter.get("state"),
        "operator": letter.get("acted_by"),
        "action_reason": None,
        "acted_at": letter.get("acted_at"),
        "key": letter.get("key"),
        "headers": letter.get("headers") or [],
        "payload": letter.get("payload"),
    }


def backoffice_lines(detail: dict[str, Any]) -> list[str]:
    """`dlq show --unmasked` for people, from `from_backoffice`'s shape: every unsafe character escaped."""
    state = outside(detail["state"]) + (f" by {outside(detail['operator'])}" if detail.get("operator") else "")
    lines = [f"{outside(detail['id'])}  ({state})"]
    lines += [f"  {label:<10} {outside(detail[label])}" for label in ("original", "reason", "attempts", "timestamp")]
    lines.append(f"  {'key':<10} {'(null)' if detail['key'] is None else outside(detail['key'])}")
    lines.append("  headers")
    lines += [f"    {outside(name)}: {outside(value)}" for name, value in detail["headers"]]
    lines.append("  payload")
    parsed = detail["payload"]
    # A JSON object or array is laid out; text (a payload that is not JSON) on one line, its breaks escaped.
    lines.append(json_text(parsed) if isinstance(parsed, dict | list) else outside(parsed))
    return lines


def list_table(rows: list[dict[str, Any]], states: list[str]) -> Table:
    """`dlq list` for people: `summary_json` rows with their `state_text`, every cell a Text, escaped."""
    table = Table(title=f"{len(rows)} dead letter(s)", title_justify="left")
    for column in LIST_COLUMNS:
        table.add_column(column, overflow="fold")
    for row, state in zip(rows, states):
        cells = (row["id"], row["original"], outside(row["reason"], 80), row["attempts"] or "", row["age"], state)
        table.add_row(*(shown(cell) for cell in cells))
    return table


def show_lines(dead: DeadLetter, detail: dict[str, Any], state: str) -> list[str]:
    """`dlq show` for people, as plain lines: key, header values and a payload that is not JSON are shown from the
    raw bytes, masked, every unsafe character escaped."""

    def raw(value: bytes | None) -> str:
        if value is None:
            return "(null)"
        return outside(mask_text(value.decode("utf-8", "backslashreplace")))

    lines = [f"{outside(detail['id'])}  ({outside(state)})"]
    lines += [f"  {label:<10} {outside(detail[label])}" for label in ("original", "reason", "attempts", "timestamp")]
    lines.append(f"  {'key':<10} {raw(dead.key)}")
    lines.append("  headers")
    lines += [f"    {outside(name)}: {raw(value)}" for name, value in dead.headers]
    lines.append("  payload")
    parsed = detail["payload"]  # a JSON object or array is laid out; text, a JSON string or nothing shown as is
    lines.append(raw(dead.value) if parsed is None or isinstance(parsed, str) else json_text(parsed))
    return lines
