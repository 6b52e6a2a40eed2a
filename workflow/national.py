"""The national track's calendar (domain.md §2.1): the statutory dates of plan year N, from configuration.

settings.KHUYENCONG["NATIONAL_WINDOWS"] holds (month, day, year offset from N) per window; tasks of the national
track are due on these dates (workflow/services/tasks.py), reminders count down to them, the Sở's dashboard shows
them, and registration after its window is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

WINDOW_LABELS = {
    "registration": _("Đơn vị đăng ký đề án với Sở Công Thương"),
    "registration_report": _("Sở Công Thương báo cáo đăng ký kế hoạch với Cục"),
    "dossier_to_ministry": _("Gửi hồ sơ đề án tới Cục để thẩm định cấp Bộ"),
    "settlement": _("Thanh lý hợp đồng và quyết toán với Cục"),
}


def window(name: str, plan_year: int) -> dt.date:
    """The last day of window ``name`` for the đề án of ``plan_year``."""
    month, day, offset = settings.KHUYENCONG["NATIONAL_WINDOWS"][name]
    return dt.date(plan_year + int(offset), int(month), int(day))


@dataclass(frozen=True)
class Window:
    name: str
    label: str
    ends_on: dt.date
    days_left: int  # calendar days from today; negative once passed

    @property
    def days_late(self) -> int:
        return max(-self.days_left, 0)


def windows(plan_year: int, today: dt.date) -> list[Window]:
    """Every window of ``plan_year`` in date order, with the days left counted from ``today``."""
    rows = [
        Window(name, str(label), window(name, plan_year), (window(name, plan_year) - today).days)
        for name, label in WINDOW_LABELS.items()
    ]
    return sorted(rows, key=lambda w: w.ends_on)


# The statuses of the đề án that a window still waits for: what has not yet passed that step.
WAITING = {
    "registration": ("drafted",),
    "registration_report": ("registered",),
    "dossier_to_ministry": ("registered", "base_appraised"),
    "settlement": ("contracted", "implemented", "stopped", "settlement_filed"),
}


@dataclass(frozen=True)
class CalendarRow:
    plan_year: int
    window: Window
    waiting: int  # national đề án of that plan year not yet past the step


def national_calendar(proposals, today: dt.date) -> list[CalendarRow]:
    """The Sở's countdown: for the plan years whose windows are open or still awaited (last year's settlement,
    this year's and next year's registration), each window with its days left and the national đề án in scope
    that the step still waits for. ``proposals``: the đề án the user may see (a queryset)."""
    from django.db.models import Count

    years = (today.year - 1, today.year, today.year + 1, today.year + 2)
    counts: dict[tuple[int, str], int] = {}
    for row in (
        proposals.filter(funding_kind="national", plan_year__in=years)
        .values("plan_year", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[(row["plan_year"], row["status"])] = row["n"]
    rows = []
    for year in years:
        for w in windows(year, today):
            waiting = sum(counts.get((year, s), 0) for s in WAITING[w.name])
            # An open window, or one that passed with đề án still waiting for it.
            if (0 <= w.days_left <= 366) or (w.days_left < 0 and waiting):
                rows.append(CalendarRow(year, w, waiting))
    return sorted(rows, key=lambda r: (r.window.ends_on, r.plan_year))
