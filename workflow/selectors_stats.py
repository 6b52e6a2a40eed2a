"""Queries behind the auditor console and the leaders' dashboards. Every figure is aggregated in SQL over the
đề án a user may see (permissions.visible_proposals); only working-day arithmetic, which needs the holiday
calendar, and the split of approved money between the sources (a rule per đề án, in whole đồng, see
``approved_by_source``) are done in Python over one result set."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import BigIntegerField, Count, F, Min, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import Coalesce, Lead, TruncDate
from django.utils.translation import gettext as _

from core import succession
from core.calendar import VN_TZ, WorkingCalendar
from core.models import User
from core.units import unit_names
from workflow.lifecycle import Status
from workflow.models import (
    BudgetLine,
    FinanceVerification,
    FundingSource,
    Proposal,
    Settlement,
    Task,
    TransitionEvent,
)
from workflow.permissions import visible_proposals

# ---------------------------------------------------------------------------------------------------------------
# Auditor console


@dataclass
class EventFilters:
    """The console's filters; every field optional."""

    proposal: str = ""  # tracking code (exact) or a word of the title
    actor: str = ""  # username (exact) or part of the name
    unit: int | None = None
    trigger: str = ""
    status: str = ""  # the status left or entered
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive, local day

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in self.__dict__.items() if v}


def scoped_events(user: User) -> QuerySet[TransitionEvent]:
    """Audit rows an auditor may read: those of the đề án in scope, and the rows about no single đề án
    (delegations, exports, verifications) recorded in the auditor's own unit."""
    qs = TransitionEvent.objects.all()
    if user.is_superuser:
        return qs
    cond = Q(proposal__in=visible_proposals(user).values("pk"))
    if user.unit_id:
        cond |= Q(proposal__isnull=True, unit_id=user.unit_id)
    return qs.filter(cond)


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=VN_TZ)


def audit_events(user: User, filters: EventFilters) -> QuerySet[TransitionEvent]:
    """The filtered audit rows in scope, newest first, with what a row's display needs joined in."""
    f = filters
    qs = scoped_events(user)
    if f.proposal:
        term = f.proposal.strip()
        qs = qs.filter(Q(proposal__tracking_code__iexact=term) | Q(proposal__title__icontains=term))
    if f.actor:
        term = f.actor.strip()
        qs = qs.filter(
            Q(actor__username__iexact=term)
            | Q(actor__first_name__icontains=term)
            | Q(actor__last_name__icontains=term)
        )
    if f.unit:
        qs = qs.filter(unit_id=f.unit)
    if f.trigger:
        qs = qs.filter(trigger=f.trigger)
    if f.status:
        qs = qs.filter(Q(from_status=f.status) | Q(to_status=f.status))
    if f.date_from:
        qs = qs.filter(created_at__gte=_local_midnight(f.date_from))
    if f.date_to:
        qs = qs.filter(created_at__lt=_local_midnight(f.date_to + dt.timedelta(days=1)))
    return qs.select_related("proposal", "actor", "on_behalf_of", "unit").order_by("-created_at", "-id")


def event_choices(user: User) -> dict[str, list]:
    """The values the console's filter lists offer: triggers and units that occur in scope."""
    qs = scoped_events(user)
    triggers = list(qs.order_by("trigger").values_list("trigger", flat=True).distinct())
    units = list(
        qs.filter(unit__isnull=False).order_by("unit__name").values_list("unit_id", "unit__name").distinct()
    )
    return {"triggers": triggers, "units": units}


def recent_exports(user: User, *, limit: int = 5) -> list[TransitionEvent]:
    """The user's own last exports (the audit rows that record them, with their hashes)."""
    return list(
        TransitionEvent.objects.filter(
            proposal__isnull=True, kind="action", trigger="export", actor=user
        ).order_by("-created_at", "-id")[:limit]
    )


# ---------------------------------------------------------------------------------------------------------------
# Dashboards


def dashboard_proposals(user: User, *, plan_year: int | None = None) -> QuerySet[Proposal]:
    qs = visible_proposals(user)
    if plan_year:
        qs = qs.filter(plan_year=plan_year)
    return qs


