"""Small pieces shared by the project's command-line tools: their exit codes, and running a command as a function."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from enum import IntEnum


class ExitCode(IntEnum):
    """What every `guichet` command (and each `python -m guichet_...` wrapper of one) exits with.

    Scripts branch on these numbers: a new meaning gets a new number, an existing one never changes."""

    OK = 0
    REFUSED = 1  # refused, not found, or (reconcile) the figures disagree: nothing was changed
    USAGE = 2  # bad arguments or settings, an unreadable input file (typer/click use 2 for usage errors too)
    UNREACHABLE = 3  # a database, the Kafka broker or the back-office could not be reached: try again later

    @classmethod
    def epilog(cls) -> str:
        """The table shown at the end of `--help`."""
        meanings = {
            cls.OK: "done (for reconcile: every check agrees)",
            cls.REFUSED: "refused or not found, nothing changed (for reconcile: a check disagrees)",
            cls.USAGE: "usage error: bad arguments or settings, unreadable input file",
            cls.UNREACHABLE: "infrastructure unreachable: a database, the Kafka broker or the back-office",
        }
        return "Exit codes: " + "; ".join(f"{int(code)} {meanings[code]}" for code in cls) + "."


def run_command(command: Callable[..., object], argv: Sequence[str] | None, prog_name: str) -> int:
    """Run a click/typer command as `python -m` would, and return its exit code instead of leaving the process.

    Lets `python -m guichet_x` stay a thin wrapper of the one typer command, and tests call it like a function."""
    try:
        command(args=None if argv is None else list(argv), prog_name=prog_name)
    except SystemExit as exit_:
        code = exit_.code
        if code is None:
            return ExitCode.OK
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)  # sys.exit("message") semantics: the message on stderr, exit 1
        return ExitCode.REFUSED
    return ExitCode.OK


def positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse `type=` that accepts only numbers above zero, with a readable error otherwise (guichet_bench's
    own command line is still argparse)."""

    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text}")
        return value

    return parse
