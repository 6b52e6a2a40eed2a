"""Queries: what a user may see, task lists, history. Interfaces call these; they never filter by hand."""

from __future__ import annotations

from django.db.models import QuerySet

from core.models import User
from workflow.models import Proposal, Task, TransitionEvent
from workflow.permissions import visible_proposals


def proposals_for(user: User) -> QuerySet[Proposal]:
    return visible_proposals(user)


def inbox(user: User) -> QuerySet[Task]:
    """My open tasks, earliest deadline first."""
    return Task.objects.filter(assignee=user, completed_at__isnull=True).order_by("due_at", "id")


def queue(user: User) -> QuerySet[Task]:
    """Unassigned open tasks of my roles in my unit."""
    if not user.unit_id:
        return Task.objects.none()
    return Task.objects.filter(
        assignee__isnull=True, completed_at__isnull=True, unit_id=user.unit_id, role__in=list(user.role_names)
    ).order_by("due_at", "id")


def archive(user: User) -> QuerySet[Task]:
    return Task.objects.filter(completed_by=user, completed_at__isnull=False).order_by("-completed_at", "-id")


def history(proposal: Proposal) -> QuerySet[TransitionEvent]:
    return (
        TransitionEvent.objects.filter(proposal=proposal)
        .select_related("actor", "on_behalf_of", "unit")
        .order_by("seq")
    )
