"""Working-day calendar and due dates."""

from __future__ import annotations

from datetime import date

import holidays

from monev.periods import Period
from monev.workdays import WorkCalendar, national_days_off, timezone_for_province


def test_bundled_table_matches_holidays_package() -> None:
    for year in (2025, 2026, 2030):
        expected = set(holidays.country_holidays(
            "ID", years=year, categories=("public", "government")))
        assert national_days_off(year) == expected


def test_due_is_last_working_day_skipping_cuti_bersama() -> None:
    cal = WorkCalendar()
    # 31 Mar 2025 Idul Fitri, 28 Mar cuti bersama Nyepi, 29-30 weekend → Thursday 27th
    assert cal.due_date(Period(2025, 3)) == date(2025, 3, 27)
    # 24-25 Dec 2026: cuti bersama and Christmas; 31 Dec 2026 is a Thursday
    assert cal.due_date(Period(2026, 12)) == date(2026, 12, 31)
    # August 2025 ends on a Sunday
    assert cal.due_date(Period(2025, 8)) == date(2025, 8, 29)
    # week 2 of January 2026 = 8–14 Jan; 14 Jan is a Wednesday
    assert cal.due_date(Period(2026, 1, 2)) == date(2026, 1, 14)


def test_local_days_off_and_extra_working_days() -> None:
    base = WorkCalendar().due_date(Period(2025, 10))
    assert base == date(2025, 10, 31)
    off = WorkCalendar.build(days_off=[date(2025, 10, 31)])
    assert off.due_date(Period(2025, 10)) == date(2025, 10, 30)
    saturday = WorkCalendar.build(working_days=[date(2025, 8, 30)])
    assert saturday.due_date(Period(2025, 8)) == date(2025, 8, 30)
    last_day = WorkCalendar.build(due_rule="last_day")
    assert last_day.due_date(Period(2025, 8)) == date(2025, 8, 31)


def test_add_working_days_counts_only_working_days() -> None:
    cal = WorkCalendar()
    # Fri 29 Aug 2025 + 1 working day = Mon 1 Sep; +7 = Wed 10 Sep (5 Sep is Maulid)
    assert cal.add_working_days(date(2025, 8, 29), 1) == date(2025, 9, 1)
    assert cal.add_working_days(date(2025, 8, 29), 7) == date(2025, 9, 10)


def test_province_time_zones() -> None:
    assert timezone_for_province("Jambi") == "Asia/Jakarta"
    assert timezone_for_province("Provinsi Bali") == "Asia/Makassar"
    assert timezone_for_province("Papua Pegunungan") == "Asia/Jayapura"
