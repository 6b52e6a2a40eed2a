"""Celery tasks of the notifications app: thin wrappers that read the clock and call one service.

All are idempotent (the outbox row lock and the reminder keys), acknowledged late, and retried with backoff
when the database is briefly unavailable. Delivery failures are not Celery retries: they are recorded on the
outbox row (attempts, next attempt, last error) and picked up again by the ``deliver_pending`` sweep.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import services

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 10,
    "acks_late": True,
    "ignore_result": True,
}


@shared_task(**RETRY)
def deliver_outbox(outbox_id: int) -> str | None:
    return services.deliver(outbox_id, now=timezone.now())


@shared_task(**RETRY)
def deliver_batch(outbox_ids: list[int]) -> dict[int, str]:
    """What a commit publishes: the rows it wrote, NOTIFICATIONS["DELIVERY_BATCH"] at a time."""
    return services.deliver_many(outbox_ids, now=timezone.now())


@shared_task(**RETRY)
def deliver_pending(limit: int = 500) -> dict[str, int]:
    return services.deliver_due(now=timezone.now(), limit=limit)
