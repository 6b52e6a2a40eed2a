"""Leaders' dashboards and the statutory reports (department heads, approvers). Charts are SVG drawn here
on the server, always with the numbers in a table beside them."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from core.calendar import VN_TZ
from core.money import format_vnd
from core.roles import Role
from core.validators import parse_date, parse_int
from workflow.reports import annual_plan, annual_plan_workbook, quarterly_report, quarterly_workbook
from workflow.selectors_stats import (
    dashboard_proposals,
    funds_by_source,
    on_time_by_unit,
    overdue_by_unit,
    plan_years,
    status_by_unit,
    status_durations,
)

from .audit import file_response, record_export, scope_label
from .common import StaffMixin

LEADER_ROLES = (Role.DEPARTMENT_HEAD, Role.APPROVER, Role.MINISTRY)


def may_lead(user) -> bool:
    return user.is_authenticated and (user.is_superuser or any(user.has_role(r) for r in LEADER_ROLES))


class LeaderMixin(StaffMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_lead(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


def _int(value: str, default: int | None, lo: int, hi: int) -> int | None:
    number = parse_int(value, lo=lo, hi=hi)
    return default if number is None else number


# ---------------------------------------------------------------------------------------------------------------
# SVG charts: geometry computed here, drawn by templates/dashboards/_bars.svg.html and _stacked.svg.html

LABEL_WIDTH, CHART_WIDTH, BAR_HEIGHT, GAP = 220, 300, 20, 8


def bar_chart(items: list[tuple[str, float]], *, money: bool = False) -> dict:
    """Horizontal bars, one per (label, value), scaled to the largest value; money shown as 1.234.567 ₫."""
    top = max((v for _l, v in items), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(items):
        y = i * (BAR_HEIGHT + GAP)
        bars.append(
            {
                "label": label,
                "value": value,
                "money": format_vnd(int(value)) if money else "",
                "y": y,
                "text_y": y + BAR_HEIGHT - 5,
                "width": round(CHART_WIDTH * value / top, 1),
                "value_x": LABEL_WIDTH + round(CHART_WIDTH * value / top, 1) + 6,
            }
        )
    return {
        "bars": bars,
        "height": max(len(items) * (BAR_HEIGHT + GAP), BAR_HEIGHT),
        "label_width": LABEL_WIDTH,
        "width": LABEL_WIDTH + CHART_WIDTH + 120,
        "bar_height": BAR_HEIGHT,
    }


def stacked_chart(rows: list[tuple[str, list[tuple[str, int]]]]) -> dict:
    """One 100 % bar per row, split into its parts (part keys name the CSS class and the legend)."""
    out = []
    for i, (label, parts) in enumerate(rows):
        total = sum(v for _k, v in parts) or 1
        x, segments = float(LABEL_WIDTH), []
        for key, value in parts:
            width = round(CHART_WIDTH * value / total, 1)
            segments.append({"key": key, "value": value, "x": x, "width": width})
            x += width
        y = i * (BAR_HEIGHT + GAP)
        out.append({"label": label, "y": y, "text_y": y + BAR_HEIGHT - 5, "segments": segments})
    return {
        "rows": out,
        "height": max(len(rows) * (BAR_HEIGHT + GAP), BAR_HEIGHT),
        "label_width": LABEL_WIDTH,
        "width": LABEL_WIDTH + CHART_WIDTH + 10,
        "bar_height": BAR_HEIGHT,
    }


class DashboardView(LeaderMixin, TemplateView):
    template_name = "dashboards/index.html"

    def get_context_data(self, **kwargs):
        user, now = self.request.user, self.now
        year = _int(self.request.GET.get("year", ""), None, 2000, 2100)
        done_from, done_to = parse_date(self.request.GET.get("from")), parse_date(self.request.GET.get("to"))
        proposals = dashboard_proposals(user, plan_year=year)
        matrix = status_by_unit(proposals)
        overdue = overdue_by_unit(proposals, now=now)
        on_time = on_time_by_unit(proposals, completed_from=done_from, completed_to=done_to)
        durations = status_durations(proposals)
        funds = funds_by_source(proposals)
        stages = [
            (_("Đề nghị"), sum(f.requested for f in funds if f.source != "counterpart")),
            (_("Phê duyệt"), sum(f.approved or 0 for f in funds)),
            (_("Tạm ứng"), sum(f.advanced or 0 for f in funds)),
            (_("Quyết toán"), sum(f.settled for f in funds if f.source != "counterpart")),
        ]
        from workflow.national import national_calendar

        return {
            **super().get_context_data(**kwargs),
            "now": now,
            "national_calendar": national_calendar(proposals, now.astimezone(VN_TZ).date()),
            "year": year,
            "years": plan_years(user),
            "done_from": done_from,
            "done_to": done_to,
            "scope": scope_label(user),
            "matrix": matrix,
            "overdue": overdue,
            "on_time": on_time,
            "durations": durations,
            "funds": funds,
            "status_chart": bar_chart(
                [(label, matrix.totals[i]) for i, (_c, label) in enumerate(matrix.columns)]
            ),
            "overdue_chart": bar_chart([(r.unit, r.count) for r in overdue]),
            "on_time_chart": stacked_chart(
                [(r.unit, [("before", r.before), ("on", r.on), ("after", r.after)]) for r in on_time]
            ),
            "duration_chart": bar_chart([(r.label, r.average) for r in durations]),
            "funds_chart": bar_chart(stages, money=True),
        }


def _current(now: dt.datetime) -> tuple[int, int]:
    local = now.astimezone(VN_TZ)
    return local.year, (local.month - 1) // 3 + 1


class AnnualPlanView(LeaderMixin, TemplateView):
    """The annual plan by content type × funding source; ?format=xlsx downloads it (hash and audit row)."""

    template_name = "dashboards/annual_plan.html"

    def get(self, request, *args, **kwargs):
        now = self.now
        year = _int(request.GET.get("year", ""), _current(now)[0], 2000, 2100)
        approved_only = request.GET.get("basis") == "approved"
        plan = annual_plan(dashboard_proposals(request.user), year=year, approved_only=approved_only)
        if request.GET.get("format") == "xlsx":
            body = annual_plan_workbook(plan, scope=scope_label(request.user), now=now)
            digest = record_export(
                request,
                view="annual_plan",
                fmt="xlsx",
                body=body,
                rows=len(plan.detail),
                filters={"year": year, "basis": "approved" if approved_only else "lodged"},
                now=now,
            )
            return file_response(
                body, fmt="xlsx", stem=f"ke-hoach-khuyen-cong-{year}", digest=digest, now=now
            )
        return self.render_to_response(
            {
                "plan": plan,
                "year": year,
                "approved_only": approved_only,
                "years": plan_years(request.user),
                "scope": scope_label(request.user),
                "query": request.GET.urlencode(),
            }
        )


class QuarterlyReportView(LeaderMixin, TemplateView):
    """The quarterly report to the Ministry; ?format=xlsx downloads it (hash and audit row)."""

    template_name = "dashboards/quarterly.html"

    def get(self, request, *args, **kwargs):
        now = self.now
        this_year, this_quarter = _current(now)
        year = _int(request.GET.get("year", ""), this_year, 2000, 2100)
        quarter = _int(request.GET.get("quarter", ""), this_quarter, 1, 4)
        report = quarterly_report(dashboard_proposals(request.user), year=year, quarter=quarter)
        if request.GET.get("format") == "xlsx":
            body = quarterly_workbook(report, scope=scope_label(request.user), now=now)
            digest = record_export(
                request,
                view="quarterly_report",
                fmt="xlsx",
                body=body,
                rows=len(report.proposals),
                filters={"year": year, "quarter": quarter},
                now=now,
            )
            return file_response(
                body, fmt="xlsx", stem=f"bao-cao-quy-{quarter}-{year}", digest=digest, now=now
            )
        return self.render_to_response(
            {
                "report": report,
                "year": year,
                "quarter": quarter,
                "quarters": (1, 2, 3, 4),
                "years": plan_years(request.user),
                "scope": scope_label(request.user),
            }
        )
