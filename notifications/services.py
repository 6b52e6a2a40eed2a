"""Queue notifications (inside the caller's transaction) and deliver them (once, with retries).

``queue_message`` writes outbox rows; after commit it asks a worker to deliver each. ``deliver`` sends one
row under a row lock (``select_for_update(skip_locked=True)`` plus a state check), so two workers, a retried
task and the sweep never send the same row twice. ``deliver_due`` is the sweep: it sends whatever is due,
which is how a Redis outage only delays messages.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import functools
import json
import logging
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F

from core.calendar import VN_TZ
from core.models import User
from core.statements import column_of
from core.statements import cursor as statement_cursor

from .channels import SENDERS, DeliveryError, Message
from .models import Channel, Delivery, Language, Outbox, Preference
from .rendering import MASK, SECRET_KEYS, Rendered, masked, render, render_digest, sms_text, templates

log = logging.getLogger(__name__)


# --- queueing ------------------------------------------------------------------------------------------------


class Recipient(NamedTuple):
    """What queueing a message reads of a person: the addresses and what their preference accepts. The transition
    service reads exactly this in its recipients' query, without building a user and a preference object for each
    (``recipient``); a ``User`` is read the same way (``_audience``)."""

    pk: int
    email: str
    phone: str
    channels: frozenset[str]  # the channels the person's preference accepts
    daily: bool  # the preference gathers messages into the daily digest


# The user's columns ``recipient`` takes, in its order, as a values_list() of User names them.
RECIPIENT_COLUMNS = (
    "pk",
    "email",
    "phone",
    "notification_preference__email",
    "notification_preference__sms",
    "notification_preference__frequency",
)


def recipient(pk: int, email: str, phone: str, wants_email, wants_sms, frequency) -> Recipient:
    """A Recipient from a user's RECIPIENT_COLUMNS (the preference's are None where they have no preference
    row: the preference's defaults then apply, email and SMS, immediately)."""
    if frequency is None:
        default = _DEFAULT_PREFERENCE
        wants_email, wants_sms, frequency = default.email, default.sms, default.frequency
    channels = _CHANNEL_SETS[bool(wants_email), bool(wants_sms)]
    return Recipient(pk, email or "", phone or "", channels, frequency == Preference.Frequency.DAILY)


_DEFAULT_PREFERENCE = Preference()  # no row: the model's defaults
_CHANNEL_SETS = {
    (e, s): frozenset(c for c, on in ((Channel.EMAIL, e), (Channel.SMS, s)) if on)
    for e in (False, True)
    for s in (False, True)
}


