"""Queue notifications (inside the caller's transaction) and deliver them (once, with retries).

``queue_message`` writes outbox rows; after commit it asks a worker to deliver each. ``deliver`` sends one
row under a row lock (``select_for_update(skip_locked=True)`` plus a state check), so two workers, a retried
task and the sweep never send the same row twice. ``deliver_due`` is the sweep: it sends whatever is due,
which is how a Redis outage only delays messages.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction

from core.calendar import VN_TZ
from core.models import User

from .channels import SENDERS, DeliveryError, Message
from .models import Channel, Delivery, Language, MessageTemplate, Outbox, Preference
from .rendering import MASK, SECRET_KEYS, Rendered, masked, render, render_digest, sms_text

log = logging.getLogger(__name__)


# --- queueing ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """One event's message to some people: ``key`` identifies the event, so writing it twice writes nothing."""

    recipients: tuple[User, ...]
    template: str
    context: dict
    key: str
    channels: tuple[str, ...] = (Channel.EMAIL, Channel.SMS)


def queue_message(
    *,
    recipients: Iterable[User],
    template: str,
    context: dict,
    key: str,
    now: dt.datetime,
    channels: Iterable[str] = (Channel.EMAIL, Channel.SMS),
) -> int:
    """Write one outbox row per recipient and channel they accept; ``key`` makes a repeated call a no-op.

    Returns the number of rows written (0 when every row already existed).
    """
    return queue_notices([Notice(tuple(recipients), template, context, key, tuple(channels))], now=now)


def queue_notices(notices: Iterable[Notice], *, now: dt.datetime) -> int:
    """``queue_message`` for many events in a fixed number of queries (the reminder sweep).

    Each user's preference decides the channels and whether the row waits for the daily digest; a template
    switched off in admin writes nothing; rows are delivered after the caller's transaction commits.
    """
    notices = [n for n in notices if n.recipients]
    if not notices:
        return 0
    flags = dict(
        (code, (active, immediate))
        for code, active, immediate in MessageTemplate.objects.filter(
            code__in={n.template for n in notices}
        ).values_list("code", "is_active", "always_immediate")
    )
    user_ids = {u.pk for n in notices for u in n.recipients}
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=user_ids)}
    digest_at = next_digest_at(now)
    rows = []
    for notice in notices:
        active, always_immediate = flags.get(notice.template, (True, False))
        if not active:
            continue  # the administrator switched this event off
        for user in notice.recipients:
            pref = prefs.get(user.pk) or Preference(user=user)
            digest = pref.frequency == Preference.Frequency.DAILY and not always_immediate
            for channel in notice.channels:
                if channel not in pref.channels() or not address_of(user, channel):
                    continue
                rows.append(
                    Outbox(
                        recipient=user,
                        channel=channel,
                        template=notice.template,
                        context=notice.context,
                        digest=digest,
                        idempotency_key=f"{notice.key}:{user.pk}:{channel}",
                        created_at=now,
                        next_attempt_at=digest_at if digest else now,
                    )
                )
    if not rows:
        return 0
    existing = set(
        Outbox.objects.filter(idempotency_key__in=[r.idempotency_key for r in rows]).values_list(
            "idempotency_key", flat=True
        )
    )
    new = [r for r in rows if r.idempotency_key not in existing]
    # ignore_conflicts: a concurrent caller may have written the same key since the read above.
    Outbox.objects.bulk_create(new, ignore_conflicts=True)
    immediate = [r.idempotency_key for r in new if not r.digest]
    if immediate:
        transaction.on_commit(partial(_kick_delivery, immediate))
    return len(new)


def address_of(user: User, channel: str) -> str:
    return (user.email if channel == Channel.EMAIL else user.phone) or ""


def next_digest_at(now: dt.datetime) -> dt.datetime:
    """The next daily digest time (NOTIFICATIONS["DIGEST_HOUR"], local) strictly after ``now``."""
    local = now.astimezone(VN_TZ)
    at = dt.datetime.combine(local.date(), dt.time(settings.NOTIFICATIONS["DIGEST_HOUR"]), tzinfo=VN_TZ)
    return at if at > local else at + dt.timedelta(days=1)


def _kick_delivery(keys: list[str]) -> None:
    """After commit: one delivery task per row. With the broker down, the beat sweep delivers later."""
    from .tasks import deliver_outbox

    for pk in Outbox.objects.filter(idempotency_key__in=keys).values_list("pk", flat=True):
        try:
            deliver_outbox.delay(pk)
        except Exception:  # noqa: BLE001 - a broker outage must never fail the user's request
            log.warning("Broker unavailable; the outbox sweep will deliver later.", exc_info=True)
            return


def requeue(outbox_ids: Iterable[int], *, now: dt.datetime) -> int:
    """An administrator's "try again": failed rows become pending with a fresh attempt count."""
    return Outbox.objects.filter(pk__in=list(outbox_ids), state=Outbox.State.FAILED).update(
        state=Outbox.State.PENDING, attempts=0, next_attempt_at=now, last_error=""
    )


