"""The reminder sweep: deadlines of open tasks and the monthly progress report, as outbox rows.

Set-based and idempotent: one query over the open tasks whose deadline is near or past, one over the approved
đề án missing this month's report; every reminder has a key (``task:{id}:due_soon``,
``progress:{proposal}:{yyyy-mm}``), so running the sweep again, or from two machines, writes nothing new.
Reminders are produced on working days only (nobody reads an overdue notice during Tết); the first sweep of the
next working day catches up.

It lives in ``workflow`` (it reads the tasks and the đề án) and hands its notices to
``notifications.services.queue_notices``: imports point one way, workflow → notifications → core.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import succession
from core.calendar import VN_TZ, WorkingCalendar
from core.models import User
from core.roles import Role
from notifications.models import Outbox
from notifications.rendering import local_date, local_datetime
from notifications.services import Notice, queue_notices
from workflow.lifecycle import Status
from workflow.models import Proposal, Task

DUE_SOON, DUE_TODAY, OVERDUE, ESCALATED = "due_soon", "due_today", "overdue", "escalated"
MINISTRY_QUEUE = _("Cục, Bộ Công Thương")
PROGRESS_DAY = 25  # monthly progress reports are due by the 25th (architecture.md §5)
REMINDER_COLUMNS = (
    *(f.name for f in Task._meta.concrete_fields),
    "proposal__tracking_code",
    "proposal__title",
    "proposal__province",
    "unit__name",
    "organisation__name",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__email",
    "assignee__phone",
    "assignee__is_active",
    "assignee__unit",
    "assignee__organisation",
)


def run_sweep(*, now: dt.datetime) -> dict[str, int]:
    """Queue every reminder due at ``now`` that was not queued before. Returns outbox rows written per template."""
    calendar = WorkingCalendar.load()
    today = now.astimezone(VN_TZ).date()
    if not calendar.is_working_day(today):
        return {}
    with transaction.atomic():
        notices = task_notices(calendar, today) + progress_notices(calendar, today)
        by_template: dict[str, list[Notice]] = defaultdict(list)
        for notice in notices:
            by_template[notice.template].append(notice)
        written = {template: queue_notices(group, now=now) for template, group in sorted(by_template.items())}
    return {template: n for template, n in written.items() if n}


def task_notices(calendar: WorkingCalendar, today: dt.date) -> list[Notice]:
    """Due soon (N working days before), due today, overdue (holder or queue), escalated (unit head)."""
    soon_until = calendar.add_working_days(today, settings.KHUYENCONG["DUE_SOON_WORKING_DAYS"])
    # Escalate when ESCALATE_AFTER working days have passed since the overdue notice (the working day after
    # the deadline): the deadline is on or before ``escalate_until``.
    escalate_until = working_days_before(
        calendar, today, settings.NOTIFICATIONS["ESCALATE_AFTER_WORKING_DAYS"] + 1
    )
    horizon = dt.datetime.combine(soon_until + dt.timedelta(days=1), dt.time(0), tzinfo=VN_TZ)
    # Only the columns a reminder uses: at tens of thousands of due tasks, loading every dossier section of
    # every đề án was most of the sweep's reading.
    tasks = list(
        Task.objects.filter(completed_at__isnull=True, due_at__lt=horizon)
        .select_related("proposal", "assignee", "unit", "organisation")
        .only(*REMINDER_COLUMNS)
        .order_by("due_at", "id")
    )
    if not tasks:
        return []
    already = _already_reminded([t.pk for t in tasks])
    due_day = {t.pk: t.due_at.astimezone(VN_TZ).date() for t in tasks if t.due_at is not None}
    plan: list[tuple[Task, str]] = []
    for task in tasks:
        due = due_day[task.pk]
        if today < due:
            kinds = [DUE_SOON]
        elif due == today:
            kinds = [DUE_TODAY]
        else:
            kinds = [OVERDUE] + ([ESCALATED] if due <= escalate_until else [])
        plan += [(task, kind) for kind in kinds if (task.pk, f"task.{kind}") not in already]
    if not plan:
        return []

    # An implementing unit's own task (its settlement dossier) reminds its people; late, it escalates to the
    # heads of the Sở it settles with (today's province of the đề án).
    # The Cục's national queue (no unit, no organisation) escalates to the same heads: the Sở supervises the đề án.
    head_unit = {
        t.pk: succession.current(t.proposal.province_id, today) for t, _k in plan if t.unit_id is None
    }
    cuc = (
        list(User.objects.filter(is_active=True, groups__name=Role.MINISTRY).order_by("pk"))
        if any(t.unit_id is None and t.organisation_id is None for t, _k in plan)
        else []
    )
    # Everyone who may receive one of these, in one query: the queues (role in unit) and the unit heads.
    wanted = {
        (t.unit_id or head_unit[t.pk], Role.DEPARTMENT_HEAD if k == ESCALATED else t.role)
        for t, k in plan
        if k == ESCALATED or (t.assignee_id is None and t.unit_id is not None)
    }
    members = _members(wanted)
    org_people = _organisation_people({t.organisation_id for t, _k in plan if t.organisation_id is not None})
    # The step's display name once per status, not once per reminder (each get_FOO_display() call rebuilds the
    # field's choices and translates the label: most of the sweep's own time at tens of thousands of tasks).
    step_names: dict[str, str] = {}
    # Working days late, once per deadline day (thousands of tasks share a few hundred days).
    late_days: dict[dt.date, int] = {}

    def late_by(due: dt.date) -> int:
        if due not in late_days:
            late_days[due] = calendar.working_days_between(due, today)
        return late_days[due]

    notices = []
    for task, kind in plan:
        if kind == ESCALATED:
            recipients = members.get((task.unit_id or head_unit[task.pk], Role.DEPARTMENT_HEAD), [])
        elif task.organisation_id is not None:
            recipients = org_people.get(task.organisation_id, [])
        elif task.assignee is not None and task.assignee.is_active:
            recipients = [task.assignee]
        elif task.unit_id is None:
            recipients = cuc
        else:
            recipients = members.get((task.unit_id, task.role), [])
        due = due_day[task.pk]
        p = task.proposal
        notices.append(
            Notice(
                tuple(recipients),
                f"task.{kind}",
                {
                    "task": task.pk,
                    "proposal": p.pk,
                    "tracking_code": p.tracking_code,
                    "title": p.title,
                    "step": step_names.get(task.status)
                    or step_names.setdefault(task.status, task.get_status_display()),
                    "unit": task.unit.name
                    if task.unit
                    else (task.organisation.name if task.organisation else str(MINISTRY_QUEUE)),
                    "due_at": local_datetime(task.due_at),
                    "holder": str(task.assignee) if task.assignee_id else "",
                    "working_days_late": late_by(due) if today > due else 0,
                },
                f"task:{task.pk}:{kind}",
            )
        )
    return notices


def progress_notices(calendar: WorkingCalendar, today: dt.date) -> list[Notice]:
    """Approved đề án without this month's progress report, from N working days before the 25th."""
    deadline = today.replace(day=PROGRESS_DAY)
    if not today < deadline <= calendar.add_working_days(today, settings.KHUYENCONG["DUE_SOON_WORKING_DAYS"]):
        return []
    period = today.replace(day=1)
    proposals = list(
        Proposal.objects.filter(
            Q(status=Status.APPROVED, funding_kind="local") | Q(status=Status.CONTRACTED)
        )  # being carried out: local once approved, national once contracted
        .exclude(progress_reports__period=period)
        .order_by("pk")
        .only("pk", "tracking_code", "title", "implementing_org_id")
    )
    people: dict[int | None, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        is_active=True, organisation_id__in={p.implementing_org_id for p in proposals}
    ):
        people[user.organisation_id].append(user)
    return [
        Notice(
            tuple(people[p.implementing_org_id]),
            "progress.reminder",
            {
                "proposal": p.pk,
                "tracking_code": p.tracking_code,
                "title": p.title,
                "month": period.strftime("%m/%Y"),
                "deadline": local_date(deadline),
            },
            f"progress:{p.pk}:{period:%Y-%m}",
        )
        for p in proposals
    ]


