"""Failure points for the failure suite: a named place where a test can make the process die abruptly, once.

Inert unless GUICHET_FAILPOINT names the point; GUICHET_FAILPOINT_MARKER is a file that records that the point
fired, so the restarted process runs normally.
"""

from __future__ import annotations

import os
from pathlib import Path


def crash_once(name: str) -> None:
    if os.environ.get("GUICHET_FAILPOINT") != name:
        return
    marker = Path(os.environ.get("GUICHET_FAILPOINT_MARKER", f"/tmp/guichet-failpoint-{name}"))
    if marker.exists():
        return
    marker.write_text(name)
    os._exit(137)  # as kill -9 would: no cleanup, no commit