@dataclass(frozen=True)
class Notice:
    """One event's message to some people: ``key`` identifies the event, so writing it twice writes nothing."""

    recipients: tuple[User | Recipient, ...]
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
    Preferences come with the users when they were loaded with ``select_related("notification_preference")``;
    the templates from the per-process copy (core/config_cache.py). The rows are written with one
    ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (on PostgreSQL whatever their number): a key written before is
    skipped, the new ids come back for the delivery queue.
    """
    notices = [n for n in notices if n.recipients]
    if not notices:
        return 0
    known = templates()
    people = _audience(notices)
    digest_at = next_digest_at(now)
    rows = []
    for notice in notices:
        template = known.get(notice.template)
        if template is not None and not template.is_active:
            continue  # the administrator switched this event off
        always_immediate = template is not None and template.always_immediate
        for who in notice.recipients:
            person = people[who.pk]
            digest = person.daily and not always_immediate
            for channel in notice.channels:
                if channel not in person.channels or not (
                    person.email if channel == Channel.EMAIL else person.phone
                ):
                    continue
                rows.append(
                    NewRow(
                        person.pk,
                        channel,
                        notice.template,
                        notice.context,
                        f"{notice.key}:{person.pk}:{channel}",
                        digest,
                        digest_at if digest else now,
                    )
                )
    if not rows:
        return 0
    written = _insert_new(rows, now=now)
    immediate = [pk for pk, digest in written if not digest]
    if immediate:
        transaction.on_commit(partial(_kick_delivery, immediate))
    return len(written)


class NewRow(NamedTuple):
    """An outbox row about to be written (pending, no attempt yet)."""

    recipient_id: int
    channel: str
    template: str
    context: dict
    idempotency_key: str
    digest: bool
    next_attempt_at: dt.datetime


_INSERTED = (
    "recipient_id",
    "channel",
    "template",
    "context",
    "idempotency_key",
    "digest",
    "next_attempt_at",
    "state",
    "attempts",
    "last_error",
    "created_at",
)
# PostgreSQL receives the rows as one JSON document, read back by jsonb_to_recordset: one statement and five
# parameters whatever the number of rows (the reminder sweep writes tens of thousands at once), and one call of
# the JSON encoder (C) instead of an array dumper per column walking each value in Python.
_RECORD = (
    ("r", "bigint"),
    ("c", "text"),
    ("t", "text"),
    ("x", "jsonb"),
    ("k", "text"),
    ("d", "boolean"),
    ("n", "timestamptz"),
)
INSERT_CHUNK = 1000  # rows per VALUES statement elsewhere (SQLite)


@functools.cache
def _insert_parts(vendor: str) -> tuple[list, str, str]:
    """The outbox insert's fields, its SQL up to the rows, and its ON CONFLICT clause, made once per process
    (identifiers quoted from the model, every value a parameter)."""
    ops = connection.ops
    fields = [Outbox._meta.get_field(name) for name in _INSERTED]
    table = ops.quote_name(Outbox._meta.db_table)
    columns = ", ".join(ops.quote_name(column_of(f)) for f in fields)
    key = ops.quote_name(column_of(Outbox._meta.get_field("idempotency_key")))
    conflict = f"ON CONFLICT ({key}) DO NOTHING RETURNING id, digest"
    if vendor != "postgresql":
        return fields, f"INSERT INTO {table} ({columns}) VALUES ", conflict  # noqa: S608
    names = ", ".join(name for name, _ in _RECORD)
    record = ", ".join(f"{name} {kind}" for name, kind in _RECORD)
    sql = (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608
        f"SELECT {names}, %s::text, %s::smallint, %s::text, %s::timestamptz "
        f"FROM jsonb_to_recordset(%s::jsonb) AS u({record}) "
    )
    return fields, sql, conflict


def _insert_new(rows: list[NewRow], *, now: dt.datetime) -> list[tuple[int, bool]]:
    """Insert the rows whose key is new; (id, digest) of each row written. A key written before, or by a
    concurrent caller a moment ago, is skipped by the unique index, never raised."""
    fixed = (Outbox.State.PENDING, 0, "", now)  # state, attempts, last_error, created_at
    cursor = statement_cursor()
    if connection.vendor == "postgresql":
        _, sql, conflict = _insert_parts(connection.vendor)
        # The contexts as queue_message always wrote them (DjangoJSONEncoder); the next attempt's time in full
        # (that encoder keeps milliseconds only).
        document = json.dumps(
            [
                {  # the names of _RECORD
                    "r": r.recipient_id,
                    "c": r.channel,
                    "t": r.template,
                    "x": r.context,
                    "k": r.idempotency_key,
                    "d": r.digest,
                    "n": r.next_attempt_at.isoformat(),
                }
                for r in rows
            ],
            cls=DjangoJSONEncoder,
            ensure_ascii=False,
        )
        cursor.execute(sql + conflict, [*fixed, document])
        return [(pk, bool(digest)) for pk, digest in cursor.fetchall()]
    fields, insert, conflict = _insert_parts(connection.vendor)
    written: list[tuple[int, bool]] = []
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        params = [
            f.get_db_prep_save(value, connection)
            for row in chunk
            for f, value in zip(fields, (*row, *fixed), strict=True)
        ]
        cursor.execute(insert + ", ".join([one] * len(chunk)) + " " + conflict, params)
        written += [(pk, bool(digest)) for pk, digest in cursor.fetchall()]
    return written


def _audience(notices: list[Notice]) -> dict[int, Recipient]:
    """Every recipient of the notices as a Recipient, by id. A user's preference comes with the user when it was
    loaded with them, else all the missing ones in one query; a Recipient is taken as it is."""
    people: dict[int, Recipient] = {}
    users: dict[int, User] = {}
    for notice in notices:
        for person in notice.recipients:
            if isinstance(person, Recipient):
                people[person.pk] = person
            else:
                users[person.pk] = person
    missing = {pk for pk, user in users.items() if not User.notification_preference.is_cached(user)}
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=missing)} if missing else {}
    for pk, user in users.items():
        pref = prefs.get(pk) if pk in missing else getattr(user, "notification_preference", None)
        people[pk] = recipient(
            pk,
            user.email,
            user.phone,
            *((pref.email, pref.sms, pref.frequency) if pref else (None, None, None)),
        )
    return people


def address_of(user: User, channel: str) -> str:
    return (user.email if channel == Channel.EMAIL else user.phone) or ""


def next_digest_at(now: dt.datetime) -> dt.datetime:
    """The next daily digest time (NOTIFICATIONS["DIGEST_HOUR"], local) strictly after ``now``."""
    local = now.astimezone(VN_TZ)
    at = dt.datetime.combine(local.date(), dt.time(settings.NOTIFICATIONS["DIGEST_HOUR"]), tzinfo=VN_TZ)
    return at if at > local else at + dt.timedelta(days=1)


def _kick_delivery(ids: list[int]) -> None:
    """After commit: ask a worker to deliver the rows just written. The request does not wait for the broker:
    the ids go to this process's publisher thread (NOTIFICATIONS["PUBLISH_IN_BACKGROUND"], the default)."""
    if settings.NOTIFICATIONS["PUBLISH_IN_BACKGROUND"]:
        _publisher.submit(ids)
    else:
        publish_delivery(ids)


