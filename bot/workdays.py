"""Deadlines in working days: no weekends, no Vietnamese public holidays (Tết by the lunar
calendar, Giỗ Tổ Hùng Vương, 30/4, 1/5, 2/9 and the days off the government moves, from the
maintained `holidays` package), and no day an admin adds (a local holiday, a typhoon)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def national_days_off(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year))


class WorkingCalendar:
    def __init__(self, extra_days_off: Iterable[date] = ()) -> None:
        self.extra = frozenset(extra_days_off)

    def is_working_day(self, day: date) -> bool:
        return (
            day.weekday() < 5 and day not in self.extra and day not in national_days_off(day.year)
        )

    def add(self, start: date, working_days: int) -> date:
        """The date `working_days` working days after `start` (start itself not counted)."""
        day, left = start, working_days
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative if end < start)."""
        if end < start:
            return -self.between(end, start)
        return sum(
            self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1)
        )
