"""Tasks: open and close them with the lifecycle (called by the transition service), and the inbox verbs
claim, release, reassign and delegate. Every verb writes an audit row."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from core import succession
from core.calendar import END_OF_DAY, VN_TZ, WorkingCalendar
from core.config_cache import cached
from core.models import TWO_LEVEL_FROM, User
from core.roles import Role
from core.statements import insert, update
from workflow.lifecycle import Lifecycle, Sla, lifecycle_of
from workflow.models import Delegation, Proposal, SlaPolicy, Task

from .audit import append_event, record_action
from .errors import Conflict, GuardFailed, NotFound, NotPermitted


def task_unit_id(proposal: Proposal, scope: str, now: dt.datetime) -> int | None:
    """The unit whose queue gets the task, on the day it opens: today's successor of the đề án's unit (a
    record keeps the units of its day). The endorsing level is the one in force that day (core/succession.py);
    a district gets a task only while it exists — never after 30/6/2025."""
    day = now.astimezone(VN_TZ).date()
    if scope == "province":
        return succession.current(proposal.province_id, day)
    if scope != "endorsing":
        return None
    district = succession.current(proposal.district_id, day)
    district_facts = succession.facts(district) if district is not None else None
    if district_facts is not None and district_facts.level != "district":
        district = None  # the district's territory passed to a province: not an endorsing unit
    commune = succession.current(proposal.commune_id, day)
    if succession.endorsement_level(proposal.province_id, day) == "district":
        return district or commune
    return commune or (district if day < TWO_LEVEL_FROM else None)


def sla_policies() -> dict[str, tuple[str, int]]:
    """{status: (kind, days)} as entered in the admin (a per-process copy: core/config_cache.py)."""

    def read() -> dict[str, tuple[str, int]]:
        return {
            status: (kind, days)
            for status, kind, days in SlaPolicy.objects.values_list("status", "kind", "days")
        }

    return cached("sla_policies", read)


def compute_due(
    status: str,
    lifecycle: Lifecycle,
    now: dt.datetime,
    *,
    due_on: dt.date | None = None,
    plan_year: int | None = None,
) -> dt.datetime | None:
    """The deadline of the task ``status`` opens: the SLA policy in admin, else the lifecycle default; a
    national step due on a statutory date is due on that date of the đề án's plan year (workflow/national.py)."""
    if due_on is not None:
        return dt.datetime.combine(due_on, END_OF_DAY, tzinfo=VN_TZ)
    rule = lifecycle.rules[status]
    if rule.sla == Sla.WINDOW:
        if plan_year is None:
            return None
        from workflow.national import window

        return dt.datetime.combine(window(rule.window, plan_year), END_OF_DAY, tzinfo=VN_TZ)
    if lifecycle.track != "local":
        # The SLA policies in admin are the local track's (one row per status); the national track's day counts
        # are statutory (the table's own).
        kind, days = rule.sla, rule.sla_days
    else:
        kind, days = sla_policies().get(status, (rule.sla, rule.sla_days))
    if kind == Sla.WORKING_DAYS:
        return WorkingCalendar.load().due_at(now, days)
    if kind == Sla.CALENDAR_DAYS:
        day = now.astimezone(VN_TZ).date() + dt.timedelta(days=days)
        return dt.datetime.combine(day, END_OF_DAY, tzinfo=VN_TZ)
    return None


def dossier_due(
    lifecycle: Lifecycle, now: dt.datetime, *, plan_year: int | None = None
) -> dt.datetime | None:
    """Deadline of the whole review from lodging: the review steps' working-day SLAs added up. A national đề án's
    review at the province ends when its dossier reaches the Cục (the window of 30/9 of N-1)."""
    from workflow.lifecycle import REVIEW

    if lifecycle.track != "local":
        if plan_year is None:
            return None
        from workflow.national import window

        return dt.datetime.combine(window("dossier_to_ministry", plan_year), END_OF_DAY, tzinfo=VN_TZ)

    review = [str(s) for s in REVIEW if str(s) in lifecycle.rules]
    policies = {s: days for s, (kind, days) in sla_policies().items() if kind == Sla.WORKING_DAYS}
    total = sum(policies.get(s, lifecycle.rules[s].sla_days) for s in review)
    return WorkingCalendar.load().due_at(now, total) if total else None


