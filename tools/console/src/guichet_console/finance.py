"""`guichet finance …`: the finance department's commands.

guichet finance import FILE…          hand bank files (pain.002, camt.054, camt.053) to payments, see the outcome
guichet finance suspense [--json]     bank entries that matched nothing; settle|discard them
guichet finance reconcile [--csv DIR] [--xlsx FILE] [--json]   the reconciliation, and exports for accountants
guichet finance bank                  play the bank for the demo
"""

from __future__ import annotations

import typer

from guichet_common.cli import ExitCode
from guichet_console.finance_import import import_files
from guichet_console.finance_reconcile import reconcile
from guichet_console.finance_suspense import suspense_app
from guichet_finance.cli import bank

finance_app = typer.Typer(no_args_is_help=True, help=__doc__, epilog=ExitCode.epilog(), rich_markup_mode=None)
finance_app.command("import")(import_files)
finance_app.add_typer(suspense_app, name="suspense")
finance_app.command("reconcile")(reconcile)
finance_app.command("bank")(bank)
