"""Queries: what a user may see, task lists, history. Interfaces call these; they never filter by hand."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, QuerySet

from core.calendar import WorkingCalendar
from core.db import binary_cursor, datetime_converter, fetch_generic
from core.models import User
from core.roles import Role
from core.units import unit_names
from workflow.lifecycle import Status
from workflow.models import HASHED_FIELDS, Proposal, Task, TransitionEvent
from workflow.permissions import visible_proposals

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

BOXES = ("inbox", "queue", "archive")


def proposals_for(user: User) -> QuerySet[Proposal]:
    return visible_proposals(user)


def inbox(user: User) -> QuerySet[Task]:
    """My open tasks, earliest deadline first."""
    return Task.objects.filter(assignee=user, completed_at__isnull=True)


def queue(user: User) -> QuerySet[Task]:
    """Unassigned open tasks of my roles in my unit; for the Cục's officers, the national queue."""
    if not user.unit_id:
        if user.has_role(Role.MINISTRY):
            return Task.objects.filter(
                assignee__isnull=True,
                completed_at__isnull=True,
                unit__isnull=True,
                organisation__isnull=True,
                role=Role.MINISTRY,
            )
        return Task.objects.none()
    return Task.objects.filter(
        assignee__isnull=True,
        completed_at__isnull=True,
        unit_id=user.unit_id,
        role__in=sorted(user.role_names),
    )


def archive(user: User) -> QuerySet[Task]:
    return Task.objects.filter(completed_by=user, completed_at__isnull=False)


def box_counts(user: User, cap: int | None = None) -> dict[str, int]:
    """The menu's two counts, ``inbox(user).count()`` and ``queue(user).count()``, in one statement: every
    staff page shows them, and each count through the ORM cost more to compile than to run. Each subquery
    reads its box's partial index, and stops after ``cap + 1`` tasks (settings.KHUYENCONG["MENU_COUNT_CAP"]):
    a count above ``cap`` is shown as "cap+" (``count_label``), whatever the length of the queue."""
    if cap is None:
        cap = settings.KHUYENCONG["MENU_COUNT_CAP"]
    limit = f" LIMIT {int(cap) + 1:d}"  # a literal, as the page size of task_page: one generic plan
    roles = sorted(user.role_names)
    queue_sql = "0"
    params: list[int | str] = [user.pk]
    if user.unit_id and roles:
        queue_sql = (
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM {_TASK} WHERE role IN ({', '.join(['%s'] * len(roles))})"  # noqa: S608
            f" AND unit_id = %s AND assignee_id IS NULL AND completed_at IS NULL{limit}) AS waiting)"
        )
        params += [*roles, user.unit_id]
    elif not user.unit_id and Role.MINISTRY in roles:
        queue_sql = (
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM {_TASK} WHERE role = %s AND unit_id IS NULL"  # noqa: S608
            f" AND organisation_id IS NULL AND assignee_id IS NULL AND completed_at IS NULL{limit}) AS waiting)"
        )
        params += [str(Role.MINISTRY)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM {_TASK} WHERE assignee_id = %s"  # noqa: S608
            f" AND completed_at IS NULL{limit}) AS mine), " + queue_sql,
            params,
        )
        mine, waiting = cursor.fetchone()
    return {"inbox": mine, "queue": waiting}


def count_label(count: int, cap: int | None = None) -> str:
    """A menu count as printed: the digits, or "999+" above the cap (no thousands separator either way)."""
    if cap is None:
        cap = settings.KHUYENCONG["MENU_COUNT_CAP"]
    return f"{cap}+" if count > cap else str(count)


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


@dataclass(slots=True)
class PageProposal:
    """What a task list shows of a đề án."""

    pk: int
    tracking_code: str
    title: str
    status: str
    dossier_due_at: dt.datetime | None


@dataclass(slots=True)
class TaskRow:
    """One row of a task list: the task's columns, its đề án's and the place's name; no model instance."""

    pk: int
    proposal_id: int
    status: str
    role: str
    unit_id: int
    assignee_id: int | None
    claimed_at: dt.datetime | None
    created_at: dt.datetime
    due_at: dt.datetime | None
    completed_at: dt.datetime | None
    completed_by_id: int | None
    outcome: str
    proposal: PageProposal
    place: str
    step: StrOrPromise = ""  # the status's lazy label
    due_state: str = ""
    dossier_late: bool = False

    @property
    def id(self) -> int:
        return self.pk