# --- delivery ------------------------------------------------------------------------------------------------


def deliver(outbox_id: int, *, now: dt.datetime) -> str | None:
    """Send one due, pending outbox row (or the digest it belongs to). Returns the Delivery outcome, or None
    when there was nothing to do: already sent or failed, not due yet, or being sent by someone else."""
    with transaction.atomic():
        row = (
            Outbox.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=outbox_id, state=Outbox.State.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if row is None:
            return None
        rows = [row]
        if row.digest:
            rows += list(
                Outbox.objects.select_for_update(skip_locked=True)
                .filter(
                    recipient_id=row.recipient_id,
                    channel=row.channel,
                    digest=True,
                    state=Outbox.State.PENDING,
                    next_attempt_at__lte=now,
                )
                .exclude(pk=row.pk)
                .order_by("created_at", "id")
            )
        return _send(rows, now=now)


def deliver_due(*, now: dt.datetime, limit: int = 500) -> dict[str, int]:
    """The sweep: deliver every pending row that is due (first sends after an outage, and retries)."""
    ids = list(
        Outbox.objects.filter(state=Outbox.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes: Counter[str] = Counter()
    for pk in ids:
        outcome = deliver(pk, now=now)
        if outcome:
            outcomes[outcome] += 1
    return dict(outcomes)


def _send(rows: list[Outbox], *, now: dt.datetime) -> str:
    user: User = rows[0].recipient
    channel = rows[0].channel
    pref = Preference.objects.filter(user=user).first()
    language = pref.language if pref else Language.VI
    name = str(user)
    templates = {t.code: t for t in MessageTemplate.objects.filter(code__in={r.template for r in rows})}

    def compose(contexts: list[dict]) -> Rendered:
        items = [
            render(r.template, c, language=language, recipient_name=name, template=templates.get(r.template))
            for r, c in zip(rows, contexts, strict=True)
        ]
        if rows[0].digest:
            return render_digest(
                items, language=language, day=now.astimezone(VN_TZ).date(), recipient_name=name
            )
        return items[0]

    message = compose([r.context for r in rows])
    has_secret = any(r.context.get(k) for r in rows for k in SECRET_KEYS)
    logged = compose([masked(r.context) for r in rows]) if has_secret else message
    address = address_of(user, channel)
    text = message.body if channel == Channel.EMAIL else sms_text(message.sms)

    error, retryable = "", True
    if not address:
        error, retryable = f"{user} has no {channel} address", False
    else:
        try:
            SENDERS[channel](
                Message(to=address, subject=message.subject, body=text, reference=rows[0].idempotency_key)
            )
        except DeliveryError as exc:
            error, retryable = str(exc), exc.retryable
        except Exception as exc:  # noqa: BLE001 - a broken backend must be recorded on the row, not lost
            log.exception("Unexpected error sending outbox %s", rows[0].pk)
            error = f"{type(exc).__name__}: {exc}"

    max_attempts = settings.NOTIFICATIONS["MAX_ATTEMPTS"]
    if not error:
        outcome = Delivery.Outcome.SENT
    elif retryable and all(r.attempts + 1 < max_attempts for r in rows):
        outcome = Delivery.Outcome.RETRY
    else:
        outcome = Delivery.Outcome.FAILED
    delivery = Delivery.objects.create(
        attempted_at=now,
        recipient=user,
        channel=channel,
        address=address,
        subject=logged.subject,
        body=logged.body if channel == Channel.EMAIL else sms_text(logged.sms),
        outcome=outcome,
        error=error,
    )
    delivery.messages.set(rows)
    for row in rows:
        row.attempts += 1
        row.last_error = error
        if outcome == Delivery.Outcome.SENT:
            row.state, row.sent_at = Outbox.State.SENT, now
        elif outcome == Delivery.Outcome.RETRY:
            row.next_attempt_at = now + backoff(row.attempts)
        else:
            row.state = Outbox.State.FAILED
        if row.state != Outbox.State.PENDING:
            # The PIN is needed only until the message is out; do not keep it readable in the outbox.
            row.context = {k: (MASK if k in SECRET_KEYS and v else v) for k, v in row.context.items()}
        row.save(update_fields=["attempts", "last_error", "state", "sent_at", "next_attempt_at", "context"])
    if error:
        log.warning("Outbox %s (%s → %s): %s [%s]", rows[0].pk, channel, address, error, outcome)
    return outcome


def backoff(attempts: int) -> dt.timedelta:
    """Wait before retry number ``attempts``: RETRY_BASE_SECONDS doubled each time, capped."""
    conf = settings.NOTIFICATIONS
    return dt.timedelta(
        seconds=min(conf["RETRY_BASE_SECONDS"] * 2 ** (attempts - 1), conf["RETRY_MAX_SECONDS"])
    )
