"""guichet: watch and steer the programme, one command for operators and finance.

    guichet status [--watch]                     the whole pipeline on one screen
    guichet trace CLAIM_ID                       one claim's story across every service
    guichet report [--html FILE]                 the programme's figures
    guichet review list|show|approve|reject      the manual-review queue
    guichet whatif --programme P [--set K=V]     re-judge past claims under edited rules; changes nothing
    guichet dlq list|show|replay|discard         dead letters of every consumed topic
    guichet set-aside list|release|cancel        items background jobs set aside
    guichet decisions list|second|withdraw       decisions waiting for a second person (back-office)
    guichet reconcile                            payments: do reserved, paid and batched add up?
    guichet controls preview|open|show|decide    post-payment controls: campaigns (also list), outcomes
    guichet recovery list|show                   recovery orders issued after controls, and their repayments
    guichet users add|disable|set-role|token     the back-office's accounts and personal API tokens
    guichet audit verify|export                  the back-office's audit trail: check its chain, export CSV
    guichet privacy export|erase|rectify         a person's data: everything held, erasure, correction
    guichet portals add|rotate-key|webhook|...   the gateway's portals: API keys, webhooks, their deliveries
    guichet registry import|synthesize           load INSEE's SIRENE stock file into Kafka
    guichet demo run|simulate|example            the demo, and synthetic claims for it
    guichet finance import|suspense|reconcile    bank files in, their suspense list, exports for accountants
    guichet finance bank                         play the bank for the demo

Every command that reads takes --json. The console reads KAFKA_BOOTSTRAP_SERVERS, GUICHET_TOPIC_PREFIX and each
service's <SERVICE>_DATABASE_URL (as `make env` prints them); without them it uses the local stack. Decisions
(review approve|reject, dlq replay|discard, set-aside release|cancel, decisions, controls open|decide) and a
person's requests (privacy) open no database: they go through the back-office at BACKOFFICE_URL with your personal
token (--token or GUICHET_TOKEN).
"""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

import structlog
import typer
from typer.core import TyperGroup

from guichet_common.cli import ExitCode
from guichet_console import controls, decisions, dlq, privacy, recovery, report, set_aside, status, trace
from guichet_console.finance import finance_app
from guichet_console.reconcile import reconcile
from guichet_console.review import review_app
from guichet_console.whatif import whatif
from guichet_registry.cli import app as registry_app
from guichet_simulator.cli import app as demo_app


class LoadedWhenRun(TyperGroup):
    """A command group the root lists under its own short help, built from `module:attribute` (a Typer) only when
    it runs or shows its own help."""

    def __init__(self, name: str, target: str, short_help: str) -> None:
        super().__init__(name=name, help=short_help)
        self.target = target

    def loaded(self) -> TyperGroup:
        module, _, attribute = self.target.partition(":")
        group = typer.main.get_command(getattr(importlib.import_module(module), attribute))
        if not isinstance(group, TyperGroup):  # a Typer of one command would be that command itself
            raise TypeError(f"{self.target} is not a group of commands")
        return group

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        # Click then invokes the context's command: the real group, with its own options and subcommands.
        return self.loaded().make_context(info_name, args, parent=parent, **extra)


# `guichet users|audit` bring the back-office's accounts code (argon2, its migrations), `guichet portals` the
# gateway's, which `guichet --help` and every other command can do without. Their short help is repeated here;
# tests/test_cli_lazy.py checks they agree.
LOADED_WHEN_RUN = {
    "users": ("guichet_console.users:users_app", "The back-office's accounts: add, disable, set-role, token."),
    "audit": ("guichet_console.users:audit_app", "The back-office's audit trail: verify its chain, export it."),
    "portals": (
        "guichet_console.portals:app",
        "The gateway's portals: add, rotate-key, disable, list, webhook, deliveries, redeliver.",
    ),
}


class RootGroup(TyperGroup):
    """`guichet`'s commands, with LOADED_WHEN_RUN listed where they always were: after `decisions`."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        built, lazy = (
            dict(self.commands),
            {name: LoadedWhenRun(name, *about) for name, about in LOADED_WHEN_RUN.items()},
        )
        self.commands.clear()
        for name, command in built.items():
            self.commands[name] = command
            if name == "decisions":
                self.commands.update(lazy)
        self.commands.update({name: command for name, command in lazy.items() if name not in self.commands})


app = typer.Typer(cls=RootGroup, no_args_is_help=True, help=__doc__, epilog=ExitCode.epilog(), rich_markup_mode="rich")


def package_version() -> str:
    try:
        return version("guichet-console")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _show_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"guichet {package_version()}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def _options(
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="print the console's version and exit"),
    ] = False,
) -> None:
    pass


status.register(app)
trace.register(app)
report.register(app)
app.add_typer(review_app, name="review")
app.command("whatif")(whatif)
app.add_typer(dlq.app, name="dlq")
app.add_typer(set_aside.app, name="set-aside")
app.add_typer(decisions.app, name="decisions")
app.add_typer(privacy.app, name="privacy")
app.command("reconcile")(reconcile)
app.add_typer(controls.app, name="controls")
app.add_typer(recovery.app, name="recovery")
app.add_typer(registry_app, name="registry", help="Load INSEE's SIRENE stock file of legal units into Kafka.")
app.add_typer(demo_app, name="demo", help="The demo, and synthetic claims and registry records for it.")
app.add_typer(finance_app, name="finance", help="Bank files in, suspense, reconciliation exports; the demo's bank.")


def main() -> None:
    # Whatever the libraries log (the local launcher's progress, say) goes to stderr: stdout is the answer, and
    # `guichet report --json | jq` must read nothing else.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    app()
