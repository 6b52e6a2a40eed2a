"""The peer's ``district_submit``, as a typical Django team writes a workflow step: django-fsm-2 for the
status and its permission, django-fsm-log for the transition log, the plain ORM for the rest, in one
transaction with the đề án's row locked."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_fsm import has_transition_perm

from .models import PeerNotification, PeerProposal, PeerTask

APPRAISAL_DAYS = 15  # calendar days: the peer does not count working days


def district_submit(
    proposal_id: int, user, *, comment: str = "", now: dt.datetime | None = None
) -> PeerProposal:
    now = now or timezone.now()
    with transaction.atomic():
        proposal = PeerProposal.objects.select_for_update().get(pk=proposal_id)
        if not has_transition_perm(proposal.district_submit, user):
            raise PermissionDenied("Bạn không được xác nhận đề án này.")
        source = proposal.status
        proposal.district_submit(by=user, description=comment)  # django-fsm-log writes the StateLog row
        proposal.status_changed_at = now
        proposal.save()

        task = proposal.tasks.get(completed_at__isnull=True)
        task.completed_at = now
        task.completed_by = user
        task.outcome = "district_submit"
        task.save(update_fields=["completed_at", "completed_by", "outcome"])
        PeerTask.objects.create(
            proposal=proposal,
            role="appraiser",
            unit_id=proposal.province_id,
            created_at=now,
            due_at=now + dt.timedelta(days=APPRAISAL_DAYS),
        )

        PeerNotification.objects.create(
            recipient_id=proposal.applicant_id,
            template="proposal.district_submit",
            context={
                "proposal": proposal.pk,
                "tracking_code": proposal.tracking_code,
                "title": proposal.title,
                "from": source,
                "to": proposal.status,
                "comment": comment,
            },
        )
    return proposal