@dataclass
class Matrix:
    """Counts in rows (units) × columns (statuses), with totals both ways."""

    columns: list[tuple[str, str]]
    rows: list[tuple[str, list[int], int]]
    totals: list[int]
    total: int


def status_by_unit(proposals: QuerySet[Proposal]) -> Matrix:
    """Đề án by status and by the unit of today's map they are located in (the commune, or the district of a
    record without one, followed to its successor): records of the map before 1/7/2025 are counted under today's
    unit, with the old units they came from named beside it."""
    groups: dict[int | None, tuple[set[int], dict[str, int]]] = {}
    for row in (
        proposals.order_by()
        .values("commune_id", "district_id", "province_id", "status")
        .annotate(n=Count("id"))
    ):
        first = succession.reporting_unit(row["commune_id"], row["district_id"], row["province_id"])
        today = succession.latest(first)
        olds, cells = groups.setdefault(today, (set(), {}))
        if today != first:
            olds.update(pk for pk in (row["commune_id"], row["district_id"]) if pk)
        cells[row["status"]] = cells.get(row["status"], 0) + row["n"]
    names = unit_names([pk for today, (olds, _cells) in groups.items() for pk in (today, *olds)])
    by_unit: dict[str, dict[str, int]] = {}
    for today, (olds, cells) in groups.items():
        label = names.get(today, "") if today else ""
        if olds:
            old = ", ".join(sorted(names.get(pk, "") for pk in olds))
            label = _("%(today)s (gồm đề án trước 1/7/2025 của %(old)s)") % {"today": label, "old": old}
        merged = by_unit.setdefault(label, {})
        for status, n in cells.items():
            merged[status] = merged.get(status, 0) + n
    present = {s for cells in by_unit.values() for s in cells}
    columns = [(s.value, str(s.label)) for s in Status if s.value in present]
    rows = []
    for name in sorted(by_unit):
        cells_row = [by_unit[name].get(code, 0) for code, _label in columns]
        rows.append((name, cells_row, sum(cells_row)))
    totals = [sum(r[1][i] for r in rows) for i in range(len(columns))]
    return Matrix(columns, rows, totals, sum(totals))


# Who holds a task: the unit (a queue of officers) or, for its own obligations, the implementing organisation.
HOLDER = Coalesce("unit__name", "organisation__name")


@dataclass(frozen=True)
class OverdueRow:
    unit: str
    count: int
    oldest_due_at: dt.datetime


def overdue_by_unit(proposals: QuerySet[Proposal], *, now: dt.datetime) -> list[OverdueRow]:
    """Open tasks past their deadline, by the unit that holds them."""
    rows = (
        Task.objects.filter(proposal__in=proposals.values("pk"), completed_at__isnull=True, due_at__lt=now)
        .order_by()
        .annotate(holder=HOLDER)
        .values("holder")
        .annotate(n=Count("id"), oldest=Min("due_at"))
        .order_by("-n", "holder")
    )
    return [OverdueRow(r["holder"], r["n"], r["oldest"]) for r in rows]


@dataclass(frozen=True)
class OnTimeRow:
    """Completed tasks of a unit, told apart as Vietnamese one-stop statistics do: finished before the due day
    (trước hạn), on the due day by the deadline (đúng hạn), after the deadline (quá hạn)."""

    unit: str
    before: int
    on: int
    after: int

    @property
    def total(self) -> int:
        return self.before + self.on + self.after

    @property
    def on_time_rate(self) -> float | None:
        """Share finished by the deadline (before or on), in per cent."""
        return round(100 * (self.before + self.on) / self.total, 1) if self.total else None


