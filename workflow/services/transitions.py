"""The one place that changes a đề án's status (architecture.md §4).

``fire`` runs in one transaction: lock the row, ask the lifecycle, ask the permissions, run the step's
guards, write the status, append the audit event, close the open task and open the next, record the step's
data, and write the outbox rows. Delivery is queued only after commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from core.models import User
from core.roles import Role
from core.statements import Shape, together, update
from notifications.services import RECIPIENT_COLUMNS, Notice, Recipient, queue_notices, recipient
from workflow.lifecycle import Status, Trigger, lifecycle_of
from workflow.models import Proposal, Task, TransitionEvent
from workflow.permissions import can_fire, can_view

from . import steps
from .audit import append_event
from .errors import Conflict, NotAllowedFromStatus, NotFound, NotPermitted, WorkflowError
from .tasks import close_task, open_task


def fire(
    proposal_id: int,
    trigger: str,
    *,
    actor: User,
    now: dt.datetime,
    comment: str = "",
    data: dict | None = None,
    ip: str | None = None,
    expected_status: str | None = None,
) -> TransitionEvent:
    """Fire ``trigger`` on the đề án as ``actor``. Returns the audit event; raises a WorkflowError subclass.

    ``expected_status``: the status the user saw; if someone changed it meanwhile the call is a Conflict.
    """
    comment = (comment or "").strip()
    try:
        with transaction.atomic():
            proposal = _LOCK.one(pk=proposal_id)
            if proposal is None or not can_view(actor, proposal):
                raise NotFound(_("Không tìm thấy đề án."))
            lifecycle = lifecycle_of(proposal)  # the đề án's track: local or national
            source = proposal.status
            if expected_status is not None and expected_status != source:
                raise Conflict(
                    _(
                        "Đề án vừa được người khác xử lý (nay ở trạng thái “%(status)s”); không có gì được ghi."
                    )
                    % {"status": Status(source).label}
                )
            target = lifecycle.resume_target(trigger, source, proposal.returned_from)
            t: Trigger | None = lifecycle.triggers.get(trigger)
            if t is not None and target is not None and t.extra.get("back_to_filing"):
                target = steps.filed_from(proposal) or target
            if t is None or target is None:
                label = t.label if t else trigger
                raise NotAllowedFromStatus(
                    _("Không thể “%(action)s” khi đề án đang ở trạng thái “%(status)s”.")
                    % {"action": label, "status": Status(source).label}
                )
            task = _OPEN_TASK.one(proposal=proposal.pk)
            decision = can_fire(actor, proposal, trigger, task=task, now=now)
            if not decision:
                raise NotPermitted(decision.reason)

            ctx = steps.StepContext(proposal, t, actor, now, comment, dict(data or {}), task=task)
            before = [getattr(proposal, name) for name in STEP_FIELDS]
            cleaned = steps.run_checks(ctx)
            steps.record(ctx, cleaned)

            proposal.status, proposal.status_changed_at, proposal.updated_at = target, now, now
            # The status, and whichever of the step's fields the step changed (a district's endorsement changes
            # none of them): the row is locked, so nothing else changed it meanwhile.
            changed = [
                name for name, old in zip(STEP_FIELDS, before, strict=True) if getattr(proposal, name) != old
            ]
            # Two statements for the four writes (core.statements.together): the đề án and the task it closes,
            # then the next task and the audit row. The next task enters the partial unique index of open tasks
            # that the closed one leaves, so it goes in a statement after that one.
            with together():
                update(proposal, ["status", "status_changed_at", "updated_at", *changed])
                close_task(task, by=decision.on_behalf_of or actor, now=now, outcome=trigger)
            with together():
                next_task = open_task(proposal, target, lifecycle, now, due_on=ctx.due_on)
                event = append_event(
                    proposal=proposal,
                    kind="transition",
                    trigger=trigger,
                    from_status=source,
                    to_status=target,
                    actor=actor,
                    on_behalf_of=decision.on_behalf_of,
                    role=decision.role,
                    unit_id=task.unit_id if task else (actor.unit_id or None),
                    now=now,
                    comment=comment,
                    data=cleaned,
                    ip=ip,
                    head=(task.head_seq, task.head_hash) if task else None,
                )
            event.receipt_pin = ctx.pin  # not stored: the caller shows it once on the receipt
            _notify(proposal, event, next_task, now)
            return event
    except (IntegrityError, OperationalError) as exc:
        if isinstance(exc, IntegrityError) and not any(name in str(exc) for name in RACE_CONSTRAINTS):
            raise
        # A lock or uniqueness conflict with a concurrent request: the transaction rolled back as a whole.
        raise Conflict(
            _("Đề án vừa được người khác xử lý; không có gì được ghi. Vui lòng tải lại và thử lại.")
        ) from exc


# The đề án's fields a step may set (workflow/services/steps.py), written when it changed them.
STEP_FIELDS = (
    "lodged_at",
    "dossier_due_at",
    "pin_hash",
    "revision_round",
    "returned_from",
    "recommended_amount",
    "verified_amount",
    "approved_amount",
    "settled_amount",
)

# The statements of fire's reads, written by the ORM once per process (core/statements.py). At most one row
# each (the primary key; one open task per đề án), so no ORDER BY: neither first()'s nor the models' default.
_LOCK = Shape(Proposal, lambda pk: Proposal.objects.select_for_update().filter(pk=pk).order_by(), pk=int)


def _open_task(proposal: int):
    """The open task, locked, and the audit chain's head in the same statement: it starts after the đề án's lock
    was granted, so it sees every event committed before (all appends hold that lock)."""
    head = TransitionEvent.objects.filter(proposal_id=OuterRef("proposal_id")).order_by("-seq")
    return (
        Task.objects.select_for_update(of=("self",))
        .filter(proposal_id=proposal, completed_at__isnull=True)
        .annotate(head_seq=Subquery(head.values("seq")[:1]), head_hash=Subquery(head.values("hash")[:1]))
        .order_by()
    )


_OPEN_TASK = Shape(Task, _open_task, proposal=int)


# Unique constraints that only a concurrent request can break (the row lock prevents it otherwise).
RACE_CONSTRAINTS = ("one_open_task_per_proposal", "event_seq_unique", "event_system_seq_unique")


def available_triggers(
    user: User, proposal: Proposal, *, now: dt.datetime, task: Task | None = None
) -> list[Trigger]:
    """The triggers ``user`` may fire now (for showing buttons; ``fire`` checks again)."""
    lifecycle = lifecycle_of(proposal)
    if task is None:
        task = Task.objects.filter(proposal=proposal, completed_at__isnull=True).first()
    return [
        t
        for t in lifecycle.triggers_from(proposal.status)
        if can_fire(user, proposal, t.name, task=task, now=now)
    ]


@dataclass(frozen=True)
class BatchResult:
    proposal_id: int
    ok: bool
    message: str
    event_id: int | None = None


def fire_batch(
    items: list[tuple[int, dict]],
    trigger: str,
    *,
    actor: User,
    now: dt.datetime,
    comment: str = "",
    ip: str | None = None,
) -> list[BatchResult]:
    """Fire one trigger on many đề án (a finance batch, a plan approval): each in its own transaction."""
    results = []
    for proposal_id, data in items:
        try:
            event = fire(proposal_id, trigger, actor=actor, now=now, comment=comment, data=data, ip=ip)
        except WorkflowError as exc:
            results.append(BatchResult(proposal_id, False, str(exc)))
        except DatabaseError as exc:  # pragma: no cover - reported per item, never aborts the batch
            results.append(
                BatchResult(proposal_id, False, _("Lỗi cơ sở dữ liệu: %(error)s") % {"error": exc})
            )
        else:
            results.append(BatchResult(proposal_id, True, _("Đã thực hiện."), event.pk))
    return results


def _notify(proposal: Proposal, event: TransitionEvent, next_task: Task | None, now: dt.datetime) -> None:
    """Outbox rows: the applicant organisation hears of every transition (template ``proposal.<trigger>``);
    the queue of the next task (its role in its unit) hears that work is waiting (``task.waiting``)."""
    from notifications.rendering import local_date, local_datetime, money

    def day(value: str | None) -> str:
        return local_date(dt.date.fromisoformat(value)) if value else ""

    data = event.data or {}
    context = {
        "proposal": proposal.pk,
        "tracking_code": proposal.tracking_code,
        "title": proposal.title,
        "trigger": event.trigger,
        "from": event.from_status,
        "to": event.to_status,
        "comment": event.comment,
        "event": event.pk,
    }
    if event.trigger == "lodge":
        # The receipt: the PIN exists only at the first lodging and only in memory (the audit keeps its hash).
        pin = getattr(event, "receipt_pin", "") or data.get("pin", "")
        context |= {
            "pin": pin,
            "dossier_due_at": local_datetime(proposal.dossier_due_at),
            "step_due_at": local_datetime(next_task.due_at if next_task else None),
        }
    elif event.trigger == "approve":
        context |= {
            "decision_number": data.get("decision_number", ""),
            "decision_date": day(data.get("decision_date")),
            "amount": money(data.get("amount")),
        }
    elif event.trigger == "accept":
        context |= {
            "accepted_on": day(data.get("accepted_on")),
            "results": data.get("results", ""),
            "settlement_due_on": day(data.get("settlement_due_on")),
        }
    elif event.trigger == "contract":
        context |= {
            "contract_number": data.get("contract_number", ""),
            "contract_date": day(data.get("contract_date")),
            "amount": money(data.get("amount")),
        }
    elif event.trigger in ("settle", "settle_from_minutes"):
        settled = (data.get("national_amount") or 0) + (data.get("local_amount") or 0)
        context |= {
            "settled_amount": money(settled),
            "advanced_amount": money(data.get("advanced_amount", 0)),
            "payable_amount": money(data.get("payable_amount", 0)),
            "refund_amount": money(data.get("refund_amount", 0)),
            "owes_refund": bool(data.get("refund_amount")),
        }
    applicants, staff = _recipients(proposal, next_task)
    notices = [Notice(tuple(applicants), f"proposal.{event.trigger}", context, f"event:{event.pk}")]
    if next_task is not None and (next_task.unit_id is not None or staff):
        notices.append(
            Notice(
                tuple(staff),
                "task.waiting",
                {
                    **{k: v for k, v in context.items() if k != "pin"},
                    "task": next_task.pk,
                    # The label itself: get_status_display() builds a dict of every choice, translating each.
                    "step": str(Status(next_task.status).label),
                    "due_at": local_datetime(next_task.due_at),
                },
                f"task:{next_task.pk}:waiting",
            )
        )
    # One call for both events: the outbox is read and written once, and one after-commit hook queues delivery.
    queue_notices(notices, now=now)


# What queueing a message reads of each person (notifications.services.recipient), no model object built, then
# the organisation and unit that tell the two lists apart.
_PERSON = (*RECIPIENT_COLUMNS, "organisation_id", "unit_id")
_ORG, _UNIT, _IN_QUEUE = len(RECIPIENT_COLUMNS), len(RECIPIENT_COLUMNS) + 1, len(RECIPIENT_COLUMNS) + 2


def _applicants(org: int):
    return User.objects.filter(organisation_id=org, is_active=True).order_by("pk").values_list(*_PERSON)


def _applicants_and_queue(org: int, unit: int, role: str):
    in_queue = Exists(User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=role))
    return (
        User.objects.annotate(in_queue=in_queue)
        .filter(Q(organisation_id=org) | Q(unit_id=unit, in_queue=True), is_active=True)
        .order_by("pk")
        .values_list(*_PERSON, "in_queue")
    )


_APPLICANTS = Shape(User, _applicants, org=int)
_APPLICANTS_AND_QUEUE = Shape(User, _applicants_and_queue, org=int, unit=int, role=str)


def _recipients(proposal: Proposal, next_task: Task | None) -> tuple[list[Recipient], list[Recipient]]:
    """In one query: the active people of the applicant organisation, and the queue of the next task (the
    active holders of its role in its unit); each list ordered by id."""
    org = proposal.implementing_org_id
    if next_task is not None and next_task.unit_id is None and next_task.role == Role.MINISTRY:
        # The Cục's national queue: its active officers are told.
        cuc = (
            User.objects.filter(is_active=True, groups__name=Role.MINISTRY)
            .order_by("pk")
            .values_list(*_PERSON)
        )
        return (
            [recipient(*row[:_ORG]) for row in _APPLICANTS.list(org=org)],
            [recipient(*row[:_ORG]) for row in cuc],
        )
    if next_task is None or next_task.unit_id is None:  # no queue (the unit's own task: its people are told)
        return [recipient(*row[:_ORG]) for row in _APPLICANTS.list(org=org)], []
    rows = _APPLICANTS_AND_QUEUE.list(org=org, unit=next_task.unit_id, role=next_task.role)
    people = [recipient(*row[:_ORG]) for row in rows]
    return (
        [person for person, row in zip(people, rows, strict=True) if row[_ORG] == org],
        [
            person
            for person, row in zip(people, rows, strict=True)
            if row[_UNIT] == next_task.unit_id and row[_IN_QUEUE]
        ],
    )
