"""The statutory reports (the annual plan by content and funding source, the quarterly report to the Ministry)
and the exports of the auditor console: each builder returns rows aggregated in SQL, and a function turns
them into the bytes of an Excel workbook (openpyxl) or a CSV file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from core.calendar import VN_TZ
from workflow.lifecycle import Status
from workflow.models import Advance, BudgetLine, ContentType, FundingSource, Proposal, TransitionEvent

MONEY_FORMAT = "#,##0"
PLAN_EXCLUDED = (Status.DRAFTED, Status.REJECTED, Status.WITHDRAWN)
APPROVED_STATUSES = (Status.APPROVED, Status.IMPLEMENTED, Status.STOPPED, Status.SETTLED)


# ---------------------------------------------------------------------------------------------------------------
# The annual plan: đề án by content type × funding source (like the budget appendix of a provincial programme)


@dataclass(frozen=True)
class PlanRow:
    content_type: str
    label: str
    proposals: int
    national: int
    local: int
    counterpart: int

    @property
    def total(self) -> int:
        return self.national + self.local + self.counterpart


@dataclass(frozen=True)
class AnnualPlan:
    year: int
    approved_only: bool
    rows: list[PlanRow]
    total: PlanRow
    detail: list[dict]


def _sums(prefix: str = "") -> dict:
    return {
        "national": Coalesce(Sum(f"{prefix}national_amount"), 0),
        "local": Coalesce(Sum(f"{prefix}local_amount"), 0),
        "counterpart": Coalesce(Sum(f"{prefix}counterpart_amount"), 0),
    }


def plan_proposals(
    proposals: QuerySet[Proposal], *, year: int, approved_only: bool = False
) -> QuerySet[Proposal]:
    """The đề án of a plan year: all lodged and still alive, or only those approved."""
    qs = proposals.filter(plan_year=year)
    if approved_only:
        return qs.filter(status__in=APPROVED_STATUSES)
    return qs.exclude(status__in=PLAN_EXCLUDED)


def annual_plan(proposals: QuerySet[Proposal], *, year: int, approved_only: bool = False) -> AnnualPlan:
    """Budget lines summed by content type and source; the total row is summed by the database too."""
    selected = plan_proposals(proposals, year=year, approved_only=approved_only).values("pk")
    lines = BudgetLine.objects.filter(proposal__in=selected).order_by()
    found = {
        r["proposal__content_type"]: r
        for r in lines.values("proposal__content_type").annotate(
            n=Count("proposal", distinct=True), **_sums()
        )
    }
    rows = [
        PlanRow(
            ct.value,
            str(ct.label),
            found[ct.value]["n"],
            found[ct.value]["national"],
            found[ct.value]["local"],
            found[ct.value]["counterpart"],
        )
        for ct in ContentType
        if ct.value in found
    ]
    t = lines.aggregate(n=Count("proposal", distinct=True), **_sums())
    total = PlanRow("", _("Tổng cộng"), t["n"], t["national"], t["local"], t["counterpart"])
    detail = list(
        Proposal.objects.filter(pk__in=selected)
        .annotate(
            **_sums("budget_lines__"), unit_name=Coalesce("district__name", "commune__name", "province__name")
        )
        .order_by("content_type", "tracking_code")
        .values(
            "pk",
            "tracking_code",
            "title",
            "content_type",
            "status",
            "unit_name",
            "national",
            "local",
            "counterpart",
        )
    )
    labels = dict(ContentType.choices)
    statuses = dict(Status.choices)
    for d in detail:
        d["content_label"], d["status_label"] = (
            str(labels.get(d["content_type"], "")),
            str(statuses[d["status"]]),
        )
        d["total"] = d["national"] + d["local"] + d["counterpart"]
    return AnnualPlan(year, approved_only, rows, total, detail)


# ---------------------------------------------------------------------------------------------------------------
# The quarterly report to the Ministry: activities, funds by source, disbursement rate, indicators


INDICATORS = (
    ("target_learners", gettext_lazy("Học viên được đào tạo")),
    ("target_models", gettext_lazy("Mô hình trình diễn")),
    ("target_machines", gettext_lazy("Cơ sở được hỗ trợ máy móc thiết bị")),
    ("target_fairs", gettext_lazy("Hội chợ, triển lãm")),
    ("target_products", gettext_lazy("Sản phẩm được công nhận tiêu biểu")),
)


def quarter_bounds(year: int, quarter: int) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a quarter in Vietnam's time."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter must be 1–4")
    start = dt.datetime(year, 3 * quarter - 2, 1, tzinfo=VN_TZ)
    end = (
        dt.datetime(year + 1, 1, 1, tzinfo=VN_TZ)
        if quarter == 4
        else dt.datetime(year, 3 * quarter + 1, 1, tzinfo=VN_TZ)
    )
    return start, end


@dataclass(frozen=True)
class FundLine:
    source: str
    label: str
    planned: int
    approved: int | None
    disbursed: int

    @property
    def rate(self) -> float | None:
        """Disbursement rate: disbursed over approved, in per cent."""
        return round(100 * self.disbursed / self.approved, 1) if self.approved else None


@dataclass(frozen=True)
class QuarterlyReport:
    year: int
    quarter: int
    start: dt.datetime
    end: dt.datetime
    activities: list[dict]  # by content type
    activities_total: dict
    funds: list[FundLine]
    funds_total: FundLine
    indicators: list[tuple[str, str, int, int]]  # (field, label, planned, achieved)
    proposals: list[dict]


def _event_at(trigger: str):
    return Subquery(
        TransitionEvent.objects.filter(proposal=OuterRef("pk"), trigger=trigger)
        .order_by("-seq")
        .values("created_at")[:1]
    )


def _line_sum(column: str):
    return Coalesce(
        Subquery(
            BudgetLine.objects.filter(proposal=OuterRef("pk"))
            .order_by()
            .values("proposal")
            .annotate(s=Sum(column))
            .values("s")[:1],
            output_field=BigIntegerField(),
        ),
        0,
        output_field=BigIntegerField(),
    )


def quarterly_report(proposals: QuerySet[Proposal], *, year: int, quarter: int) -> QuarterlyReport:
    """The đề án of the plan year approved by the end of the quarter, cumulative to that day (lũy kế), with what
    happened during the quarter. Disbursed: the settlement when settled by then, else the advances paid by then."""
    start, end = quarter_bounds(year, quarter)
    paid = Subquery(
        Advance.objects.filter(proposal=OuterRef("pk"), state=Advance.State.PAID, decided_at__lt=end)
        .order_by()
        .values("proposal")
        .annotate(s=Sum("amount"))
        .values("s")[:1],
        output_field=BigIntegerField(),
    )
    settled_by_end = Case(
        When(
            settlement__created_at__lt=end,
            then=Coalesce(F("settlement__national_amount"), 0) + Coalesce(F("settlement__local_amount"), 0),
        ),
        default=None,
        output_field=BigIntegerField(),
    )
    qs = (
        proposals.filter(plan_year=year)
        .annotate(approved_at=_event_at("approve"), accepted_at=_event_at("accept"))
        .filter(approved_at__lt=end)
        .annotate(
            disbursed_value=Coalesce(settled_by_end, paid, Value(0), output_field=BigIntegerField()),
            counterpart_value=Case(
                When(settlement__created_at__lt=end, then=F("settlement__counterpart_amount")),
                default=Value(0),
                output_field=BigIntegerField(),
            ),
            line_national=_line_sum("national_amount"),
            line_local=_line_sum("local_amount"),
            line_counterpart=_line_sum("counterpart_amount"),
            approved_value=Coalesce(F("approved_amount"), Value(0), output_field=BigIntegerField()),
        )
        .order_by()
    )
    in_quarter = Q(approved_at__gte=start)
    measures = {
        "count": Count("id"),
        "approved_in_quarter": Count("id", filter=in_quarter),
        "accepted_in_quarter": Count("id", filter=Q(accepted_at__gte=start, accepted_at__lt=end)),
        "settled_in_quarter": Count(
            "id", filter=Q(settlement__created_at__gte=start, settlement__created_at__lt=end)
        ),
        "approved": Sum("approved_value"),
        "disbursed": Sum("disbursed_value"),
    }
    labels = dict(ContentType.choices)
    by_type = {r["content_type"]: r for r in qs.values("content_type").annotate(**measures)}
    activities = [
        {**by_type[ct.value], "label": str(labels[ct.value])} for ct in ContentType if ct.value in by_type
    ]
    agg = qs.aggregate(
        **measures,
        planned_national=Sum("line_national"),
        planned_local=Sum("line_local"),
        planned_counterpart=Sum("line_counterpart"),
        approved_national=Sum("approved_value", filter=Q(funding_kind="national")),
        approved_local=Sum("approved_value", filter=Q(funding_kind="local")),
        disbursed_national=Sum("disbursed_value", filter=Q(funding_kind="national")),
        disbursed_local=Sum("disbursed_value", filter=Q(funding_kind="local")),
        counterpart_spent=Sum("counterpart_value"),
        **{f"planned_{f}": Sum(f) for f, _label in INDICATORS},
        **{f"achieved_{f}": Sum(f, filter=Q(accepted_at__lt=end)) for f, _label in INDICATORS},
    )
    agg = {k: v or 0 for k, v in agg.items()}
    funds = [
        FundLine(
            FundingSource.NATIONAL,
            str(FundingSource.NATIONAL.label),
            agg["planned_national"],
            agg["approved_national"],
            agg["disbursed_national"],
        ),
        FundLine(
            FundingSource.LOCAL,
            str(FundingSource.LOCAL.label),
            agg["planned_local"],
            agg["approved_local"],
            agg["disbursed_local"],
        ),
        FundLine(
            FundingSource.COUNTERPART,
            str(FundingSource.COUNTERPART.label),
            agg["planned_counterpart"],
            None,
            agg["counterpart_spent"],
        ),
    ]
    funds_total = FundLine(
        "",
        _("Kinh phí khuyến công (quốc gia + địa phương)"),
        agg["planned_national"] + agg["planned_local"],
        agg["approved"],
        agg["disbursed"],
    )
    indicators = [(f, str(label), agg[f"planned_{f}"], agg[f"achieved_{f}"]) for f, label in INDICATORS]
    statuses = dict(Status.choices)
    rows = list(
        qs.annotate(unit_name=Coalesce("district__name", "commune__name", "province__name"))
        .order_by("content_type", "tracking_code")
        .values(
            "pk",
            "tracking_code",
            "title",
            "content_type",
            "funding_kind",
            "status",
            "unit_name",
            "approved_value",
            "disbursed_value",
            "approved_at",
            "accepted_at",
        )
    )
    for r in rows:
        r["content_label"], r["status_label"] = str(labels[r["content_type"]]), str(statuses[r["status"]])
    total = {k: agg[k] for k in measures}
    return QuarterlyReport(year, quarter, start, end, activities, total, funds, funds_total, indicators, rows)


# ---------------------------------------------------------------------------------------------------------------
# Files


# People's text goes into the files as text, never as a formula (OWASP "CSV injection"): a spreadsheet runs a
# cell that starts with one of these.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_TEXT = re.compile(r"[+-]?\d+(?:[.,]\d+)*")


def csv_cell(value):
    """A CSV cell: text that a spreadsheet would read as a formula gets a leading apostrophe; numbers, and text
    that is only a number such as "-1.500", stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER_TEXT.fullmatch(value):
        return "'" + value
    return value


