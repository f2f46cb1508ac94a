"""`python -m guichet_simulator publish|example`: the same typer commands as `guichet demo` (see `cli`)."""

import sys

from guichet_simulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
