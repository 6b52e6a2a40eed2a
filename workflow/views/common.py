from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.utils import timezone

from core.roles import STAFF_ROLES
from workflow.models import Proposal
from workflow.permissions import visible_proposals


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class StaffMixin(LoginRequiredMixin):
    """A signed-in staff member; anybody else gets 404 (not even the page's existence is told)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not (
            STAFF_ROLES & request.user.role_names or request.user.is_superuser
        ):
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