@dataclass
class TaskPage:
    rows: list[TaskRow]
    next_cursor: str | None
    filters: TaskFilters
    soon_limit: dt.datetime | None = None
    extra: dict = field(default_factory=dict)

    def shown_until(self, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
        """``(by, soon_by)``: the rows' deadline badges and dossier flags (``_due_state``, ``dossier_late``) stay
        as computed at ``now`` while the clock is at most ``by`` and ``due_soon_limit(clock)`` at most
        ``soon_by``; None: no such moment on this page."""
        by = soon_by = None
        for task in self.rows:
            if task.completed_at is not None:
                continue  # a finished task's badges no longer move
            due, dossier_due = task.due_at, task.proposal.dossier_due_at
            if due is not None and due >= now:
                by = due if by is None else min(by, due)
                if self.soon_limit is not None and due >= self.soon_limit:
                    soon_by = due if soon_by is None else min(soon_by, due)
            if dossier_due is not None and dossier_due >= now:
                by = dossier_due if by is None else min(by, dossier_due)
        return by, soon_by


def _encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def _decode(cursor: str) -> list | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        return values if isinstance(values, list) and len(values) == 2 else None
    except (ValueError, UnicodeDecodeError):
        return None


def _like(value: str) -> str:
    """``%value%`` for LIKE, its own % _ and \\ taken literally (what ``icontains`` does)."""
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_TASK = Task._meta.db_table
_PROPOSAL = Proposal._meta.db_table
_TASK_COLUMNS = (
    "id",
    "proposal_id",
    "status",
    "role",
    "unit_id",
    "assignee_id",
    "claimed_at",
    "created_at",
    "due_at",
    "completed_at",
    "completed_by_id",
    "outcome",
)
# The page's ids come from a derived table that walks the box's partial index in order and stops after
# ``limit`` entries; only those rows are joined for display. Joining first lets PostgreSQL misjudge how many
# tasks lie past a deep cursor and join and sort all of them. The place's name comes from the per-process copy
# of the unit names (core.units.unit_names): two more joins tripled the statement's planning time.
# Built from the constants here only: every value, the user's included, is a query parameter (the page size,
# an int, is written in).
_PAGE_SQL = (
    "SELECT "  # noqa: S608
    + ", ".join(f"t.{c}" for c in _TASK_COLUMNS)
    + ", p.tracking_code, p.title, p.status, p.dossier_due_at, p.commune_id, p.district_id"
    + " FROM (SELECT s.id FROM {source} WHERE {where} ORDER BY {order} LIMIT {limit:d}) k"
    + f" JOIN {_TASK} t ON t.id = k.id JOIN {_PROPOSAL} p ON p.id = t.proposal_id ORDER BY {{outer}}"
)
_OPEN_ORDER = "{a}.due_at ASC NULLS LAST, {a}.id ASC"
_ARCHIVE_ORDER = "{a}.completed_at DESC, {a}.id DESC"


def _box_where(user: User, box: str) -> tuple[list[str], list] | None:
    """The box's conditions on the task (alias ``s``), the ones its partial index serves; None: an empty box."""
    if box == "inbox":
        return ["s.assignee_id = %s", "s.completed_at IS NULL"], [user.pk]
    if box == "archive":
        return ["s.completed_by_id = %s", "s.completed_at IS NOT NULL"], [user.pk]
    roles = sorted(user.role_names)
    if not user.unit_id and Role.MINISTRY in roles:
        # The Cục's one national queue, as ``queue`` above: no unit, no organisation.
        return (
            [
                "s.role = %s",
                "s.unit_id IS NULL",
                "s.organisation_id IS NULL",
                "s.assignee_id IS NULL",
                "s.completed_at IS NULL",
            ],
            [str(Role.MINISTRY)],
        )
    if not user.unit_id or not roles:
        return None
    return (
        [
            "s.role IN (" + ", ".join(["%s"] * len(roles)) + ")",
            "s.unit_id = %s",
            "s.assignee_id IS NULL",
            "s.completed_at IS NULL",
        ],
        [*roles, user.unit_id],
    )


def task_page(
    user: User, box: str, *, now: dt.datetime, filters: TaskFilters, cursor: str = "", size: int = 25
) -> TaskPage:
    """One page of a task box with keyset pagination: one query (two for the page where the tasks with no
    deadline begin) whatever the box's length, and rows built without model instances.

    The SQL is written here rather than compiled by the ORM: this is the page every officer opens all day, and
    building the same queryset and 26 model instances cost 3–8 ms a page against well under 1 ms of SQL
    (docs/adr/0003-hot-paths.md). The box conditions mirror ``inbox``/``queue``/``archive`` above, which the
    counts and the API use; tests compare both."""
    if box not in BOXES:
        raise ValueError(box)
    base = _box_where(user, box)
    soon = due_soon_limit(now) if box != "archive" else None
    if base is None:
        return TaskPage([], None, filters, soon)
    where, params = base
    f, ops, convert = filters, connection.ops, datetime_converter()
    joins_proposal = bool(f.content_type or f.plan_year or f.unit or f.q)
    if f.status:
        where.append("s.status = %s")
        params.append(f.status)
    if f.content_type:
        where.append("fp.content_type = %s")
        params.append(f.content_type)
    if f.plan_year:
        where.append("fp.plan_year = %s")
        params.append(f.plan_year)
    if f.unit:
        where.append("(fp.district_id = %s OR fp.commune_id = %s)")
        params += [f.unit, f.unit]
    if f.q:
        q = f.q.strip()
        where.append("(UPPER(fp.tracking_code) = UPPER(%s) OR UPPER(fp.title) LIKE UPPER(%s))")
        params += [q, _like(q)]
    if soon is not None:
        now_db, soon_db = ops.adapt_datetimefield_value(now), ops.adapt_datetimefield_value(soon)
        if f.due == "overdue":
            where.append("s.due_at < %s")
            params.append(now_db)
        elif f.due == "soon":
            where.append("s.due_at >= %s AND s.due_at < %s")
            params += [now_db, soon_db]
        elif f.due == "ok":
            where.append("(s.due_at >= %s OR s.due_at IS NULL)")
            params.append(soon_db)
    source = f"{_TASK} s" + (f" JOIN {_PROPOSAL} fp ON fp.id = s.proposal_id" if joins_proposal else "")
    order = _ARCHIVE_ORDER if box == "archive" else _OPEN_ORDER

    def fetch(extra: list[str], extra_params: list, limit: int) -> list[TaskRow]:
        sql = _PAGE_SQL.format(
            source=source,
            where=" AND ".join(where + extra),
            order=order.format(a="s"),
            outer=order.format(a="t"),
            # The limit is written into the statement, not passed: a prepared statement's generic plan guesses
            # a tenth of the rows for LIMIT $n, costs the inbox's page far above its real plan and PostgreSQL
            # then plans the inbox afresh at every call.
            limit=int(limit),
        )
        with binary_cursor() as c:
            if extra_params:  # a keyset page: its position as parameters
                found = fetch_generic(c, sql, [*params, *extra_params])
            else:
                c.execute(sql, params)
                found = c.fetchall()
        names = unit_names([pk for r in found for pk in r[16:18]])
        return [_row(r, names, convert) for r in found]

    position = _decode(cursor) if cursor else None
    key_at = None
    if position:
        try:
            key_pk = int(position[1])
            key_at = dt.datetime.fromisoformat(position[0]) if position[0] is not None else None
        except (TypeError, ValueError):
            position = None
        if key_at is not None and key_at.tzinfo is None:
            position = None
    if box == "archive":
        if position and key_at is not None:
            at = ops.adapt_datetimefield_value(key_at)
            # completed_at <= at is the index range (task_archive_idx); the OR only trims the equal keys.
            rows = fetch(
                ["s.completed_at <= %s", "(s.completed_at < %s OR s.id < %s)"], [at, at, key_pk], size + 1
            )
        else:
            rows = fetch([], [], size + 1)
    elif not position:
        rows = fetch([], [], size + 1)
    elif key_at is None:
        rows = fetch(["s.due_at IS NULL", "s.id > %s"], [key_pk], size + 1)
    else:
        at = ops.adapt_datetimefield_value(key_at)
        # (due_at, id) > (at, pk) is one range of the partial index (task_queue_idx / task_inbox_idx); the
        # redundant due_at >= at lets the planner see that range and walk the index in order, so a deep page
        # costs what the first one does. The tasks with no deadline sort last and are read only by the page
        # that reaches them (a second query, on the same index).
        rows = fetch(["s.due_at >= %s", "(s.due_at, s.id) > (%s, %s)"], [at, at, key_pk], size + 1)
        if len(rows) <= size:
            rows += fetch(["s.due_at IS NULL"], [], size + 1 - len(rows))
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        key = last.completed_at if box == "archive" else last.due_at
        next_cursor = _encode([key.isoformat() if key else None, last.pk])
    for task in rows:
        task.step = _STEPS.get(task.status, task.status)  # the label once per status
        task.due_state = _due_state(task, now, soon)
        p = task.proposal
        task.dossier_late = bool(
            p.dossier_due_at
            and p.dossier_due_at < (task.completed_at or now)
            and p.status in ("lodged", "district_submitted", "appraised", "finance_verified")
        )
    return TaskPage(rows, next_cursor, filters, soon)


_STEPS = dict(Status.choices)  # lazy labels: translated where printed

_DATETIME_COLUMNS = frozenset({6, 7, 8, 9, 15})  # claimed, created, due, completed; the dossier's deadline


def _row(r: tuple, names: dict[int, str], convert) -> TaskRow:
    if convert is not None:
        r = tuple(convert(v) if i in _DATETIME_COLUMNS else v for i, v in enumerate(r))
    place = names.get(r[16]) or names.get(r[17]) or ""  # the commune, else the district
    # The task's twelve columns, in TaskRow's order (by position: mypy cannot count the columns of a slice).
    # fmt: off
    return TaskRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                   proposal=PageProposal(r[1], *r[12:16]), place=place)
    # fmt: on


