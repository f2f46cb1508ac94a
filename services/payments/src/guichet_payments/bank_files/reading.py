"""Read a bank's ISO 20022 file into the entries payments acts on (pure: no database, no broker).

`read_bank_file` checks the file before reading it: size, no DTD or entities, a known message by its namespace,
then its schema (the vendored XSD for camt.053/camt.054, a strict reader for pain.002). Anything it cannot vouch
for raises `BankFileRefused`, and nothing else.
"""

from __future__ import annotations

from guichet_payments.bank_files.reading_camt import read_camt
from guichet_payments.bank_files.reading_model import MESSAGES, BankEntry, BankFile, BankFileRefused, Effect
from guichet_payments.bank_files.reading_pain002 import read_pain002
from guichet_payments.bank_files.reading_validation import check_against_schema, message_of, parse_untrusted

__all__ = ["MESSAGES", "BankEntry", "BankFile", "BankFileRefused", "Effect", "read_bank_file"]


def read_bank_file(file_name: str, content: bytes, *, max_bytes: int = 20_000_000) -> BankFile:
    """Validate `content` against its message's schema and return its entries; refuse anything else."""
    root = parse_untrusted(file_name, content, max_bytes)
    message = message_of(file_name, root)
    try:
        if message == "pain.002.001.03":
            return read_pain002(file_name, root)
        check_against_schema(file_name, message, root)
        return read_camt(file_name, message, root)
    except BankFileRefused:
        raise
    except (ValueError, TypeError, AttributeError, LookupError, AssertionError, RecursionError):
        # The schema passed but the reader still tripped: refuse the file rather than crash the import.
        raise BankFileRefused(file_name, "document", "could not be read after validation") from None
