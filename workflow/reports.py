"""The statutory reports (the annual plan by content and funding source, the quarterly report to the Ministry)
and the exports of the auditor console: each report reads one row per đề án, with its sums computed in SQL,
adds them up in Python (the split of approved money by source is a rule per đề án, in whole đồng:
selectors_stats.approved_by_source), and a function turns them into the bytes of an Excel workbook (openpyxl)
or a CSV file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import BigIntegerField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from core import succession
from core.calendar import VN_TZ
from workflow.lifecycle import Status
from workflow.models import Advance, ContentType, FundingSource, Proposal, Settlement, TransitionEvent
from workflow.selectors_stats import RECORDED_AMOUNTS, approved_by_source, split_amount, with_recorded_amounts

MONEY_FORMAT = "#,##0"
PLAN_EXCLUDED = (Status.DRAFTED, Status.REJECTED, Status.WITHDRAWN)
APPROVED_STATUSES = (
    Status.APPROVED,
    Status.CONTRACTED,
    Status.IMPLEMENTED,
    Status.STOPPED,
    Status.SETTLEMENT_FILED,
    Status.SETTLED,
)


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


def plan_proposals(
    proposals: QuerySet[Proposal], *, year: int, approved_only: bool = False
) -> QuerySet[Proposal]:
    """The đề án of a plan year: all lodged and still alive, or only those approved."""
    qs = proposals.filter(plan_year=year)
    if approved_only:
        return qs.filter(status__in=APPROVED_STATUSES)
    return qs.exclude(status__in=PLAN_EXCLUDED)


PLACE = ("commune_id", "district_id", "province_id")


def _place(row: dict) -> str:
    """Today's unit of the đề án, the old units beside it for a record of the map before 1/7/2025."""
    return succession.place(row["commune_id"], row["district_id"], row["province_id"])[1]


def annual_plan(proposals: QuerySet[Proposal], *, year: int, approved_only: bool = False) -> AnnualPlan:
    """Money by content type and source. For the lodged plan: what the đề án request (their dự toán lines). For
    the approved plan: what was approved, split between the national and local sources as Sở Tài chính verified
    it (selectors_stats.approved_by_source), with the counterpart as committed in the dự toán."""
    selected = plan_proposals(proposals, year=year, approved_only=approved_only).values("pk")
    detail = list(
        with_recorded_amounts(Proposal.objects.filter(pk__in=selected))
        .order_by("content_type", "tracking_code")
        .values("pk", "tracking_code", "title", "content_type", "status", *PLACE, *RECORDED_AMOUNTS)
    )
    labels = dict(ContentType.choices)
    statuses = dict(Status.choices)
    sums: dict[str, list[int]] = {}
    for d in detail:
        if approved_only:
            d["national"], d["local"] = approved_by_source(d)
        else:
            d["national"], d["local"] = d["line_national"], d["line_local"]
        d["counterpart"] = d["line_counterpart"]
        d["total"] = d["national"] + d["local"] + d["counterpart"]
        d["content_label"], d["status_label"] = (
            str(labels.get(d["content_type"], "")),
            str(statuses[d["status"]]),
        )
        d["unit_name"] = _place(d)
        s = sums.setdefault(d["content_type"], [0, 0, 0, 0])
        for i, value in enumerate((1, d["national"], d["local"], d["counterpart"])):
            s[i] += value
    rows = [PlanRow(ct.value, str(ct.label), *sums[ct.value]) for ct in ContentType if ct.value in sums]
    total = PlanRow(
        "",
        _("Tổng cộng"),
        *(sum(r[i] for r in sums.values()) for i in range(4)),
    )
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


def _achieved(indicator: str, *, before: dt.datetime):
    """What the acceptance recorded against an indicator (the accept step's ``achieved`` in its audit row,
    workflow/services/steps.py check_accept), if it was recorded before ``before``; 0 when nothing was."""
    key = indicator.removeprefix("target_")
    return Coalesce(
        Subquery(
            TransitionEvent.objects.filter(proposal=OuterRef("pk"), trigger="accept", created_at__lt=before)
            .order_by("-seq")
            .annotate(value=Cast(KT(f"data__achieved__{key}"), IntegerField()))
            .values("value")[:1],
            output_field=IntegerField(),
        ),
        0,
        output_field=IntegerField(),
    )