def publish_delivery(ids: list[int]) -> None:
    """One delivery task per DELIVERY_BATCH rows. Each publish is tried once, never retried: with the broker
    down nothing waits and the beat sweep delivers later; after a failed publish this process does not try
    again for BROKER_BACKOFF_SECONDS."""
    global _broker_down_until
    from .tasks import deliver_batch

    if time.monotonic() < _broker_down_until:
        return
    size = settings.NOTIFICATIONS["DELIVERY_BATCH"]
    try:
        # One producer (one pooled connection and channel) for the whole hand-over, and its messages sent to
        # Redis in one pipeline (kombu's publish batch): a client object and a round trip per task were a third
        # of each publish's cost, which a sweep's thousands of tasks add up. The arguments' text for the task's
        # headers is Python's repr of a list of ids; Celery's own safe repr of it took a fifth.
        with deliver_batch.app.producer_or_acquire() as producer, _batched(producer):
            for start in range(0, len(ids), size):
                chunk = ids[start : start + size]
                deliver_batch.apply_async(
                    (chunk,), retry=False, producer=producer, argsrepr=repr((chunk,)), kwargsrepr="{}"
                )
    except Exception:  # noqa: BLE001 - a broker outage must never fail the user's request
        _broker_down_until = time.monotonic() + settings.NOTIFICATIONS["BROKER_BACKOFF_SECONDS"]
        log.warning("Broker unavailable; the outbox sweep will deliver later.", exc_info=True)


def _batched(producer):
    """kombu's publish batch where the transport has one (Redis), else publishing as before."""
    batch = getattr(producer, "batch", None)
    return batch() if batch is not None and producer.supports_batch_publish else contextlib.nullcontext()


_broker_down_until = 0.0


_FLUSH = None  # put on the publisher's queue by a waiter: publish what was collected now