def on_time_by_unit(
    proposals: QuerySet[Proposal],
    *,
    completed_from: dt.date | None = None,
    completed_to: dt.date | None = None,
) -> list[OnTimeRow]:
    qs = Task.objects.filter(
        proposal__in=proposals.values("pk"), completed_at__isnull=False, due_at__isnull=False
    )
    qs = qs.exclude(outcome=Task.Outcome.CANCELLED)
    if completed_from:
        qs = qs.filter(completed_at__gte=_local_midnight(completed_from))
    if completed_to:
        qs = qs.filter(completed_at__lt=_local_midnight(completed_to + dt.timedelta(days=1)))
    rows = (
        qs.order_by()
        .alias(done_day=TruncDate("completed_at", tzinfo=VN_TZ), due_day=TruncDate("due_at", tzinfo=VN_TZ))
        .annotate(holder=HOLDER)
        .values("holder")
        .annotate(
            after=Count("id", filter=Q(completed_at__gt=F("due_at"))),
            before=Count("id", filter=Q(completed_at__lte=F("due_at"), done_day__lt=F("due_day"))),
            on=Count("id", filter=Q(completed_at__lte=F("due_at"), done_day__gte=F("due_day"))),
        )
        .order_by("holder")
    )
    return [OnTimeRow(r["holder"], r["before"], r["on"], r["after"]) for r in rows]


@dataclass(frozen=True)
class DurationRow:
    status: str
    label: str
    spans: int
    average: float
    p90: int
    longest: int


def percentile(values: list[int], p: float) -> int:
    """Nearest-rank percentile: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


class WorkingDayCounter:
    """working_days_between for many pairs of days at once: prefix sums over the span of days involved."""

    def __init__(self, calendar: WorkingCalendar, first: dt.date, last: dt.date):
        self.first = first
        self.cumulative = [0]
        day = first
        while day < last:
            day += dt.timedelta(days=1)
            self.cumulative.append(self.cumulative[-1] + (1 if calendar.is_working_day(day) else 0))

    def between(self, a: dt.date, b: dt.date) -> int:
        """Working days in (a, b], as WorkingCalendar.working_days_between."""
        return self.cumulative[(b - self.first).days] - self.cumulative[(a - self.first).days]


def status_durations(
    proposals: QuerySet[Proposal], *, calendar: WorkingCalendar | None = None
) -> list[DurationRow]:
    """Average and 90th percentile of working days spent in each status, over the stays that have ended
    (a stay starts with the transition into the status and ends with the next transition out of it)."""
    spans = (
        TransitionEvent.objects.filter(
            proposal__in=proposals.values("pk"), kind=TransitionEvent.Kind.TRANSITION
        )
        .annotate(
            ended_at=Window(Lead("created_at"), partition_by=[F("proposal_id")], order_by=F("seq").asc())
        )
        .values_list("to_status", "created_at", "ended_at")
    )
    closed = [
        (s, a.astimezone(VN_TZ).date(), b.astimezone(VN_TZ).date()) for s, a, b in spans if b is not None
    ]
    if not closed:
        return []
    counter = WorkingDayCounter(
        calendar or WorkingCalendar.load(), min(a for _s, a, _b in closed), max(b for _s, _a, b in closed)
    )
    days: dict[str, list[int]] = {}
    for status, a, b in closed:
        days.setdefault(status, []).append(counter.between(a, b))
    return [
        DurationRow(
            s.value,
            str(s.label),
            len(days[s.value]),
            round(sum(days[s.value]) / len(days[s.value]), 1),
            percentile(days[s.value], 90),
            max(days[s.value]),
        )
        for s in Status
        if s.value in days
    ]


# ---------------------------------------------------------------------------------------------------------------
# Money by funding source, as recorded


def line_sum(column: str):
    """The đề án's dự toán lines summed for one source column (0 without lines)."""
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


def with_recorded_amounts(proposals: QuerySet[Proposal]) -> QuerySet[Proposal]:
    """Each đề án with what ``approved_by_source`` reads: the dự toán by source (line_national, line_local,
    line_counterpart) and the split of Sở Tài chính's latest verification (verified_national, verified_local;
    None when the đề án was never verified)."""
    latest = FinanceVerification.objects.filter(proposal=OuterRef("pk")).order_by("-created_at", "-pk")
    return proposals.annotate(
        line_national=line_sum("national_amount"),
        line_local=line_sum("local_amount"),
        line_counterpart=line_sum("counterpart_amount"),
        verified_national=Subquery(latest.values("national_amount")[:1], output_field=BigIntegerField()),
        verified_local=Subquery(latest.values("local_amount")[:1], output_field=BigIntegerField()),
    )


