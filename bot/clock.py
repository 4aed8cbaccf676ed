"""Injectable time. Every deadline, schedule and timestamp goes through a Clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock:
    """The system clock moved by a fixed offset (DOITHOAI_CLOCK_OFFSET): to try deadlines,
    reminders and announcements by hand, in a demo or on a test server."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class FastClock:
    """Days that pass in seconds (`doithoai chat --fast-clock`): starts at the system time and
    runs `86400 / seconds_per_day` times faster, so the terminal demo shows a session's
    announcement, reminders and deadlines arrive while one watches."""

    def __init__(self, seconds_per_day: float, start: datetime | None = None) -> None:
        if seconds_per_day <= 0:
            raise ValueError("seconds_per_day must be positive")
        self.speed = 86400.0 / seconds_per_day
        self._real_start = datetime.now(UTC)
        self._start = start or self._real_start

    def now(self) -> datetime:
        return self._start + (datetime.now(UTC) - self._real_start) * self.speed

    def real_seconds(self, span: timedelta) -> float:
        """How long `span` of this clock's time takes on the wall clock."""
        return span.total_seconds() / self.speed


class ManualClock:
    """A clock that only moves when told to: for tests and benchmarks."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)


def to_local(when: datetime) -> datetime:
    """Vietnam local time, for display and for the wording of deadlines."""
    return when.astimezone(VN_TZ)


@lru_cache(maxsize=64)  # one unit of work stamps many rows with the same instant
def iso(when: datetime) -> str:
    """The one text form timestamps are stored in (UTC, ISO 8601)."""
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