def open_task(
    proposal: Proposal, status: str, lifecycle: Lifecycle, now: dt.datetime, *, due_on: dt.date | None = None
) -> Task | None:
    rule = lifecycle.rules[status]
    if rule.task_role is None:
        return None
    unit_id = org_id = None
    if rule.task_scope == "applicant":
        org_id = proposal.implementing_org_id  # the unit's own obligation, in its portal and reminders
    elif rule.task_scope == "ministry":
        pass  # the Cục's one national queue: no unit, no organisation (Task constraint task_has_a_holder)
    else:
        unit_id = task_unit_id(proposal, rule.task_scope, now)
        if unit_id is None:
            raise GuardFailed(
                _(
                    "Đề án chưa có địa bàn cấp xã đang tồn tại nên không xác định được đơn vị xử lý. Hãy cập nhật "
                    "địa bàn theo đơn vị hành chính hiện hành (xã, phường, đặc khu) rồi gửi lại."
                )
            )
    task = Task(
        proposal=proposal,
        status=status,
        role=str(rule.task_role),
        unit_id=unit_id,
        organisation_id=org_id,
        created_at=now,
        due_at=compute_due(status, lifecycle, now, due_on=due_on, plan_year=proposal.plan_year),
    )
    insert(task)
    return task


def close_task(task: Task | None, *, by: User, now: dt.datetime, outcome: str) -> None:
    if task is None:
        return
    task.completed_at, task.completed_by, task.outcome = now, by, outcome
    if task.assignee_id is None:
        task.assignee, task.claimed_at = by, task.claimed_at or now
    update(task, ["completed_at", "completed_by", "outcome", "assignee", "claimed_at"])


def _locked_open_task(task_id: int, actor: User, now: dt.datetime) -> Task:
    """Lock the đề án (the audit chain's lock) and then its task; the task must still be open.

    A task of a đề án the actor may not see (nor anyone who delegated to them) is "not found", like a
    missing one: the answer must not tell that it exists."""
    from workflow.permissions import active_delegators, can_view

    proposal_id = Task.objects.filter(pk=task_id).values_list("proposal_id", flat=True).first()
    if proposal_id is None:
        raise NotFound(_("Không tìm thấy nhiệm vụ."))
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    if not can_view(actor, proposal) and not any(
        can_view(d, proposal) for d in active_delegators(actor, now)
    ):
        raise NotFound(_("Không tìm thấy nhiệm vụ."))
    task = Task.objects.select_for_update(of=("self",)).select_related("proposal", "assignee").get(pk=task_id)
    if task.completed_at is not None:
        raise Conflict(_("Nhiệm vụ đã được xử lý xong."))
    return task


def _may_work_on(user: User, task: Task, now: dt.datetime) -> User | None:
    """Who ``user`` acts as on this task: themselves, or a delegator (returned), else raise."""
    from workflow.permissions import active_delegators

    def fits(person: User) -> bool:
        return person.has_role(task.role) and person.unit_id == task.unit_id

    if fits(user):
        return None
    for delegator in active_delegators(user, now):
        if fits(delegator):
            return delegator
    raise NotPermitted(_("Nhiệm vụ không thuộc vai trò hoặc đơn vị của bạn."))


def claim(task_id: int, *, actor: User, now: dt.datetime, ip: str | None = None) -> Task:
    with transaction.atomic():
        task = _locked_open_task(task_id, actor, now)
        on_behalf = _may_work_on(actor, task, now)
        if task.assignee_id is not None:
            if task.assignee_id == actor.pk:
                return task
            raise Conflict(_("%(name)s đã nhận xử lý đề án này.") % {"name": task.assignee})
        task.assignee, task.claimed_at = actor, now
        task.save(update_fields=["assignee", "claimed_at"])
        _log(task, "claim", actor, now, on_behalf, {"assignee": actor.pk}, ip)
    return task


def release(task_id: int, *, actor: User, now: dt.datetime, ip: str | None = None) -> Task:
    with transaction.atomic():
        task = _locked_open_task(task_id, actor, now)
        if task.assignee_id != actor.pk and not _is_unit_head(actor, task):
            raise NotPermitted(_("Chỉ người đang xử lý hoặc lãnh đạo đơn vị mới trả lại được nhiệm vụ."))
        previous = task.assignee_id
        task.assignee, task.claimed_at = None, None
        task.save(update_fields=["assignee", "claimed_at"])
        _log(task, "release", actor, now, None, {"previous_assignee": previous}, ip)
    return task


def reassign(task_id: int, *, actor: User, assignee: User, now: dt.datetime, ip: str | None = None) -> Task:
    with transaction.atomic():
        task = _locked_open_task(task_id, actor, now)
        if not _is_unit_head(actor, task):
            raise NotPermitted(_("Chỉ lãnh đạo đơn vị mới được giao lại nhiệm vụ."))
        if not (assignee.is_active and assignee.has_role(task.role) and assignee.unit_id == task.unit_id):
            raise GuardFailed(_("%(name)s không có vai trò xử lý bước này tại đơn vị.") % {"name": assignee})
        previous = task.assignee_id
        task.assignee, task.claimed_at = assignee, now
        task.save(update_fields=["assignee", "claimed_at"])
        _log(task, "reassign", actor, now, None, {"previous_assignee": previous, "assignee": assignee.pk}, ip)
        _tell_assignee(task, assignee, now)
    return task