def working_days_before(calendar: WorkingCalendar, day: dt.date, n: int) -> dt.date:
    """The latest date ``d`` with ``calendar.working_days_between(d, day) >= n``."""
    count = 0
    while count < n:
        if calendar.is_working_day(day):
            count += 1
        day -= dt.timedelta(days=1)
    return day


def _already_reminded(task_ids: list[int]) -> set[tuple[int, str]]:
    """(task, template) pairs with at least one outbox row: those reminders are never written again."""
    templates = [f"task.{k}" for k in (DUE_SOON, DUE_TODAY, OVERDUE, ESCALATED)]
    return set(
        Outbox.objects.filter(template__in=templates, context__task__in=task_ids)
        .values_list("context__task", "template")
        .distinct()
    )


def _organisation_people(orgs: set[int]) -> dict[int | None, list[User]]:
    """The active applicant users of each organisation."""
    out: dict[int | None, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        organisation_id__in=orgs, is_active=True, groups__name=Role.APPLICANT
    ).order_by("username"):
        out[user.organisation_id].append(user)
    return out


def _members(wanted: set[tuple[int | None, str]]) -> dict[tuple[int | None, str], list[User]]:
    if not wanted:
        return {}
    through = User.groups.through
    rows = (
        through.objects.filter(
            user__is_active=True,
            user__unit_id__in={u for u, _ in wanted},
            group__name__in={r for _, r in wanted},
        )
        .select_related("user", "group")
        .order_by("user__username")
    )
    out: dict[tuple[int | None, str], list[User]] = defaultdict(list)
    for row in rows:
        key = (row.user.unit_id, row.group.name)
        if key in wanted:
            out[key].append(row.user)
    return out
