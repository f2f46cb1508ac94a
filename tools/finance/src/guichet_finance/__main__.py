"""`python -m guichet_finance [OPTIONS]`: the same typer command as `guichet finance bank` (see `cli`)."""

import sys

from guichet_finance.cli import main

if __name__ == "__main__":
    sys.exit(main())
