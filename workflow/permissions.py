"""Every access decision about a đề án: who may see it, who may fire a trigger on it. Each answer carries
its reason. Views, the API, batch actions and the transition service all ask here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from core import succession
from core.calendar import VN_TZ
from core.models import AdministrativeUnit, User
from core.roles import STAFF_ROLES, Role

from .lifecycle import HOLDER, MINISTRY_SIDE, NATIONAL_TRIGGERS, Track, lifecycle_of, ministry_side_role
from .models import Delegation, Proposal, Task, TransitionEvent


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    role: str = ""
    on_behalf_of: User | None = None

    def __bool__(self) -> bool:
        return self.allowed


def unit_filter(unit: AdministrativeUnit | None) -> Q:
    """Proposals located in a unit's territory (province, district or commune), the territories of the units
    it succeeds included: an officer of today's Đồng Nai sees the records of former Bình Phước."""
    if unit is None:
        return Q(pk__in=[])
    units = succession.lineage(unit.pk)
    if len(units) == 1:
        return Q(**{f"{unit.level}_id": unit.pk})
    return Q(**{f"{unit.level}_id__in": sorted(units)})


def in_unit(unit: AdministrativeUnit | None, proposal: Proposal) -> bool:
    if unit is None:
        return False
    return getattr(proposal, f"{unit.level}_id") in succession.lineage(unit.pk)


# What the ministry's Cục sees in every province: the national đề án, once lodged.
NATIONAL_LODGED = Q(funding_kind="national", lodged_at__isnull=False)


def is_applicant_of(user: User, proposal: Proposal) -> bool:
    if not user.has_role(Role.APPLICANT):
        return False
    if user.organisation_id and user.organisation_id in (
        proposal.implementing_org_id,
        proposal.beneficiary_id,
    ):
        return True
    return user.has_perm("workflow.act_on_proposal", proposal)


def visible_proposals(user: User) -> QuerySet[Proposal]:
    """The đề án a user may see: own organisation's; staff see lodged đề án in their territory."""
    qs = Proposal.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    cond = Q(pk__in=[])
    if user.has_role(Role.APPLICANT) and user.organisation_id:
        cond |= Q(implementing_org_id=user.organisation_id) | Q(beneficiary_id=user.organisation_id)
    if STAFF_ROLES & user.role_names and user.unit_id:
        cond |= unit_filter(user.unit) & Q(lodged_at__isnull=False)
    if user.has_role(Role.MINISTRY):
        cond |= NATIONAL_LODGED
    from guardian.shortcuts import get_objects_for_user

    granted = get_objects_for_user(user, "workflow.view_proposal", klass=Proposal, accept_global_perms=False)
    cond |= Q(pk__in=granted.values("pk"))
    return qs.filter(cond)


def can_view(user: User, proposal: Proposal) -> Decision:
    if not user.is_authenticated or not user.is_active:
        return Decision(False, _("Cần đăng nhập."))
    if user.is_superuser or is_applicant_of(user, proposal):
        return Decision(True)
    if STAFF_ROLES & user.role_names and proposal.lodged_at and in_unit(user.unit, proposal):
        return Decision(True)
    if user.has_role(Role.MINISTRY) and proposal.lodged_at and proposal.funding_kind == "national":
        return Decision(True)
    if user.has_perm("workflow.view_proposal", proposal):
        return Decision(True)
    return Decision(False, _("Đề án không thuộc phạm vi của bạn."))


def active_delegators(user: User, now: dt.datetime) -> list[User]:
    """Users who have delegated their work to ``user`` today."""
    today = now.astimezone(VN_TZ).date()
    return [
        d.delegator
        for d in Delegation.objects.select_related("delegator", "delegator__unit").filter(
            substitute=user, starts_on__lte=today, ends_on__gte=today, revoked_at__isnull=True
        )
    ]


