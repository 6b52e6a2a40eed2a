"""Queries: what a user may see, task lists, history. Interfaces call these; they never filter by hand."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from core.calendar import WorkingCalendar
from core.models import User
from workflow.lifecycle import Status
from workflow.models import Proposal, Task, TransitionEvent
from workflow.permissions import visible_proposals

BOXES = ("inbox", "queue", "archive")


def proposals_for(user: User) -> QuerySet[Proposal]:
    return visible_proposals(user)


def inbox(user: User) -> QuerySet[Task]:
    """My open tasks, earliest deadline first."""
    return Task.objects.filter(assignee=user, completed_at__isnull=True)


def queue(user: User) -> QuerySet[Task]:
    """Unassigned open tasks of my roles in my unit."""
    if not user.unit_id:
        return Task.objects.none()
    return Task.objects.filter(
        assignee__isnull=True,
        completed_at__isnull=True,
        unit_id=user.unit_id,
        role__in=sorted(user.role_names),
    )


def archive(user: User) -> QuerySet[Task]:
    return Task.objects.filter(completed_by=user, completed_at__isnull=False)


def box_counts(user: User) -> dict[str, int]:
    return {"inbox": inbox(user).count(), "queue": queue(user).count()}


def due_soon_limit(now: dt.datetime, calendar: WorkingCalendar | None = None) -> dt.datetime:
    """Deadlines before this moment are "due soon" (N working days, settings.KHUYENCONG)."""
    calendar = calendar or WorkingCalendar.load()
    return calendar.due_at(now, settings.KHUYENCONG["DUE_SOON_WORKING_DAYS"])


@dataclass
class TaskFilters:
    status: str = ""
    content_type: str = ""
    plan_year: int | None = None
    unit: int | None = None  # the đề án's district or commune
    due: str = ""  # overdue | soon | ok
    q: str = ""


@dataclass
class TaskPage:
    rows: list[Task]
    next_cursor: str | None
    filters: TaskFilters
    soon_limit: dt.datetime | None = None
    extra: dict = field(default_factory=dict)


class RowAfter(Func):
    """``(a, b) > (x, y)``: a row comparison, which PostgreSQL (and SQLite) serve as one range of an index on
    (…, a, b) — unlike ``a > x OR (a = x AND b > y)``, which makes the index be read from its start."""

    arity = 4
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, p = compiler.compile(expression)
            parts.append(sql)
            params.extend(p)
        return f"({parts[0]}, {parts[1]}) > ({parts[2]}, {parts[3]})", params


def _encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def _decode(cursor: str) -> list | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        return values if isinstance(values, list) and len(values) == 2 else None
    except (ValueError, UnicodeDecodeError):
        return None


def task_page(
    user: User, box: str, *, now: dt.datetime, filters: TaskFilters, cursor: str = "", size: int = 25
) -> TaskPage:
    """One page of a task box with keyset pagination: a fixed number of queries whatever its length."""
    qs = {"inbox": inbox, "queue": queue, "archive": archive}[box](user)
    f = filters
    if f.status:
        qs = qs.filter(status=f.status)
    if f.content_type:
        qs = qs.filter(proposal__content_type=f.content_type)
    if f.plan_year:
        qs = qs.filter(proposal__plan_year=f.plan_year)
    if f.unit:
        qs = qs.filter(Q(proposal__district_id=f.unit) | Q(proposal__commune_id=f.unit))
    if f.q:
        qs = qs.filter(
            Q(proposal__tracking_code__iexact=f.q.strip()) | Q(proposal__title__icontains=f.q.strip())
        )
    soon = None
    if box != "archive":
        soon = due_soon_limit(now)
        if f.due == "overdue":
            qs = qs.filter(due_at__lt=now)
        elif f.due == "soon":
            qs = qs.filter(due_at__gte=now, due_at__lt=soon)
        elif f.due == "ok":
            qs = qs.filter(Q(due_at__gte=soon) | Q(due_at__isnull=True))
    position = _decode(cursor) if cursor else None
    if box == "archive":
        if position:
            at, pk = dt.datetime.fromisoformat(position[0]), int(position[1])
            # completed_at <= at is the index range (task_archive_idx); the OR only trims the equal keys.
            qs = qs.filter(Q(completed_at__lte=at) & (Q(completed_at__lt=at) | Q(id__lt=pk)))
        rows = _page_rows(qs.order_by("-completed_at", "-id"), size + 1)
    else:
        qs = qs.order_by(F("due_at").asc(nulls_last=True), "id")
        if not position:
            rows = _page_rows(qs, size + 1)
        elif position[0] is None:
            rows = _page_rows(qs.filter(due_at__isnull=True, id__gt=int(position[1])), size + 1)
        else:
            at, pk = dt.datetime.fromisoformat(position[0]), int(position[1])
            # (due_at, id) > (at, pk) is one range of the partial index (task_queue_idx / task_inbox_idx), so a
            # deep page costs what the first one does; the tasks with no deadline sort last and are read only by
            # the page that reaches them (a second query, on the same index).
            rows = _page_rows(qs.filter(RowAfter(F("due_at"), F("id"), Value(at), Value(pk))), size + 1)
            if len(rows) <= size:
                rows += _page_rows(qs.filter(due_at__isnull=True), size + 1 - len(rows))
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        key = last.completed_at if box == "archive" else last.due_at
        next_cursor = _encode([key.isoformat() if key else None, last.pk])
    steps = dict(Status.choices)
    for task in rows:
        task.step = steps.get(
            task.status, task.status
        )  # the label once per status, not a get_FOO_display each
        task.due_state = _due_state(task, now, soon)
        p = task.proposal
        task.dossier_late = bool(
            p.dossier_due_at
            and p.dossier_due_at < (task.completed_at or now)
            and p.status in ("lodged", "district_submitted", "appraised", "finance_verified")
        )
    return TaskPage(rows, next_cursor, filters, soon)


# What a task list shows of each row (the task box template and the due/late flags below): only these columns
# of the task and its đề án, and the place's name; a page is 26 tasks and their đề án, nothing else built.
PAGE_COLUMNS = (
    *(f.name for f in Task._meta.concrete_fields),
    "proposal__tracking_code",
    "proposal__title",
    "proposal__status",
    "proposal__dossier_due_at",
)


def _page_rows(qs: QuerySet[Task], limit: int) -> list[Task]:
    # The page's ids come from a subquery that walks the partial index in order and stops after ``limit``
    # entries; only those rows are joined for display. Joining first lets PostgreSQL misjudge how many tasks lie
    # past a deep cursor and join and sort all of them.
    page = qs.values("pk")[:limit]
    return list(
        Task.objects.filter(pk__in=page)
        .order_by(*qs.query.order_by)
        .select_related("proposal")
        .only(*PAGE_COLUMNS)
        .annotate(place=Coalesce("proposal__commune__name", "proposal__district__name", Value("")))
    )


def _due_state(task: Task, now: dt.datetime, soon: dt.datetime | None) -> str:
    if task.due_at is None:
        return "none"
    if task.completed_at is not None:
        return "late" if task.completed_at > task.due_at else "on_time"
    if task.due_at < now:
        return "overdue"
    if soon and task.due_at < soon:
        return "soon"
    return "ok"


# What a history shows of the people and units it joins (their names): not their password hashes, e-mail
# addresses and the rest, which made the joined rows several times wider than the events themselves.
HISTORY_JOINED = tuple(
    f"{rel}__{name}" for rel in ("actor", "on_behalf_of") for name in ("username", "first_name", "last_name")
) + ("unit__name",)


def history(proposal: Proposal) -> QuerySet[TransitionEvent]:
    return (
        TransitionEvent.objects.filter(proposal=proposal)
        .select_related("actor", "on_behalf_of", "unit")
        .only(*(f.name for f in TransitionEvent._meta.concrete_fields), *HISTORY_JOINED)
        .order_by("seq")
    )


@dataclass(frozen=True)
class StatusSpan:
    status: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    working_days: int
    holder: str


def time_in_status(
    proposal: Proposal, events: list[TransitionEvent], *, now: dt.datetime
) -> list[StatusSpan]:
    """How long the đề án stayed in each status (working days), from its transition events."""
    calendar = WorkingCalendar.load()
    transitions = [e for e in events if e.kind == "transition"]
    spans = []
    for i, event in enumerate(transitions):
        end = transitions[i + 1].created_at if i + 1 < len(transitions) else None
        holder = transitions[i + 1].actor if i + 1 < len(transitions) else None
        from core.calendar import VN_TZ

        days = calendar.working_days_between(
            event.created_at.astimezone(VN_TZ).date(), (end or now).astimezone(VN_TZ).date()
        )
        spans.append(StatusSpan(event.to_status, event.created_at, end, days, str(holder or "")))
    return spans
