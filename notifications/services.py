"""Queue notifications. Called inside the caller's transaction; delivery happens after commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from .models import Channel, Outbox


def queue_message(
    *, recipients: Iterable, template: str, context: dict, key: str, now: dt.datetime,
    channels: Iterable[str] = (Channel.EMAIL, Channel.SMS),
) -> int:
    """Write one outbox row per recipient and channel; ``key`` makes a repeated call a no-op. Returns rows written."""
    rows = []
    for user in recipients:
        for channel in channels:
            if channel == Channel.EMAIL and not user.email:
                continue
            if channel == Channel.SMS and not user.phone:
                continue
            rows.append(
                Outbox(
                    recipient=user, channel=channel, template=template, context=context,
                    idempotency_key=f"{key}:{user.pk}:{channel}", created_at=now, next_attempt_at=now,
                )
            )
    created = Outbox.objects.bulk_create(rows, ignore_conflicts=True)
    if created:
        transaction.on_commit(_kick_delivery)
    return len(created)


def _kick_delivery() -> None:
    """Ask a worker to deliver now; when the broker is down the beat sweep delivers later."""
    try:
        from .tasks import deliver_pending

        deliver_pending.delay()
    except Exception:  # noqa: BLE001 - a broker outage must never fail the user's request
        import logging

        logging.getLogger(__name__).warning("Broker unavailable; the outbox sweep will deliver later.", exc_info=True)