def _due_state(task: Task | TaskRow, now: dt.datetime, soon: dt.datetime | None) -> str:
    if task.due_at is None:
        return "none"
    if task.completed_at is not None:
        return "late" if task.completed_at > task.due_at else "on_time"
    if task.due_at < now:
        return "overdue"
    if soon and task.due_at < soon:
        return "soon"
    return "ok"


@dataclass(slots=True)
class HistoryRow:
    """One audit row as a history shows it: its columns, and the names of the people and unit it names."""

    pk: int
    seq: int
    kind: str
    trigger: str
    from_status: str
    to_status: str
    actor_id: int | None
    on_behalf_of_id: int | None
    role: str
    unit_id: int | None
    created_at: dt.datetime
    comment: str
    data: dict
    prev_hash: str
    hash: str
    actor: str | None = None
    on_behalf_of: str | None = None
    unit: str | None = None

    @property
    def id(self) -> int:
        return self.pk

    def get_kind_display(self) -> str:
        return str(dict(TransitionEvent.Kind.choices).get(self.kind, self.kind))


# The hashed columns from seq to comment (workflow.models.HASHED_FIELDS), in HistoryRow's order; the JSON as
# text, and none for the empty object most rows hold: decoding it costs more than reading it.
_HISTORY_COLUMNS = (
    "id",
    *HASHED_FIELDS[HASHED_FIELDS.index("seq") : HASHED_FIELDS.index("comment") + 1],
    "CAST(NULLIF(data, '{}') AS TEXT)",
    "prev_hash",
    "hash",
)
_HISTORY_SQL = (
    f"SELECT {', '.join(_HISTORY_COLUMNS)} FROM {TransitionEvent._meta.db_table}"  # noqa: S608 - constants
    " WHERE proposal_id = %s ORDER BY seq"
)