class _Publisher:
    """A daemon thread per process that publishes the ids committed transactions hand it. Ids that arrive while
    it publishes go out together in the next round (fewer, fuller tasks under load). Ids still queued when the
    process dies are not lost: their rows are pending in the outbox and the sweep sends them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.SimpleQueue[list[int] | None] = queue.SimpleQueue()
        self._done = threading.Condition()
        self._unpublished = 0  # ids handed over and not published yet

    def submit(self, ids: list[int]) -> None:
        if self._pid != os.getpid():  # first use in this process, or a forked child (gunicorn, prefork)
            with self._lock:
                if self._pid != os.getpid():
                    _load_broker_transport()
                    self._queue, self._done, self._unpublished = queue.SimpleQueue(), threading.Condition(), 0
                    threading.Thread(target=self._run, name="outbox-publisher", daemon=True).start()
                    self._pid = os.getpid()
        with self._done:
            self._unpublished += len(ids)
        self._queue.put(ids)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until everything handed over so far was published (tests, and the process's exit). Someone
        waiting ends the collection window at once."""
        if self._pid != os.getpid():
            return True
        self._queue.put(_FLUSH)
        with self._done:
            return self._done.wait_for(lambda: self._unpublished == 0, timeout)

    def _run(self) -> None:
        carried: list[int] = []
        since = 0.0
        while True:
            ids, carried, since = self._collect(carried, since)
            if not ids:
                continue
            try:
                with _publishing:  # a fork waits for this publish to finish (see below)
                    publish_delivery(ids)
            except Exception:  # noqa: BLE001 - the thread must outlive any error; the sweep delivers
                log.exception("Publishing delivery tasks failed; the outbox sweep will deliver later.")
            with self._done:
                self._unpublished -= len(ids)
                self._done.notify_all()

    def _collect(self, pending: list[int], since: float) -> tuple[list[int], list[int], float]:
        """(ids to publish now, ids carried over to the next round, when the oldest of those was handed over).

        After a hand-over the thread waits up to PUBLISH_WINDOW_SECONDS for others, until it holds
        PUBLISH_TASKS full delivery tasks (DELIVERY_BATCH ids each): a transition hands over a few ids, and a
        publish costs its process about 0.3 ms for the round trip and 0.3 ms for each task it carries, so the
        tasks of a window go in one publish. Then it takes whatever else is already waiting. Before the window
        ends only full tasks go out and the rest waits for the next hand-overs; once the window of the oldest
        id has passed, or someone waits for the publisher (``wait_idle``), everything goes. A flush request on
        its own yields nothing."""
        size = settings.NOTIFICATIONS["DELIVERY_BATCH"]
        enough = size * settings.NOTIFICATIONS["PUBLISH_TASKS"]
        if not pending:
            first = self._queue.get()
            if first is _FLUSH:
                return [], [], 0.0
            pending, since = list(first), time.monotonic()
        deadline = since + settings.NOTIFICATIONS["PUBLISH_WINDOW_SECONDS"]
        flush = False
        while len(pending) < enough and (left := deadline - time.monotonic()) > 0:
            try:
                ids = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if ids is _FLUSH:
                flush = True
                break
            pending += ids
        while not self._queue.empty():
            ids = self._queue.get_nowait()
            if ids is _FLUSH:
                flush = True
            else:
                pending += ids
        if flush or time.monotonic() >= deadline:
            return pending, [], 0.0
        full = len(pending) - len(pending) % size
        return pending[:full], pending[full:], since


def _load_broker_transport() -> None:
    """Import the broker's transport module in the calling thread before the publisher thread needs it: a
    module imported by two threads at once can be handed half-initialised to one of them (seen as
    "partially initialized module 'kombu.transport.redis'" on a process's first publish)."""
    from .tasks import deliver_batch

    try:
        deliver_batch.app.connection_for_write().release()  # resolves the transport class; no network
    except Exception:  # noqa: BLE001 - a misconfigured broker shows at publish time, in the log
        log.warning("Broker transport could not be loaded", exc_info=True)


_publisher = _Publisher()

# Held while the publisher thread talks to the broker. A process forked in the middle of a publish (gunicorn,
# Celery prefork, multiprocessing) would inherit the broker client's locks held by a thread that does not exist
# in the child, and hang at its first use of them; so a fork waits for the publish in progress to end.
_publishing = threading.Lock()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_publishing.acquire, after_in_parent=_publishing.release, after_in_child=_publishing.release
    )


def wait_for_publisher(timeout: float = 10.0) -> bool:
    """Block until this process's publisher thread has handed everything so far to the broker (the tests, the
    benchmarks, a command that ends right after its commit). False when ``timeout`` passed first."""
    return _publisher.wait_idle(timeout)


atexit.register(_publisher.wait_idle, 2.0)


def requeue(outbox_ids: Iterable[int], *, now: dt.datetime) -> int:
    """An administrator's "try again": failed rows become pending with a fresh attempt count."""
    return Outbox.objects.filter(pk__in=list(outbox_ids), state=Outbox.State.FAILED).update(
        state=Outbox.State.PENDING, attempts=0, next_attempt_at=now, last_error=""
    )


# --- delivery ------------------------------------------------------------------------------------------------


def deliver(outbox_id: int, *, now: dt.datetime) -> str | None:
    """Send one due, pending outbox row (or the digest it belongs to). Returns the Delivery outcome, or None
    when there was nothing to do: already sent or failed, not due yet, or being sent by someone else."""
    return deliver_many([outbox_id], now=now).get(outbox_id)


