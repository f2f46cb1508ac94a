"""structlog set-up: JSON off a terminal, and personal data masked in every line, stdlib loggers included."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

import orjson
import structlog

# An IBAN as people type it: any case, compact or split by one whitespace character (space, tab, no-break spaces)
# anywhere. Loose as that is, a match must hold at least 8 digits (every IBAN does) to be masked, so that words
# after something like "ab12" are left alone.
_IBAN = re.compile(r"(?<![^\W_])[A-Za-z]{2}[0-9]{2}(?:\s?[A-Za-z0-9]){11,30}(?![^\W_])")
_IBAN_MIN_DIGITS = 8
# An address in any script (RFC 6531): letters of any alphabet and their combining accents, the ASCII specials of a
# local part, any of the full stops IDN domains accept, a top-level domain of letters or punycode.
_ADDRESS_CHARACTER = r"[\w\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff!#$%&'*+/=?^`{|}~-]"
_DOT = r"[.\u3002\uff0e\uff61]"
_EMAIL = re.compile(
    rf"{_ADDRESS_CHARACTER}+(?:{_DOT}{_ADDRESS_CHARACTER}+)*[@\uff20]"
    rf"(?:[\w\u0300-\u036f-]+{_DOT})+(?:xn--[\w-]+|[^\W\d_]{{2,}})"
)
# Fields that hold a person's or account's identity whatever their content looks like.
_PERSONAL_KEYS = frozenset(
    {"iban", "email", "full_name", "holder_name", "beneficiary_name", "legal_name", "name", "phone", "recipient"}
)
MASK = "***"


def mask_text(text: str) -> str:
    """Replace anything shaped like an IBAN or an e-mail address in free text (error messages included), in the
    forms people type them: lower case, in groups split by spaces or no-break spaces, in any script."""
    text = _IBAN.sub(_masked_iban, text)
    if "@" in text or "\uff20" in text:
        text = _EMAIL.sub(MASK + "@" + MASK, text)
    return text


def _masked_iban(match: re.Match[str]) -> str:
    found = match.group(0)
    if sum(character.isdigit() for character in found) < _IBAN_MIN_DIGITS:
        return found
    return found[:2].upper() + "**" + MASK


def _mask_value(key: str, value: Any) -> Any:
    if key.lower() in _PERSONAL_KEYS and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(key, v) for v in value]
    if isinstance(value, BaseException):
        return mask_text(repr(value))
    return value


def mask_personal_data(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: masks IBANs, e-mail addresses and personal-name fields, exceptions included."""
    return {key: _mask_value(key, value) for key, value in event_dict.items()}


def _dumps(event: Any, **_: Any) -> bytes:
    return orjson.dumps(event, option=orjson.OPT_NON_STR_KEYS)


def configure_logging(level: str = "INFO", fmt: str = "auto", service: str | None = None) -> None:
    """One masked pipeline for our lines and the stdlib's loggers (aiokafka, FastStream, asyncpg), to stderr.

    Our own lines skip the stdlib's logging module and are rendered straight to bytes with orjson: logging a few
    lines per claim through the stdlib cost about a tenth of each service's CPU under `make bench`.
    """
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        mask_personal_data,
    ]
    if service:
        shared.insert(0, lambda _l, _m, ed: {"service": service, **ed})
    minimum = logging.getLevelName(level.upper())
    if as_json:
        # Non-string keys (a dict of node ids, say) are rendered as strings rather than failing the caller.
        ours: Any = structlog.processors.JSONRenderer(serializer=_dumps)
        factory: Any = structlog.BytesLoggerFactory(sys.stderr.buffer)
        renderer: Any = structlog.processors.JSONRenderer()
    else:
        ours = renderer = structlog.dev.ConsoleRenderer(colors=False)
        factory = structlog.WriteLoggerFactory(sys.stderr)
    structlog.configure(
        processors=[*shared, ours],
        logger_factory=factory,
        wrapper_class=structlog.make_filtering_bound_logger(minimum),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(minimum)
    # aiokafka is chatty at INFO about group membership; keep its warnings, once per interval and message.
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
    # On the handler, not the logger: a logger's filters never see its children's records.
    handler.addFilter(RepeatLimiter(prefix="aiokafka"))


class RepeatLimiter(logging.Filter):
    """Lets the same message through at most once per `interval_s`, then says how many were held back.

    During a broker outage aiokafka logs "Unable connect to node" tens of thousands of times a minute; one line
    every few seconds says the same and keeps the logs readable.
    """

    def __init__(self, prefix: str = "", interval_s: float = 10.0) -> None:
        super().__init__()
        self._prefix = prefix
        self._interval_s = interval_s
        self._last: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self._prefix):
            return True
        key = (record.name, str(record.msg))
        now = record.created
        last, held = self._last.get(key, (float("-inf"), 0))
        if now - last < self._interval_s:
            self._last[key] = (last, held + 1)
            return False
        if held:
            record.msg = f"{record.msg} (and {held} more like it in the last {self._interval_s:.0f} s)"
        self._last[key] = (now, 0)
        return True


def adopt_framework_loggers(prefix: str = "faststream") -> None:
    """FastStream gives some of its loggers their own coloured stdout handler; send them through ours instead."""
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if name.startswith(prefix) and isinstance(logger, logging.Logger):
            logger.handlers.clear()
            logger.propagate = True
