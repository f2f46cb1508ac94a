"""Each portal's requests per minute, counted in this process over a sliding minute: exact, and the answer to an
excess says when the oldest counted request leaves the window (Retry-After). With several gateway replicas, each
counts its own share, so a portal's limit is per replica (said in docs/portals.md)."""

from __future__ import annotations

import math
from collections import deque

WINDOW_S = 60.0


class SlidingWindowLimiter:
    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = {}

    def admit(self, portal: str, limit_per_minute: int, now: float) -> int | None:
        """None when the request is admitted (and counted), else the seconds to wait before the next one."""
        seen = self._seen.setdefault(portal, deque())
        while seen and seen[0] <= now - WINDOW_S:
            seen.popleft()
        while len(seen) > limit_per_minute:  # the limit was lowered: forget the oldest beyond it
            seen.popleft()
        if len(seen) >= limit_per_minute:
            return max(1, math.ceil(seen[0] + WINDOW_S - now))
        seen.append(now)
        return None
