import json
import logging
import re

import pytest
import structlog

from guichet_common.logging import RepeatLimiter, configure_logging, mask_personal_data, mask_text

IBAN = "FR7693233145437431125912957"
EMAIL = "claire.martin@example.fr"


def test_ibans_and_emails_are_masked_inside_free_text() -> None:
    text = mask_text(f"duplicate key (iban)=({IBAN}) for {EMAIL}")
    assert IBAN not in text
    assert EMAIL not in text
    assert "FR**" in text


def test_personal_fields_are_masked_whatever_their_shape() -> None:
    masked = mask_personal_data(None, "info", {"event": "x", "full_name": "Claire Martin", "claim_id": "CFN-1"})
    assert masked == {"event": "x", "full_name": "***", "claim_id": "CFN-1"}


def test_nested_values_and_exceptions_are_masked() -> None:
    masked = mask_personal_data(None, "error", {"event": "x", "detail": {"iban": IBAN}, "error": ValueError(EMAIL)})
    assert IBAN not in json.dumps(masked, default=str)
    assert EMAIL not in json.dumps(masked, default=str)


@pytest.fixture
def restore_logging():
    """Requested before capsys, so it runs after capsys has closed its stream: later tests must not log into it."""
    yield
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


def test_stdlib_and_structlog_lines_are_masked_in_the_output(restore_logging, capsys) -> None:
    configure_logging("INFO", "json", service="test")
    structlog.get_logger().info("seeded", note=f"pay {IBAN}", email=EMAIL)
    logging.getLogger("asyncpg").error("DETAIL: Key (iban)=(%s) already exists, contact %s", IBAN, EMAIL)
    try:
        raise RuntimeError(f"boom {IBAN}")
    except RuntimeError:
        structlog.get_logger().exception("failed")
    err = capsys.readouterr().err
    assert err.count("\n") >= 3
    assert IBAN not in err and EMAIL not in err


def test_a_message_repeated_in_a_burst_is_logged_once_then_summarised() -> None:
    limiter = RepeatLimiter(prefix="aiokafka", interval_s=10.0)

    def record(at: float) -> logging.LogRecord:
        entry = logging.LogRecord("aiokafka.conn", logging.ERROR, __file__, 1, "Unable connect to node %s", (1,), None)
        entry.created = at
        return entry

    assert limiter.filter(record(100.0))
    assert not any(limiter.filter(record(100.0 + i / 10)) for i in range(1, 50))
    later = record(111.0)
    assert limiter.filter(later)
    assert "and 49 more like it" in later.getMessage()
    other = logging.LogRecord("aiokafka", logging.ERROR, __file__, 1, "another message", (), None)
    other.created = 100.5
    assert limiter.filter(other)
    ours = logging.LogRecord("guichet", logging.ERROR, __file__, 1, "Unable connect to node %s", (1,), None)
    ours.created = 100.6
    assert limiter.filter(ours) and limiter.filter(ours)  # other loggers are never held back


def test_a_line_with_non_string_keys_is_still_written(restore_logging, capsys) -> None:
    configure_logging("INFO", "json", service="test")
    structlog.get_logger().info("cluster_started", pids={1: 101, 2: 102})
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["pids"] == {"1": 101, "2": 102}


# --- The shapes an IBAN or an address takes when a person typed it (issue 13) -----------------------------------

IBAN_GROUPS = "FR76 9323 3145 4374 3112 5912 957"
SEEDED = {
    "lower case": "fr7693233145437431125912957",
    "groups of four": IBAN_GROUPS,
    "lower case groups": IBAN_GROUPS.lower(),
    "no-break spaces": IBAN_GROUPS.replace(" ", "\u00a0"),
    "narrow no-break spaces": IBAN_GROUPS.replace(" ", "\u202f"),
    "a tab after the country": "FR76\t93233145437431125912957",
    "a British IBAN in groups": "GB29 NWBK 6016 1331 9268 19",
    "accented address": "zoë.ångström@exämple.fr",
    "combining accents": "zoe\u0308.martin@example.fr",
    "address in Chinese": "用户@例子.广告",
    "ideographic full stop": "用户@例子。广告",
    "punycode domain": "marie@xn--exmple-cua.xn--p1ai",
    "plus and apostrophe": "o'neil+guichet@example.co.uk",
}


@pytest.mark.parametrize("seeded", SEEDED.values(), ids=SEEDED.keys())
def test_typed_ibans_and_international_addresses_are_masked(seeded: str) -> None:
    text = mask_text(f"refused: {seeded}, please check")
    assert seeded not in text
    assert "refused: " in text and ", please check" in text
    compact = "".join(seeded.split())
    assert compact not in "".join(text.split())
    # No piece of it either: a half-masked address still names the person.
    pieces = [piece for piece in re.split(r"[@.+'\s。]", seeded) if len(piece) >= 4 and not piece.isdigit()]
    assert not [piece for piece in pieces if piece in text], text


ORDINARY = [
    "2026-12-02T13:51:30.123456+00:00",
    "de305d54-75b4-431b-adb2-eb6b9e546014",
    "siren 642515712 siret 64251571200017",
    "claim CFN-2021-0000123 on claims.submitted.v1/0/1234",
    "id ab12 was seen by the team at 10:30 on 2021-03-01",
    "sha256 ab12cdef0123456789abcdef0123456789abcdef0123456789abcdef01234567",
    "1500.00 EUR for 3 claims in 12 s, grant 50000 cents",
    "topic=eligibility.decisions.v1 partition=2 offset=120034",
]


@pytest.mark.parametrize("ordinary", ORDINARY)
def test_ordinary_text_survives_the_mask(ordinary: str) -> None:
    assert mask_text(ordinary) == ordinary
