from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from core.roles import STAFF_ROLES
from workflow.models import Advance, Attachment, Proposal, Task
from workflow.permissions import visible_proposals


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def is_staff(user) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(STAFF_ROLES & user.role_names))


class StaffMixin(LoginRequiredMixin):
    """A signed-in staff member; anybody else gets 404 here. In the site's applications the gate
    (workflow/apps_shell.py) answers them first: 404 for a đề án they may not see, else 403 with the reason."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_staff(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    @property
    def now(self):
        return timezone.now()


def visible_proposal_or_404(user, pk: int) -> Proposal:
    proposal = (
        visible_proposals(user)
        .select_related("province", "district", "commune", "implementing_org", "beneficiary")
        .filter(pk=pk)
        .first()
    )
    if proposal is None:
        raise Http404
    return proposal


# What a URL's object is, for the application gate (workflow/apps_shell.py): a view declares
# ``subject = (kind, URL keyword)``, e.g. ``("task", "pk")``; the gate finds the đề án it belongs to.
SUBJECT_MODELS: dict[str, type[Task] | type[Attachment] | type[Advance]] = {
    "task": Task,
    "attachment": Attachment,
    "advance": Advance,
}


def proposal_id_of(kind: str, pk) -> int | None:
    """The đề án a URL's đề án, task, attachment or advance belongs to; None when there is no such object."""
    if kind == "proposal":
        return int(pk)
    return SUBJECT_MODELS[kind].objects.filter(pk=pk).values_list("proposal_id", flat=True).first()


def forbidden(request, reason: str):
    """The 403 page of the site: the reason why, in the user's language (nothing was done)."""
    return render(request, "workflow/forbidden.html", {"reason": reason}, status=403)
