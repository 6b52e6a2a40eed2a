"""Celery tasks of the notifications app. Delivery channels come with the notifications issue; until then
a pending row is logged and marked sent by the console channel."""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from .models import Outbox

log = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def deliver_pending(limit: int = 200) -> int:
    now = timezone.now()
    sent = 0
    with transaction.atomic():
        rows = list(
            Outbox.objects.select_for_update(skip_locked=True)
            .filter(state=Outbox.State.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")[:limit]
        )
        for row in rows:
            log.info("[%s] %s → user %s: %s", row.channel, row.template, row.recipient_id, row.context)
            row.state, row.sent_at, row.attempts = Outbox.State.SENT, now, row.attempts + 1
            row.save(update_fields=["state", "sent_at", "attempts"])
            sent += 1
    return sent