def _tell_assignee(task: Task, assignee: User, now: dt.datetime) -> None:
    from notifications.rendering import local_datetime
    from notifications.services import queue_message

    queue_message(
        recipients=[assignee],
        template="task.assigned",
        now=now,
        context={
            "proposal": task.proposal_id,
            "tracking_code": task.proposal.tracking_code,
            "title": task.proposal.title,
            "step": task.get_status_display(),
            "due_at": local_datetime(task.due_at),
            "task": task.pk,
        },
        key=f"task:{task.pk}:assigned:{assignee.pk}:{int(now.timestamp())}",
    )


def delegate(
    *,
    actor: User,
    substitute: User,
    starts_on: dt.date,
    ends_on: dt.date,
    now: dt.datetime,
    ip: str | None = None,
) -> Delegation:
    """``actor`` names ``substitute`` to act for them from ``starts_on`` to ``ends_on`` (inclusive)."""
    if substitute.pk == actor.pk:
        raise GuardFailed(_("Không thể ủy quyền cho chính mình."))
    if ends_on < starts_on:
        raise GuardFailed(_("Ngày kết thúc ủy quyền phải sau ngày bắt đầu."))
    if not substitute.is_active or substitute.unit_id != actor.unit_id:
        raise GuardFailed(_("Người được ủy quyền phải cùng đơn vị."))
    with transaction.atomic():
        delegation = Delegation.objects.create(
            delegator=actor, substitute=substitute, starts_on=starts_on, ends_on=ends_on, created_at=now
        )
        append_event(
            proposal=None,
            kind="action",
            trigger="delegate",
            actor=actor,
            now=now,
            unit_id=actor.unit_id,
            data={
                "delegation": delegation.pk,
                "substitute": substitute.pk,
                "starts_on": starts_on,
                "ends_on": ends_on,
            },
            ip=ip,
        )
    return delegation


def _is_unit_head(user: User, task: Task) -> bool:
    return user.has_role(Role.DEPARTMENT_HEAD) and user.unit_id == task.unit_id


def _log(
    task: Task, verb: str, actor: User, now: dt.datetime, on_behalf: User | None, data: dict, ip: str | None
) -> None:
    record_action(
        task.proposal,
        verb,
        actor=actor,
        on_behalf_of=on_behalf,
        role=task.role,
        unit_id=task.unit_id,
        now=now,
        data={"task": task.pk, **data},
        ip=ip,
    )


def move_to_successors(*, now: dt.datetime, actor: User | None = None) -> list[Task]:
    """Open tasks waiting at a unit that no longer exists on ``now`` (a district or a province or commune merged
    on 1/7/2025) move to the unit that opens that step today (``task_unit_id``), unassigned when their holder
    is not of that unit. One audit row per task ("move_to_successor", old and new unit); nothing else changes."""
    moved = []
    day = now.astimezone(VN_TZ).date()
    open_tasks = Task.objects.filter(completed_at__isnull=True, unit__isnull=False).values_list(
        "id", "proposal_id", "unit_id"
    )
    gone = [
        (pk, proposal_id)
        for pk, proposal_id, unit_id in open_tasks
        if succession.current(unit_id, day) != unit_id
    ]
    for pk, proposal_id in gone:
        with transaction.atomic():
            # The đề án first, as fire() locks it: the two never wait on each other in opposite orders.
            Proposal.objects.select_for_update().filter(pk=proposal_id).first()
            task = (
                Task.objects.select_for_update(of=("self",))
                .select_related("proposal", "assignee")
                .filter(pk=pk, completed_at__isnull=True)
                .first()
            )
            if task is None:
                continue
            rule = lifecycle_of(task.proposal).rules[task.status]
            unit_id = task_unit_id(task.proposal, rule.task_scope, now)
            if unit_id is None or unit_id == task.unit_id:
                continue
            previous = task.unit_id
            task.unit_id = unit_id
            fields = ["unit"]
            if task.assignee is not None and task.assignee.unit_id != unit_id:
                task.assignee, task.claimed_at = None, None
                fields += ["assignee", "claimed_at"]
            task.save(update_fields=fields)
            record_action(
                task.proposal,
                "move_to_successor",
                actor=actor,
                role=task.role,
                unit_id=unit_id,
                now=now,
                data={"task": task.pk, "from_unit": previous, "to_unit": unit_id},
            )
            moved.append(task)
    return moved
