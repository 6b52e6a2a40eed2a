"""Celery tasks of the workflow app: thin wrappers that read the clock and call one service (retried like the
notifications' tasks when the database is briefly unavailable)."""

from celery import shared_task
from django.utils import timezone

from notifications.tasks import RETRY

from . import reminders


@shared_task(**RETRY)
def send_reminders() -> dict[str, int]:
    return reminders.run_sweep(now=timezone.now())