def in_report(proposals: QuerySet[Proposal], *, year: int, start: dt.datetime, end: dt.datetime):
    """The đề án of a quarterly report: approved before the end of the quarter, of the plan year, or of an earlier
    plan year and still open at the start of the quarter (carried over: not yet settled — implementation,
    acceptance and settlement of a year's đề án run into the next year, TT 36/2013 Điều 18)."""
    settled_before = Settlement.objects.filter(proposal=OuterRef("pk"), created_at__lt=start)
    return (
        proposals.filter(Q(plan_year=year) | Q(plan_year__lt=year) & ~Exists(settled_before))
        .annotate(approved_at=_event_at("approve"))
        .filter(approved_at__lt=end)
    )


def quarterly_report(proposals: QuerySet[Proposal], *, year: int, quarter: int) -> QuarterlyReport:
    """The đề án in the report (``in_report``), cumulative to the end of the quarter (lũy kế), with what happened
    during the quarter.

    Money by source as recorded, never by the đề án's own source: planned = the dự toán lines; approved = the
    approved amount split as Sở Tài chính verified it (selectors_stats.approved_by_source); disbursed = the
    settlement's national and local amounts when settled by then, else the advances paid by then, which carry no
    source and are split in the proportion of the approved split. Indicators: planned = the đề án's targets;
    achieved = what the acceptance recorded (0 when it recorded nothing), never the targets."""
    start, end = quarter_bounds(year, quarter)
    paid = Subquery(
        Advance.objects.filter(proposal=OuterRef("pk"), state=Advance.State.PAID, decided_at__lt=end)
        .order_by()
        .values("proposal")
        .annotate(s=Sum("amount"))
        .values("s")[:1],
        output_field=BigIntegerField(),
    )
    qs = (
        with_recorded_amounts(in_report(proposals, year=year, start=start, end=end))
        .annotate(
            accepted_at=_event_at("accept"),
            settled_at=F("settlement__created_at"),
            settled_national=F("settlement__national_amount"),
            settled_local=F("settlement__local_amount"),
            settled_counterpart=F("settlement__counterpart_amount"),
            paid=Coalesce(paid, 0, output_field=BigIntegerField()),
            **{f"achieved_{f}": _achieved(f, before=end) for f, _label in INDICATORS},
        )
        .order_by("content_type", "tracking_code")
    )
    rows = list(
        qs.values(
            "pk",
            "tracking_code",
            "title",
            "plan_year",
            "content_type",
            "status",
            *PLACE,
            "approved_at",
            "accepted_at",
            "settled_at",
            "settled_national",
            "settled_local",
            "settled_counterpart",
            "paid",
            *RECORDED_AMOUNTS,
            *(f for f, _label in INDICATORS),
            *(f"achieved_{f}" for f, _label in INDICATORS),
        )
    )
    labels = dict(ContentType.choices)
    statuses = dict(Status.choices)
    measures = (
        "count",
        "approved_in_quarter",
        "accepted_in_quarter",
        "settled_in_quarter",
        "approved",
        "disbursed",
    )
    by_type: dict[str, dict] = {}
    money = dict.fromkeys(
        (
            "planned_national",
            "planned_local",
            "planned_counterpart",
            "approved_national",
            "approved_local",
            "disbursed_national",
            "disbursed_local",
            "counterpart_spent",
        ),
        0,
    )
    planned = dict.fromkeys((f for f, _label in INDICATORS), 0)
    achieved = dict(planned)
    for r in rows:
        national, local = approved_by_source(r)
        if r["settled_at"] is not None and r["settled_at"] < end:
            paid_national, paid_local = r["settled_national"], r["settled_local"]
            counterpart_spent = r["settled_counterpart"]
        else:
            paid_national, paid_local = split_amount(r["paid"], national, local, fallback=r["funding_kind"])
            counterpart_spent = 0
        r["approved_value"], r["disbursed_value"] = national + local, paid_national + paid_local
        r["content_label"], r["status_label"] = str(labels[r["content_type"]]), str(statuses[r["status"]])
        r["unit_name"] = _place(r)
        t = by_type.setdefault(r["content_type"], dict.fromkeys(measures, 0))
        t["count"] += 1
        t["approved_in_quarter"] += r["approved_at"] >= start
        t["accepted_in_quarter"] += r["accepted_at"] is not None and start <= r["accepted_at"] < end
        t["settled_in_quarter"] += r["settled_at"] is not None and start <= r["settled_at"] < end
        t["approved"] += r["approved_value"]
        t["disbursed"] += r["disbursed_value"]
        for key, value in (
            ("planned_national", r["line_national"]),
            ("planned_local", r["line_local"]),
            ("planned_counterpart", r["line_counterpart"]),
            ("approved_national", national),
            ("approved_local", local),
            ("disbursed_national", paid_national),
            ("disbursed_local", paid_local),
            ("counterpart_spent", counterpart_spent),
        ):
            money[key] += value
        for f in planned:
            planned[f] += r[f]
            achieved[f] += r[f"achieved_{f}"]
    activities = [
        {**by_type[ct.value], "content_type": ct.value, "label": str(labels[ct.value])}
        for ct in ContentType
        if ct.value in by_type
    ]
    total = {k: sum(t[k] for t in by_type.values()) for k in measures}
    funds = [
        FundLine(
            FundingSource.NATIONAL,
            str(FundingSource.NATIONAL.label),
            money["planned_national"],
            money["approved_national"],
            money["disbursed_national"],
        ),
        FundLine(
            FundingSource.LOCAL,
            str(FundingSource.LOCAL.label),
            money["planned_local"],
            money["approved_local"],
            money["disbursed_local"],
        ),
        FundLine(
            FundingSource.COUNTERPART,
            str(FundingSource.COUNTERPART.label),
            money["planned_counterpart"],
            None,
            money["counterpart_spent"],
        ),
    ]
    funds_total = FundLine(
        "",
        _("Kinh phí khuyến công (quốc gia + địa phương)"),
        money["planned_national"] + money["planned_local"],
        total["approved"],
        total["disbursed"],
    )
    indicators = [(f, str(label), planned[f], achieved[f]) for f, label in INDICATORS]
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
    basis = (
        _(
            "đề án đã được phê duyệt: kinh phí được phê duyệt, chia theo nguồn như Sở Tài chính thẩm tra; "
            "vốn đối ứng theo dự toán"
        )
        if plan.approved_only
        else _("đề án đã nộp, chưa bị từ chối hay rút: kinh phí theo dự toán đề nghị")
    )
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
        [_("Chỉ tiêu"), _("Kế hoạch (đề án đã phê duyệt)"), _("Đạt được (theo biên bản nghiệm thu)")],
        [(label, planned, achieved) for _f, label, planned, achieved in report.indicators],
    )
    _autosize(indicators, (40, 26, 16))
    listing = wb.create_sheet(_("Danh sách đề án"))
    _write_table(
        listing,
        [],
        [
            _("Mã hồ sơ"),
            _("Năm kế hoạch"),
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
                r["plan_year"],
                r["title"],
                r["content_label"],
                r["unit_name"],
                r["status_label"],
                r["approved_value"],
                r["disbursed_value"],
            )
            for r in report.proposals
        ],
        money_columns=(7, 8),
    )
    _autosize(listing, (16, 12, 50, 40, 20, 24, 18, 18))
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
            e.proposal.tracking_code if e.proposal else "",
            e.seq,
            e.kind,
            e.trigger,
            e.from_status,
            e.to_status,
            e.actor.username if e.actor else "",
            e.on_behalf_of.username if e.on_behalf_of else "",
            e.role,
            e.unit.name if e.unit else "",
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
