"""Working days in Asia/Ho_Chi_Minh across Tết 2026 (16–20/2) and Tết 2027 (4–10/2), with swapped days."""

import datetime as dt

import pytest

from core.calendar import END_OF_DAY, VN_TZ, WorkingCalendar

D = dt.date
CAL = WorkingCalendar()


@pytest.mark.parametrize(
    "day", [D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 2, 20)]
)
def test_tet_2026_is_off(day):
    assert not CAL.is_working_day(day)
    assert CAL.holiday_name(day)


@pytest.mark.parametrize("day", [D(2027, 2, 4), D(2027, 2, 5), D(2027, 2, 8), D(2027, 2, 9), D(2027, 2, 10)])
def test_tet_2027_is_off(day):
    assert not CAL.is_working_day(day)


def test_ordinary_days():
    assert CAL.is_working_day(D(2026, 3, 2))  # Monday
    assert not CAL.is_working_day(D(2026, 3, 7))  # Saturday
    assert not CAL.is_working_day(D(2026, 3, 8))  # Sunday
    assert not CAL.is_working_day(D(2026, 9, 2))  # Quốc khánh


def test_journey_7_appraisal_opened_2_february_2027_is_due_after_tet():
    assert CAL.add_working_days(D(2027, 2, 2), 15) == D(2027, 3, 2)


def test_add_working_days_across_tet_2026():
    # Friday 13/2/2026 + 1 working day skips the weekend and the five days of Tết.
    assert CAL.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert CAL.add_working_days(D(2026, 2, 10), 5) == D(2026, 2, 24)  # 11, 12, 13, 23, 24


def test_add_zero_and_negative():
    assert CAL.add_working_days(D(2027, 2, 6), 0) == D(2027, 2, 6)
    with pytest.raises(ValueError):
        CAL.add_working_days(D(2027, 2, 6), -1)


def test_working_days_between_across_tet():
    assert CAL.working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1
    assert CAL.working_days_between(D(2027, 2, 2), D(2027, 3, 2)) == 15
    assert CAL.working_days_between(D(2027, 3, 2), D(2027, 2, 2)) == -15
    assert CAL.working_days_between(D(2027, 2, 5), D(2027, 2, 5)) == 0


def test_swapped_working_saturday_22_august_2026_counts_as_working():
    # The holidays package moves the working day: Saturday 22/8/2026 is worked, Monday 31/8/2026 is off.
    assert CAL.is_working_day(D(2026, 8, 22))
    assert not CAL.is_working_day(D(2026, 8, 31))
    assert not CAL.is_working_day(D(2026, 8, 29))  # an ordinary Saturday
    assert CAL.add_working_days(D(2026, 8, 21), 1) == D(2026, 8, 22)
    assert CAL.working_days_between(D(2026, 8, 21), D(2026, 9, 3)) == 7  # 22, 24–28/8, then 3/9


def test_overrides_in_a_calendar_change_the_result():
    extra_off = WorkingCalendar(extra_days_off=frozenset({D(2027, 2, 11)}))
    assert extra_off.add_working_days(D(2027, 2, 2), 15) == D(2027, 3, 3)
    extra_working = WorkingCalendar(extra_working_days=frozenset({D(2027, 2, 13)}))
    assert extra_working.add_working_days(D(2027, 2, 2), 15) == D(2027, 3, 1)


def test_due_at_is_17_00_local_time():
    due = CAL.due_at(dt.datetime(2027, 2, 2, 9, 30, tzinfo=VN_TZ), 15)
    assert due == dt.datetime(2027, 3, 2, 17, 0, tzinfo=VN_TZ)
    assert due.time() == END_OF_DAY and due.utcoffset() == dt.timedelta(hours=7)


def test_due_at_counts_from_the_local_date():
    # 20:00 UTC on 1/2/2027 is already 2/2/2027 in Hồ Chí Minh City.
    due = CAL.due_at(dt.datetime(2027, 2, 1, 20, 0, tzinfo=dt.UTC), 15)
    assert due == dt.datetime(2027, 3, 2, 17, 0, tzinfo=VN_TZ)
    assert due.astimezone(dt.UTC) == dt.datetime(2027, 3, 2, 10, 0, tzinfo=dt.UTC)
