"""`python -m guichet_registry import|synthesize`: the same typer commands as `guichet registry` (see `cli`)."""

import sys

from guichet_registry.cli import main

if __name__ == "__main__":
    sys.exit(main())
