"""CalendarOverride rows entered in the admin change the working days WorkingCalendar.load() gives."""

import datetime as dt

import pytest

from core.calendar import VN_TZ, WorkingCalendar, add_working_days, working_days_between
from core.models import CalendarOverride

pytestmark = pytest.mark.django_db
D = dt.date


def test_without_overrides_load_gives_the_holiday_calendar():
    assert WorkingCalendar.load() == WorkingCalendar()
    assert add_working_days(D(2027, 2, 2), 15) == D(2027, 3, 2)


def test_a_day_off_override_pushes_the_deadline():
    CalendarOverride.objects.create(
        date=D(2027, 2, 11), kind=CalendarOverride.Kind.DAY_OFF, reason="UBND tỉnh cho nghỉ thêm sau Tết"
    )
    cal = WorkingCalendar.load()
    assert not cal.is_working_day(D(2027, 2, 11))
    assert cal.add_working_days(D(2027, 2, 2), 15) == D(2027, 3, 3)
    assert working_days_between(D(2027, 2, 2), D(2027, 3, 2)) == 14
    assert cal.due_at(dt.datetime(2027, 2, 2, 9, 0, tzinfo=VN_TZ), 15) == dt.datetime(
        2027, 3, 3, 17, 0, tzinfo=VN_TZ
    )


def test_a_working_day_override_pulls_the_deadline():
    CalendarOverride.objects.create(
        date=D(2027, 2, 13), kind=CalendarOverride.Kind.WORKING_DAY, reason="Làm bù thứ Bảy"
    )
    assert WorkingCalendar.load().is_working_day(D(2027, 2, 13))
    assert add_working_days(D(2027, 2, 2), 15) == D(2027, 3, 1)


def test_a_working_day_override_beats_a_public_holiday_and_a_day_off_beats_a_swapped_saturday():
    CalendarOverride.objects.create(
        date=D(2027, 2, 10), kind=CalendarOverride.Kind.WORKING_DAY, reason="Trực Tết"
    )
    CalendarOverride.objects.create(
        date=D(2026, 8, 22), kind=CalendarOverride.Kind.DAY_OFF, reason="Không làm bù"
    )
    cal = WorkingCalendar.load()
    assert cal.is_working_day(D(2027, 2, 10))
    assert not cal.is_working_day(D(2026, 8, 22))
