"""Working days in Asia/Ho_Chi_Minh: weekends, Vietnamese public holidays (lunar Tết included, from the
``holidays`` package) and the administrator's overrides (CalendarOverride)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from functools import cache

import holidays

from core.config_cache import cached

VN_TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
# The hour at which a deadline falls on its last working day (end of the office day).
END_OF_DAY = dt.time(17, 0)


@cache
def vietnam_holidays() -> holidays.HolidayBase:
    """Vietnamese public holidays, built once per process (the lunar calendar is costly to compute).
    Years 2000–2050 are filled in at once so that concurrent readers never see a half-built year."""
    return holidays.country_holidays("VN", language="vi", years=range(2000, 2051))


@dataclass(frozen=True)
class WorkingCalendar:
    extra_days_off: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()
    _holidays: holidays.HolidayBase = field(default_factory=vietnam_holidays, compare=False)
    # Each day's answer, worked out once per calendar (a deadline walks a dozen days; a page of deadlines more).
    _answers: dict[dt.date, bool] = field(default_factory=dict, compare=False, repr=False)
    # Each (start, n) of add_working_days, likewise: the transitions of a day all count from the same date.
    _sums: dict[tuple[dt.date, int], dt.date] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls) -> WorkingCalendar:
        """The calendar with the overrides entered in the admin (one query, then a per-process copy for
        CONFIG_CACHE_SECONDS: core/config_cache.py)."""
        return cached("calendar", cls._read)

    @classmethod
    def _read(cls) -> WorkingCalendar:
        from core.models import CalendarOverride

        off: set[dt.date] = set()
        working: set[dt.date] = set()
        for day, kind in CalendarOverride.objects.values_list("date", "kind"):
            (off if kind == CalendarOverride.Kind.DAY_OFF else working).add(day)
        return cls(frozenset(off), frozenset(working))

    def is_working_day(self, day: dt.date) -> bool:
        answer = self._answers.get(day)
        if answer is None:
            answer = self._answers[day] = self._is_working_day(day)
        return answer

    def _is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        if day in self._holidays:  # also loads that year's swapped working Saturdays
            return False
        return self._holidays.is_working_day(day)

    def holiday_name(self, day: dt.date) -> str | None:
        return self._holidays.get(day)

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (``start`` itself not counted); n=0 gives ``start``."""
        if n < 0:
            raise ValueError("n must be >= 0")
        key = (start, n)
        found = self._sums.get(key)
        if found is not None:
            return found
        day, one = start, dt.timedelta(days=1)
        while n:
            day += one
            if self.is_working_day(day):
                n -= 1
        self._sums[key] = day
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in (a, b]: how many working days pass going from a to b; negative when b < a."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a
        while day < b:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def due_at(self, start: dt.datetime, working_days: int) -> dt.datetime:
        """The deadline ``working_days`` working days after ``start``: 17:00 local time on that day."""
        local = start.astimezone(VN_TZ)
        day = self.add_working_days(local.date(), working_days)
        return dt.datetime.combine(day, END_OF_DAY, tzinfo=VN_TZ)


def add_working_days(start: dt.date, n: int, *, calendar: WorkingCalendar | None = None) -> dt.date:
    return (calendar or WorkingCalendar.load()).add_working_days(start, n)


def working_days_between(a: dt.date, b: dt.date, *, calendar: WorkingCalendar | None = None) -> int:
    return (calendar or WorkingCalendar.load()).working_days_between(a, b)