RECORDED_AMOUNTS = (
    "funding_kind",
    "approved_amount",
    "line_national",
    "line_local",
    "line_counterpart",
    "verified_national",
    "verified_local",
)


def split_amount(amount: int, national: int, local: int, *, fallback: str) -> tuple[int, int]:
    """``amount`` shared between the national and the local source in the proportion ``national : local``, in
    whole đồng: the national share rounded down, the local share the rest (the two add up to ``amount``). With
    no proportion to follow (both 0), all of it goes to the ``fallback`` source."""
    if not amount:
        return 0, 0
    weight = national + local
    if weight <= 0:
        return (amount, 0) if fallback == FundingSource.NATIONAL else (0, amount)
    share = amount * national // weight
    return share, amount - share


def approved_by_source(row: dict) -> tuple[int, int]:
    """The approved khuyến công support of one đề án (a row of ``with_recorded_amounts``), split into
    (national, local).

    The rule: the approval decision records one amount (``Approval.amount``, at most the verified total); the
    split between the national and local budgets is what Sở Tài chính recorded when it verified the đề án
    (``FinanceVerification``, the latest one). An approval of the verified total keeps the verified split
    exactly; a smaller approval reduces both sources in the verified proportion (``split_amount``). Only a đề án
    with no verification on record (data from before the step) follows the proportion of its dự toán lines, and
    with neither, its own source (``funding_kind``). The beneficiary's counterpart is not decided by the approval:
    it stays as committed in the dự toán."""
    approved = row["approved_amount"] or 0
    national, local = row["verified_national"], row["verified_local"]
    if national is None or local is None or national + local <= 0:
        national, local = row["line_national"], row["line_local"]
    return split_amount(approved, national, local, fallback=row["funding_kind"])


@dataclass
class FundsRow:
    source: str
    label: str
    requested: int = 0
    approved: int | None = None
    advanced: int | None = None
    settled: int = 0
    extra: dict = field(default_factory=dict)


def funds_by_source(proposals: QuerySet[Proposal]) -> list[FundsRow]:
    """Funds requested (the dự toán lines), approved (split by source as recorded: ``approved_by_source``),
    advanced (advances carry no source: split in the proportion of the approved split) and settled (the
    settlement's own split), per source."""
    pks = proposals.values("pk")
    requested = BudgetLine.objects.filter(proposal__in=pks).aggregate(
        national=Coalesce(Sum("national_amount"), 0),
        local=Coalesce(Sum("local_amount"), 0),
        counterpart=Coalesce(Sum("counterpart_amount"), 0),
    )
    approved = {FundingSource.NATIONAL: 0, FundingSource.LOCAL: 0}
    advanced = dict(approved)
    decided = with_recorded_amounts(Proposal.objects.filter(pk__in=pks, approved_amount__isnull=False))
    for row in decided.order_by().values(*RECORDED_AMOUNTS, "advanced_amount"):
        national, local = approved_by_source(row)
        paid_national, paid_local = split_amount(
            row["advanced_amount"], national, local, fallback=row["funding_kind"]
        )
        approved[FundingSource.NATIONAL] += national
        approved[FundingSource.LOCAL] += local
        advanced[FundingSource.NATIONAL] += paid_national
        advanced[FundingSource.LOCAL] += paid_local
    settled = Settlement.objects.filter(proposal__in=pks).aggregate(
        national=Coalesce(Sum("national_amount"), 0),
        local=Coalesce(Sum("local_amount"), 0),
        counterpart=Coalesce(Sum("counterpart_amount"), 0),
    )
    rows = []
    for source in FundingSource:
        row = FundsRow(
            source.value, str(source.label), requested[source.value], settled=settled[source.value]
        )
        if source != FundingSource.COUNTERPART:
            row.approved, row.advanced = approved[source], advanced[source]
        rows.append(row)
    return rows


def plan_years(user: User) -> list[int]:
    return list(visible_proposals(user).order_by("-plan_year").values_list("plan_year", flat=True).distinct())