def deliver_many(outbox_ids: Iterable[int], *, now: dt.datetime) -> dict[int, str]:
    """``deliver`` for a batch of rows (one delivery task): {outbox id: outcome} of each message sent, under the
    row that started it (a digest's other rows are sent with it).

    One transaction for the batch: the due, pending rows are locked in one statement (rows another worker holds
    are skipped), each message is sent, and the attempts are recorded with one statement per table. A worker
    that dies mid-batch records nothing: the rows stay pending and are sent again with the same reference (a
    gateway drops a reference it has seen); the delivery log records each message once. NOTIFICATIONS
    ["DELIVERY_BATCH"] bounds how many messages that can be."""
    ids = list(dict.fromkeys(outbox_ids))
    outcomes: dict[int, str] = {}
    with transaction.atomic():
        locked = {
            row.pk: row
            for row in Outbox.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "recipient__notification_preference")
            .filter(pk__in=ids, state=Outbox.State.PENDING, next_attempt_at__lte=now)
        }
        done: set[int] = set()
        attempts: list[tuple[Delivery, list[Outbox]]] = []
        for pk in ids:
            row = locked.get(pk)
            if row is None or pk in done:
                continue
            rows = [row]
            if row.digest:
                rows += [
                    r
                    for r in Outbox.objects.select_for_update(skip_locked=True)
                    .filter(
                        recipient_id=row.recipient_id,
                        channel=row.channel,
                        digest=True,
                        state=Outbox.State.PENDING,
                        next_attempt_at__lte=now,
                    )
                    .exclude(pk=row.pk)
                    .order_by("created_at", "id")
                    if r.pk not in done
                ]
            delivery = _send(rows, now=now)
            outcomes[pk] = delivery.outcome
            done |= {r.pk for r in rows}
            attempts.append((delivery, rows))
        _record(attempts)
    return outcomes


def _record(attempts: list[tuple[Delivery, list[Outbox]]]) -> None:
    """The delivery log rows, their links to the outbox rows, and the outbox rows' new state: three statements."""
    if not attempts:
        return
    Delivery.objects.bulk_create([d for d, _ in attempts])  # sets each one's id
    through = Delivery.messages.through
    through.objects.bulk_create(
        [through(delivery_id=d.pk, outbox_id=r.pk) for d, rows in attempts for r in rows]
    )
    # The common case in one statement: sent, nothing in the context to mask. The others (retries, failures,
    # a context whose PIN is now masked) one by one.
    fields = ["attempts", "last_error", "state", "sent_at", "next_attempt_at", "context"]
    plain: list[Outbox] = []
    others: list[Outbox] = []
    for _, rows in attempts:
        for r in rows:
            simple = (
                r.state == Outbox.State.SENT and not r.last_error and not r.context.keys() & set(SECRET_KEYS)
            )
            (plain if simple else others).append(r)
    if plain:
        Outbox.objects.filter(pk__in=[r.pk for r in plain]).update(
            state=Outbox.State.SENT, sent_at=plain[0].sent_at, attempts=F("attempts") + 1, last_error=""
        )
    for r in others:
        r.save(update_fields=fields)


def deliver_due(*, now: dt.datetime, limit: int = 500) -> dict[str, int]:
    """The sweep: deliver every pending row that is due (first sends after an outage, and retries)."""
    ids = list(
        Outbox.objects.filter(state=Outbox.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return dict(Counter(deliver_many(ids, now=now).values()))


def _send(rows: list[Outbox], *, now: dt.datetime) -> Delivery:
    """Send the rows as one message (a digest when several); the caller holds their locks. Returns the attempt
    (not saved yet) and updates the rows in memory: the caller writes both (``_record``)."""
    user: User = rows[0].recipient
    channel = rows[0].channel
    pref = getattr(user, "notification_preference", None)
    language = pref.language if pref else Language.VI
    name = str(user)
    known = templates()

    def compose(contexts: list[dict]) -> Rendered:
        items = [
            render(r.template, c, language=language, recipient_name=name, template=known.get(r.template))
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
    delivery = Delivery(
        attempted_at=now,
        recipient=user,
        channel=channel,
        address=address,
        subject=logged.subject,
        body=logged.body if channel == Channel.EMAIL else sms_text(logged.sms),
        outcome=outcome,
        error=error,
    )
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
    if error:
        log.warning("Outbox %s (%s → %s): %s [%s]", rows[0].pk, channel, address, error, outcome)
    return delivery


def backoff(attempts: int) -> dt.timedelta:
    """Wait before retry number ``attempts``: RETRY_BASE_SECONDS doubled each time, capped."""
    conf = settings.NOTIFICATIONS
    return dt.timedelta(
        seconds=min(conf["RETRY_BASE_SECONDS"] * 2 ** (attempts - 1), conf["RETRY_MAX_SECONDS"])
    )
