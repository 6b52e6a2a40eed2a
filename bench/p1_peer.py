"""P1: the project's ``fire(…, "district_submit")`` against a peer, the same step written the way a typical
Django team would (bench/peers/: django-fsm-2 for the status and its permission, django-fsm-log for the
transition log, the plain ORM for the rest), on the same PostgreSQL, at 1 and 2 processes.

The peer, in one transaction with the đề án's row locked (``select_for_update``): the permission check
(``has_transition_perm``: the district officer's role and unit), the status change through the
``@transition`` method, django-fsm-log's ``StateLog`` row, ``save()``, the open task closed
(``save(update_fields=…)``), the next task opened (due in 15 calendar days), one notification row. What it
does not do and ``fire`` does: visibility, the open task's holder in the permission check, the step's guard,
the hash-chained audit row, the deadline in Vietnamese working days from the SLA configuration, a message per
channel for the applicant and for every appraiser of the queue, and their delivery queued after commit
(``fire``'s processes wait for it, as in B1). bench/README.md says it in full.

The peer's tables are a copy of the project's data set taken before any benchmark writes
(bench/peers/datagen.py: the same đề án with the same statuses, their tasks, one StateLog row per audited
transition). Timing and
counting are B1's (bench/b1_transitions.py): each process warms its connection with ``b1_warmup`` steps before
the clock, median of 3 repeats, ``fire``'s figures are the very measurement B1 reports when both run. SQL
statements per step with CaptureQueriesContext in a warm process, BEGIN/COMMIT listed but not counted.
Target: fire ≥ 1.0 × the peer at 2 processes (the ratio at 1 process is reported beside it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from . import stats
from .b1_transitions import (
    COMMENT,
    NOW,
    SERVICE,
    Item,
    Side,
    Source,
    fresh_heap,
    load_actors,
    measured,
    without_begin_commit,
)
from .context import Context

_mirrored: dict[int, int] = {}  # id(ctx) -> đề án copied into the peer's tables


def _peer_lodged(ctx: Context, count: int) -> list[Item]:
    """Copy the data set into the peer's tables (once per run), then (đề án, district officer, applicant) for
    ``count`` lodged peer đề án, lowest ids first."""
    from django.db import connection

    from .peers.datagen import mirror

    if id(ctx) not in _mirrored:
        _mirrored[id(ctx)] = mirror()
    refs = ctx.refs
    officer = refs.officer_of_unit()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, district_id, applicant_id FROM peers_peerproposal WHERE status = 'lodged' "
            "ORDER BY id LIMIT %s",
            [count],
        )
        rows = [(pid, officer[district], applicant) for pid, district, applicant in cursor.fetchall()]
    if len(rows) < count:
        raise RuntimeError(f"P1 needs {count} lodged peer đề án, the data set has {len(rows)}")
    return rows


def _peer_worker(items, warmup, barrier, results, plan) -> None:
    fresh_heap()
    from .peers.services import district_submit

    actors = load_actors(items + warmup)
    for pid, actor, _ in warmup:
        district_submit(pid, actors[actor], now=NOW, comment=COMMENT)
    barrier.wait()
    start = time.perf_counter()
    for pid, actor, _ in items:
        district_submit(pid, actors[actor], now=NOW, comment=COMMENT)
    results.put((start, time.perf_counter()))


def _peer_step(item: Item) -> Callable[[], object]:
    from core.models import User

    from .peers.services import district_submit

    pid, officer, _ = item
    actor = User.objects.select_related("unit").get(pk=officer)
    _ = actor.role_names
    return lambda: district_submit(pid, actor, now=NOW, comment=COMMENT)


PEER = Side("peer", Source("peer", _peer_lodged), _peer_worker, step=_peer_step)


def run(ctx: Context, sides: list[Side] | None = None) -> None:
    n, k = ctx.scale.b1_transitions, ctx.scale.b1_warmup
    m = measured(ctx, sides or [SERVICE, PEER])
    (fire1, fire2), (peer1, peer2) = m.tps["service"], m.tps["peer"]
    fire_sql, peer_sql = m.statements["service"], m.statements["peer"]
    fire_n, peer_n = len(without_begin_commit(fire_sql)), len(without_begin_commit(peer_sql))
    f = ctx.figures
    f |= {
        "p1_peer_proposals": _mirrored.get(id(ctx), 0),
        "p1_fire_tps_1proc": stats.r(fire1, 1),
        "p1_fire_tps_2proc": stats.r(fire2, 1),
        "p1_peer_tps_1proc": stats.r(peer1, 1),
        "p1_peer_tps_2proc": stats.r(peer2, 1),
        "p1_ratio_1proc": stats.ratio(fire1, peer1),
        "p1_ratio_2proc": stats.ratio(fire2, peer2),
        "p1_fire_statements_per_step": fire_n,
        "p1_peer_statements_per_step": peer_n,
    }
    ctx.targets["P1 fire() >= 1.0 x the peer at 2 processes"] = (f["p1_ratio_2proc"] or 0) >= 1.0
    ctx.emit(
        stats.table(
            f"P1 transitions/s, fire() against the peer (django-fsm-2 + django-fsm-log + ORM; {n} per "
            f"process per repeat after {k} to warm its connection; median of {stats.REPEATS})",
            ["processes", "fire()", "peer", "fire()/peer"],
            [[1, fire1, peer1, f["p1_ratio_1proc"]], [2, fire2, peer2, f["p1_ratio_2proc"]]],
        )
    )
    for who, captured, count in (("peer step", peer_sql, peer_n), ("fire()", fire_sql, fire_n)):
        ctx.emit(
            stats.table(
                f"P1 SQL statements in one {who}: {count} besides BEGIN/COMMIT",
                ["#", "statement"],
                [[i + 1, s[:150]] for i, s in enumerate(captured)],
            )
        )