def _can_fire_as(principal: User, proposal: Proposal, trigger: str, task: Task | None) -> Decision:
    t = lifecycle_of(proposal).triggers.get(trigger)
    if t is None:
        return Decision(False, _("Thao tác này không thuộc quy trình của đề án."))
    role = t.role
    if role == HOLDER:
        if task is None:
            return Decision(False, _("Bước này hiện không có người xử lý."))
        role = task.role
    if role == Role.APPLICANT:
        if is_applicant_of(principal, proposal):
            return Decision(True, role=role)
        return Decision(False, _("Chỉ đơn vị đề nghị của đề án mới được thực hiện thao tác này."))
    if not principal.has_role(role):
        return Decision(
            False, _("Vai trò của bạn không được thực hiện thao tác “%(action)s”.") % {"action": t.label}
        )
    if task is not None and task.role == role:
        if task.unit_id != principal.unit_id:
            return Decision(False, _("Đề án không thuộc đơn vị của bạn."))
        if task.assignee_id not in (None, principal.pk):
            return Decision(False, _("Đề án đang do %(name)s xử lý.") % {"name": task.assignee})
        return Decision(True, role=role)
    if not in_unit(principal.unit, proposal) or principal.unit is None or principal.unit.level != "province":
        return Decision(False, _("Đề án không thuộc đơn vị của bạn."))
    return Decision(True, role=role)


# The national triggers that are the ministry side's (the Cục, or the Sở recording the Cục's decisions).
RECORDED_FOR_THE_MINISTRY = frozenset(t.name for t in NATIONAL_TRIGGERS if t.role == MINISTRY_SIDE)


def separation_of_duties(
    user: User, proposal: Proposal, trigger: str, *, on_behalf_of: User | None = None
) -> Decision:
    """settings.KHUYENCONG["SEPARATION_OF_DUTIES"]: (earlier, later) trigger pairs. Whoever fired the latest
    ``earlier`` on this đề án — in person or through a substitute — may not fire ``later`` on it."""
    lifecycle = lifecycle_of(proposal)
    if (
        lifecycle.track == Track.NATIONAL
        and trigger in RECORDED_FOR_THE_MINISTRY
        and ministry_side_role() != Role.MINISTRY
    ):
        # The Sở recording the Cục's or the Minister's decision does not decide it: no duty is mixed.
        return Decision(True)
    pairs = [
        tuple(p) for p in settings.KHUYENCONG.get("SEPARATION_OF_DUTIES", ()) if tuple(p)[1:] == (trigger,)
    ]
    people = {user.pk} | ({on_behalf_of.pk} if on_behalf_of is not None else set())
    for earlier, _later in pairs:
        event = (
            TransitionEvent.objects.filter(proposal=proposal, kind="transition", trigger=earlier)
            .order_by("-seq")
            .only("actor_id", "on_behalf_of_id")
            .first()
        )
        if event is None:
            continue
        if people & {event.actor_id, event.on_behalf_of_id}:
            return Decision(
                False,
                _(
                    "Người đã “%(earlier)s” đề án này không được “%(later)s” chính đề án đó (nguyên tắc tách bạch "
                    "nhiệm vụ). Đề nghị người khác có thẩm quyền thực hiện."
                )
                % {
                    "earlier": lifecycle.triggers[earlier].label
                    if earlier in lifecycle.triggers
                    else earlier,
                    "later": lifecycle.triggers[trigger].label,
                },
            )
    return Decision(True)


def can_fire(
    user: User, proposal: Proposal, trigger: str, *, task: Task | None, now: dt.datetime
) -> Decision:
    """May ``user`` fire ``trigger`` on ``proposal`` now — in person, or for someone who delegated to them."""
    if not user.is_authenticated or not user.is_active:
        return Decision(False, _("Cần đăng nhập."))
    decision = _can_fire_as(user, proposal, trigger, task)
    if decision:
        return separation_of_duties(user, proposal, trigger) and decision
    for delegator in active_delegators(user, now):
        by_delegation = _can_fire_as(delegator, proposal, trigger, task)
        if by_delegation:
            duties = separation_of_duties(user, proposal, trigger, on_behalf_of=delegator)
            if not duties:
                return duties
            return Decision(True, role=by_delegation.role, on_behalf_of=delegator)
    return decision
