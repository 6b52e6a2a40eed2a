"""Append to and verify the hash-chained audit trail (architecture.md §6)."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, connections
from django.db.models import CharField, F, Func, Max, Min, TextField
from django.db.models.functions import Cast

from core.db import binary_cursor
from core.models import User
from core.statements import insert
from workflow.models import GENESIS, HASHED_FIELDS, Proposal, TransitionEvent, event_hash

_SYSTEM_CHAIN_LOCK = 748_201_311  # advisory lock key of the chain of events with no đề án


def _plain(data: dict | None) -> dict:
    """The JSON the database will give back (dates as strings …), so the hash survives the round trip."""
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))


def append_event(
    *,
    proposal: Proposal | None,
    kind: str,
    trigger: str,
    from_status: str = "",
    to_status: str = "",
    actor: User | None,
    now: dt.datetime,
    on_behalf_of: User | None = None,
    role: str = "",
    unit_id: int | None = None,
    comment: str = "",
    data: dict | None = None,
    ip: str | None = None,
    head: tuple[int, str] | tuple[None, None] | None = None,
) -> TransitionEvent:
    """Append one audit row. The caller holds the lock of the đề án row (select_for_update) in its transaction.

    ``head``: the chain's last (seq, hash) when the caller already read it under that lock, in a statement
    that began after the lock was granted (``(None, None)`` for an empty chain); else it is read here."""
    if proposal is None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SYSTEM_CHAIN_LOCK])
    if head is not None and proposal is not None:
        last = head if head[0] is not None else None
    else:
        last = (
            TransitionEvent.objects.filter(proposal=proposal)
            .order_by("-seq")
            .values_list("seq", "hash")
            .first()
        )
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = TransitionEvent(
        proposal=proposal,
        seq=seq,
        kind=kind,
        trigger=trigger,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        on_behalf_of=on_behalf_of,
        role=role,
        unit_id=unit_id,
        created_at=now,
        comment=comment,
        data=_plain(data),
        ip=ip or None,
        prev_hash=prev,
    )
    event.hash = event.compute_hash()
    insert(event)
    return event


def record_action(proposal: Proposal, trigger: str, **fields) -> TransitionEvent:
    """An audit row for an action that leaves the đề án's status as it is (claim, upload, advance …)."""
    return append_event(
        proposal=proposal,
        kind="action",
        trigger=trigger,
        from_status=proposal.status,
        to_status=proposal.status,
        **fields,
    )


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    chains: int
    broken_proposal: int | None = None
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str = ""


def verify_chains(*, proposal_id: int | None = None, chunk_size: int = 5000, workers: int = 1) -> ChainReport:
    """Recompute every chain (or one đề án's) and stop at the first broken link.

    ``workers`` > 1 (``manage.py verify_audit``): the đề án are split into that many ranges of ids, each
    verified by its own process, the chain of events with no đề án by one more; the report is the one a single
    pass would give (the first broken link in (đề án, seq) order, the events verified before it)."""
    qs = TransitionEvent.objects.all()
    if proposal_id is not None:
        return _verify(qs.filter(proposal_id=proposal_id), chunk_size)
    if workers <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        # Inside a transaction the other processes would not see its rows: one pass, in this connection.
        return _verify(qs, chunk_size)
    bounds = Proposal.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return _verify(qs, chunk_size)
    step = (bounds["hi"] - bounds["lo"]) // workers + 1
    parts: list[tuple[int, int] | None] = [
        (bounds["lo"] + i * step, bounds["lo"] + (i + 1) * step) for i in range(workers)
    ]
    parts.append(None)  # the chain of events with no đề án sorts last, as in a single pass
    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork"), initializer=_forget_inherited_connections
    ) as pool:
        reports = list(pool.map(_verify_part, parts, [chunk_size] * len(parts)))
    events = chains = 0
    for report in reports:
        if not report.ok:
            return replace(report, events=events + report.events, chains=chains + report.chains)
        events, chains = events + report.events, chains + report.chains
    return ChainReport(True, events, chains)


_inherited: list = []


def _forget_inherited_connections() -> None:
    """In a forked process: the parent's open connections are copies of its sockets. Using one would mix two
    processes' traffic on one session and closing one would end the parent's session, so each is set aside
    (kept referenced, never closed; the process ends with os._exit) and a new connection opens on first use."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            _inherited.append(conn.connection)
            conn.connection = None


def _verify_part(part: tuple[int, int] | None, chunk_size: int) -> ChainReport:
    qs = TransitionEvent.objects.all()
    if part is None:
        qs = qs.filter(proposal_id__isnull=True)
    else:
        qs = qs.filter(proposal_id__gte=part[0], proposal_id__lt=part[1])
    try:
        return _verify(qs, chunk_size)
    finally:
        connections.close_all()


def _rows(qs, chunk_size: int):
    """``(id, *HASHED_FIELDS, hash)`` of the events in chain order, as the ORM's ``values_list`` gives them.

    On PostgreSQL they are fetched from a server-side cursor in binary format, where psycopg's C loaders read
    the timestamps (Django's text loader for ``timestamptz`` took a fifth of the verification's time). The JSON
    is read as text and decoded as ``from_db_value`` decodes it (the empty object without a decoder), and the
    address as ``host(ip)``, the text the ORM gives (an ``inet`` in binary would come back as an ``ipaddress``
    object, whose text can differ)."""
    ordered = qs.order_by("proposal_id", "seq")
    if connection.vendor != "postgresql":
        yield from ordered.values_list("id", *HASHED_FIELDS, "hash").iterator(chunk_size=chunk_size)
        return
    text = {"ip": "ip_text", "data": "data_text"}
    query = ordered.annotate(
        ip_text=Func(F("ip"), function="host", output_field=CharField()),
        data_text=Cast("data", TextField()),
    ).values_list("id", *(text.get(f, f) for f in HASHED_FIELDS), "hash")
    sql, params = query.query.sql_with_params()
    data_at = 1 + HASHED_FIELDS.index("data")
    decode = json.JSONDecoder().decode
    with binary_cursor(chunked=True) as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(chunk_size):
            for values in chunk:
                data = values[data_at]
                yield (*values[:data_at], {} if data == "{}" else decode(data), *values[data_at + 1 :])


def _verify(qs, chunk_size: int) -> ChainReport:
    current: object = object()
    prev, expected_seq, events, chains = GENESIS, 1, 0, 0
    for values in _rows(qs, chunk_size):
        row_id, stored = values[0], values[-1]
        row = dict(zip(HASHED_FIELDS, values[1:-1], strict=True))
        if row["proposal_id"] != current:
            current, prev, expected_seq = row["proposal_id"], GENESIS, 1
            chains += 1
        problem = ""
        if row["seq"] != expected_seq:
            problem = f"sequence {expected_seq} is missing (found {row['seq']})"
        elif row["prev_hash"] != prev:
            problem = "previous-hash link does not match the row before"
        elif event_hash(row) != stored:
            problem = "row content does not match its hash"
        if problem:
            return ChainReport(False, events, chains, row["proposal_id"], row["seq"], row_id, problem)
        prev, expected_seq, events = stored, expected_seq + 1, events + 1
    return ChainReport(True, events, chains)