def history(proposal: Proposal) -> list[HistoryRow]:
    """Every audit row of one đề án in order, with the names of the people and units: two queries whatever its
    length, and no model instances (a history of 1,000 rows took 40–110 ms through the ORM, 5 ms this way)."""
    convert = datetime_converter()
    with binary_cursor() as cursor:
        cursor.execute(_HISTORY_SQL, [proposal.pk])
        rows = [
            HistoryRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                cast(dt.datetime, convert(r[10])) if convert else r[10],  # created_at: NOT NULL
                r[11],
                json.loads(r[12]) if r[12] else {},
                r[13],
                r[14],
            )
            for r in cursor.fetchall()
        ]
    people = {pk for r in rows for pk in (r.actor_id, r.on_behalf_of_id) if pk is not None}
    names: dict[int | None, str] = {
        pk: User.display_name(username, first, last)
        for pk, username, first, last in User.objects.filter(pk__in=people).values_list(
            "pk", "username", "first_name", "last_name"
        )
    }
    units = unit_names([r.unit_id for r in rows])
    for r in rows:
        r.actor = names.get(r.actor_id)
        r.on_behalf_of = names.get(r.on_behalf_of_id)
        r.unit = units.get(r.unit_id) if r.unit_id is not None else None
    return rows


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


@dataclass(frozen=True)
class OrphanQueue:
    unit_id: int
    unit_name: str
    role: str
    tasks: int


def orphan_queues() -> list[OrphanQueue]:
    """Open tasks that no active person can open: nobody active holds their role in their unit, and they are not
    in the inbox of an active person (a unit that ended with the 2025 reform, a role left vacant)."""
    holders = User.objects.filter(is_active=True, unit_id=OuterRef("unit_id"), groups__name=OuterRef("role"))
    rows = (
        Task.objects.filter(completed_at__isnull=True, unit__isnull=False)
        .exclude(assignee__is_active=True)
        .annotate(held=Exists(holders))
        .filter(held=False)
        .values("unit_id", "unit__name", "role")
        .annotate(tasks=Count("id"))
        .order_by("unit__name", "role")
    )
    return [OrphanQueue(r["unit_id"], r["unit__name"], r["role"], r["tasks"]) for r in rows]