def _append(ws, values: Sequence) -> None:
    """One row; every text cell typed as a string (openpyxl would otherwise store "=…" as a formula)."""
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _autosize(ws, widths: Sequence[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _write_table(
    ws,
    title_lines: Sequence[str],
    header: Sequence[str],
    rows: Iterable[Sequence],
    money_columns: Iterable[int] = (),
    total: Sequence | None = None,
) -> None:
    """Title lines, a bold header, the rows, an optional bold total row; money columns as 1.234.567."""
    for line in title_lines:
        _append(ws, [line])
    if title_lines:
        ws.cell(row=1, column=1).font = Font(bold=True, size=13)
        ws.append([])
    _append(ws, header)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        _append(ws, row)
    if total is not None:
        _append(ws, total)
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    money_columns = list(money_columns)
    for row in ws.iter_rows(min_row=header_row + 1):
        for index in money_columns:
            row[index - 1].number_format = MONEY_FORMAT
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def _workbook_bytes(wb: Workbook, now: dt.datetime) -> bytes:
    wb.properties.creator = "Khuyến công"
    wb.properties.created = wb.properties.modified = now.astimezone(dt.UTC).replace(tzinfo=None)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def annual_plan_workbook(plan: AnnualPlan, *, scope: str, now: dt.datetime) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Kế hoạch")
    basis = _("đề án đã được phê duyệt") if plan.approved_only else _("đề án đã nộp, chưa bị từ chối hay rút")
    _write_table(
        ws,
        [
            _("KẾ HOẠCH KHUYẾN CÔNG NĂM %(year)s — KINH PHÍ THEO NỘI DUNG VÀ NGUỒN") % {"year": plan.year},
            _("Phạm vi: %(scope)s; %(basis)s; đơn vị tính: đồng") % {"scope": scope, "basis": basis},
            _("Lập lúc %(at)s") % {"at": now.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")},
        ],
        [
            _("STT"),
            _("Nội dung hoạt động"),
            _("Số đề án"),
            _("Tổng kinh phí"),
            _("KC quốc gia"),
            _("KC địa phương"),
            _("Đối ứng và nguồn khác"),
        ],
        [
            (i, r.label, r.proposals, r.total, r.national, r.local, r.counterpart)
            for i, r in enumerate(plan.rows, 1)
        ],
        money_columns=(4, 5, 6, 7),
        total=(
            "",
            plan.total.label,
            plan.total.proposals,
            plan.total.total,
            plan.total.national,
            plan.total.local,
            plan.total.counterpart,
        ),
    )
    _autosize(ws, (6, 60, 10, 18, 18, 18, 18))
    detail = wb.create_sheet(_("Danh sách đề án"))
    _write_table(
        detail,
        [],
        [
            _("Mã hồ sơ"),
            _("Tên đề án"),
            _("Nội dung hoạt động"),
            _("Địa bàn"),
            _("Trạng thái"),
            _("Tổng kinh phí"),
            _("KC quốc gia"),
            _("KC địa phương"),
            _("Đối ứng và nguồn khác"),
        ],
        [
            (
                d["tracking_code"],
                d["title"],
                d["content_label"],
                d["unit_name"],
                d["status_label"],
                d["total"],
                d["national"],
                d["local"],
                d["counterpart"],
            )
            for d in plan.detail
        ],
        money_columns=(6, 7, 8, 9),
    )
    _autosize(detail, (16, 50, 40, 20, 24, 18, 18, 18, 18))
    return _workbook_bytes(wb, now)


def quarterly_workbook(report: QuarterlyReport, *, scope: str, now: dt.datetime) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Hoạt động")
    period = _("Quý %(q)s năm %(y)s (lũy kế đến %(end)s)") % {
        "q": report.quarter,
        "y": report.year,
        "end": (report.end - dt.timedelta(days=1)).strftime("%d/%m/%Y"),
    }
    title = [
        _("BÁO CÁO TÌNH HÌNH THỰC HIỆN HOẠT ĐỘNG KHUYẾN CÔNG"),
        period,
        _("Phạm vi: %(scope)s; đơn vị tính: đồng") % {"scope": scope},
        _("Lập lúc %(at)s") % {"at": now.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")},
    ]
    t = report.activities_total
    _write_table(
        ws,
        title,
        [
            _("Nội dung hoạt động"),
            _("Số đề án (lũy kế)"),
            _("Phê duyệt trong quý"),
            _("Nghiệm thu trong quý"),
            _("Quyết toán trong quý"),
            _("Kinh phí phê duyệt"),
            _("Đã giải ngân"),
        ],
        [
            (
                a["label"],
                a["count"],
                a["approved_in_quarter"],
                a["accepted_in_quarter"],
                a["settled_in_quarter"],
                a["approved"] or 0,
                a["disbursed"] or 0,
            )
            for a in report.activities
        ],
        money_columns=(6, 7),
        total=(
            _("Tổng cộng"),
            t["count"],
            t["approved_in_quarter"],
            t["accepted_in_quarter"],
            t["settled_in_quarter"],
            t["approved"],
            t["disbursed"],
        ),
    )
    _autosize(ws, (60, 14, 14, 14, 14, 18, 18))
    funds = wb.create_sheet(_("Kinh phí"))
    _write_table(
        funds,
        [period],
        [_("Nguồn kinh phí"), _("Dự toán"), _("Phê duyệt"), _("Đã giải ngân"), _("Tỷ lệ giải ngân (%)")],
        [(f.label, f.planned, f.approved, f.disbursed, f.rate) for f in report.funds],
        money_columns=(2, 3, 4),
        total=(
            report.funds_total.label,
            report.funds_total.planned,
            report.funds_total.approved,
            report.funds_total.disbursed,
            report.funds_total.rate,
        ),
    )
    _autosize(funds, (50, 18, 18, 18, 16))
    indicators = wb.create_sheet(_("Chỉ tiêu"))
    _write_table(
        indicators,
        [period],
        [_("Chỉ tiêu"), _("Kế hoạch (đề án đã phê duyệt)"), _("Đã nghiệm thu")],
        [(label, planned, achieved) for _f, label, planned, achieved in report.indicators],
    )
    _autosize(indicators, (40, 26, 16))
    listing = wb.create_sheet(_("Danh sách đề án"))
    _write_table(
        listing,
        [],
        [
            _("Mã hồ sơ"),
            _("Tên đề án"),
            _("Nội dung hoạt động"),
            _("Địa bàn"),
            _("Trạng thái"),
            _("Phê duyệt"),
            _("Đã giải ngân"),
        ],
        [
            (
                r["tracking_code"],
                r["title"],
                r["content_label"],
                r["unit_name"],
                r["status_label"],
                r["approved_value"],
                r["disbursed_value"],
            )
            for r in report.proposals
        ],
        money_columns=(6, 7),
    )
    _autosize(listing, (16, 50, 40, 20, 24, 18, 18))
    return _workbook_bytes(wb, now)


# ---------------------------------------------------------------------------------------------------------------
# Exports of the auditor console


def audit_header() -> list[str]:
    return [
        _("Mã dòng"),
        _("Mã hồ sơ"),
        _("Số thứ tự"),
        _("Loại"),
        _("Thao tác"),
        _("Từ trạng thái"),
        _("Sang trạng thái"),
        _("Người thực hiện"),
        _("Thay mặt"),
        _("Vai trò"),
        _("Đơn vị"),
        _("Thời điểm"),
        _("Ý kiến"),
        _("Dữ liệu bước"),
        _("Địa chỉ IP"),
        _("Hash trước"),
        _("Hash"),
    ]


def audit_rows(events: QuerySet[TransitionEvent]) -> Iterable[list]:
    """One list per audit row, in the queryset's order, read in chunks."""
    for e in events.iterator(chunk_size=2000):
        yield [
            e.pk,
            e.proposal.tracking_code if e.proposal_id else "",
            e.seq,
            e.kind,
            e.trigger,
            e.from_status,
            e.to_status,
            e.actor.username if e.actor_id else "",
            e.on_behalf_of.username if e.on_behalf_of_id else "",
            e.role,
            e.unit.name if e.unit_id else "",
            e.created_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M:%S"),
            e.comment,
            json.dumps(e.data, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True),
            e.ip or "",
            e.prev_hash,
            e.hash,
        ]


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> tuple[bytes, int]:
    """UTF-8 with a byte-order mark (Excel opens Vietnamese text correctly); returns the bytes and the row count."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(v) for v in header])
    count = 0
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        count += 1
    return ("\ufeff" + out.getvalue()).encode("utf-8"), count


def xlsx_bytes(
    title: str, filters_line: str, header: Sequence[str], rows: Iterable[Sequence], *, now: dt.datetime
) -> tuple[bytes, int]:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = _("Nhật ký")
    materialised = list(rows)
    _write_table(ws, [title, filters_line], header, materialised)
    _autosize(ws, (10, 16, 8, 10, 16, 18, 18, 16, 16, 16, 20, 20, 40, 60, 14, 20, 20))
    return _workbook_bytes(wb, now), len(materialised)
