"""`guichet review list|show|approve|reject`: eligibility's own review commands, on the console's stack.

Those commands read ELIGIBILITY_DATABASE_URL and GUICHET_TOPIC_PREFIX from the environment, like the service. When
the database URL is missing, the console fills them in from `current_stack()` (the local stack `make up` runs)
before handing over, so `guichet review list` works without `make env` first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import typer

from guichet_console.connect import Stack, current_stack
from guichet_eligibility.cli import review_app as eligibility_review_app

review_app = typer.Typer(no_args_is_help=True, help=eligibility_review_app.info.help)
# The same command objects, not copies: eligibility stays the one place where review is defined.
review_app.registered_commands = list(eligibility_review_app.registered_commands)


def review_environment(environ: Mapping[str, str], stack: Callable[[], Stack] = current_stack) -> dict[str, str]:
    """The variables to add so eligibility's commands reach the stack; none when its database URL is already set."""
    if environ.get("ELIGIBILITY_DATABASE_URL"):
        return {}
    found = stack()
    wanted = {
        "ELIGIBILITY_DATABASE_URL": found.database_urls["eligibility"],
        "KAFKA_BOOTSTRAP_SERVERS": found.kafka_bootstrap,
        "GUICHET_TOPIC_PREFIX": found.topic_prefix,
    }
    return {name: value for name, value in wanted.items() if name not in environ}


@review_app.callback()
def _on_the_consoles_stack() -> None:
    try:
        os.environ.update(review_environment(os.environ))
    except KeyError as missing:
        typer.echo(
            f"ELIGIBILITY_DATABASE_URL is not set and the console's stack is incomplete: {missing} is missing "
            "(set the variables `make env` prints, or none of them to use the local stack)",
            err=True,
        )
        raise typer.Exit(2) from None
