"""Per-person flood control: everything is stored and handled, only the answers are thinned."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from enum import Enum


class FloodVerdict(Enum):
    ANSWER = "answer"  # within the limit: answer normally
    WARN = "warn"  # first message over the limit: say once that it is too fast
    QUIET = "quiet"  # further messages in the same burst: handle, do not answer


class FloodGuard:
    """At most `limit` answered messages per `window` for one person (a sliding window)."""

    def __init__(self, limit: int = 10, window: timedelta = timedelta(seconds=10)) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[datetime]] = {}
        self._warned: dict[str, datetime] = {}
        self._checks = 0

    def check(self, key: str, now: datetime) -> FloodVerdict:
        self._checks += 1
        if self._checks % 1000 == 0:
            self.forget_idle(now)
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            return FloodVerdict.ANSWER
        warned = self._warned.get(key)
        if warned is not None and now - warned < self.window:
            return FloodVerdict.QUIET
        self._warned[key] = now
        return FloodVerdict.WARN

    def forget_idle(self, now: datetime) -> None:
        """Drop people with no recent message, so memory stays bounded."""
        for key in [k for k, h in self._hits.items() if not h or now - h[-1] >= self.window]:
            self._hits.pop(key, None)
            self._warned.pop(key, None)
