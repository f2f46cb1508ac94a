"""`python -m guichet_eligibility.cli review|whatif ...`: the console's `guichet review` and `guichet whatif`, under
the module path `make review`, `make whatif` and scripts have always used.

    python -m guichet_eligibility.cli review list
    python -m guichet_eligibility.cli review approve CLAIM_ID --operator alice --reason "registry checked by phone"
    python -m guichet_eligibility.cli whatif --programme cheque-france-num-2021 --set invoices.latest=2021-03-31

The commands are defined once, in the console (guichet_console.review and .whatif), over this service's
`operators` module. The console depends on the services, never the reverse: this runs it as a process of its own
(same arguments, same output, same exit code) instead of importing it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

from guichet_eligibility.operators import edited_programme

__all__ = ["edited_programme", "main"]  # edited_programme: where the service's tests have always found it
COMMANDS = ("review", "whatif")
USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        print(f"usage: python -m guichet_eligibility.cli {{{','.join(COMMANDS)}}} ...  (= guichet review|whatif)")
        return 0 if args[:1] in (["-h"], ["--help"]) else USAGE
    return subprocess.call([sys.executable, "-m", "guichet_console", *args])


if __name__ == "__main__":
    sys.exit(main())
