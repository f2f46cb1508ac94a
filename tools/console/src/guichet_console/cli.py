"""guichet: watch and steer the programme.

    guichet status [--watch]          the whole pipeline on one screen
    guichet trace CLAIM_ID            one claim's story across every service
    guichet review list|show|approve|reject
    guichet dlq list|show|replay|discard
    guichet set-aside list|release|cancel   items background jobs set aside
    guichet report [--html FILE]      the programme's figures

Every command takes --json. The console reads KAFKA_BOOTSTRAP_SERVERS, GUICHET_TOPIC_PREFIX and each service's
<SERVICE>_DATABASE_URL (as `make env` prints them); without them it uses the local stack.
"""

from __future__ import annotations

import sys

import structlog
import typer

from guichet_console import dlq, report, set_aside, status, trace
from guichet_console.review import review_app

app = typer.Typer(no_args_is_help=True, help=__doc__, rich_markup_mode="rich")
status.register(app)
trace.register(app)
report.register(app)
app.add_typer(dlq.app, name="dlq")
app.add_typer(review_app, name="review")
app.add_typer(set_aside.app, name="set-aside")


def main() -> None:
    # Whatever the libraries log (the local launcher's progress, say) goes to stderr: stdout is the answer, and
    # `guichet report --json | jq` must read nothing else.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    app()
