from datetime import date

from bot.workdays import WorkingCalendar


def test_weekends_and_tet_are_skipped() -> None:
    cal = WorkingCalendar()
    # Friday 13/2/2026 + 1 working day: the weekend, then Tết (16-20/2) -> Monday 23/2.
    assert cal.add(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert not cal.is_working_day(date(2026, 2, 17))  # first day of Tết Bính Ngọ
    assert not cal.is_working_day(date(2027, 2, 6))  # first day of Tết Đinh Mùi (lunar)
    assert not cal.is_working_day(date(2026, 4, 30)) and not cal.is_working_day(date(2026, 9, 2))


def test_fifteen_working_days_across_holidays() -> None:
    cal = WorkingCalendar()
    # Session on Tuesday 28/4/2026: 30/4 and 1/5 are holidays, 2-3/5 a weekend.
    assert cal.add(date(2026, 4, 28), 15) == date(2026, 5, 21)
    assert cal.between(date(2026, 4, 28), date(2026, 5, 21)) == 15


def test_a_day_off_added_by_the_admin() -> None:
    typhoon = date(2026, 5, 20)
    assert WorkingCalendar([typhoon]).add(date(2026, 4, 28), 15) == date(2026, 5, 22)
