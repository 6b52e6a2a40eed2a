"""B1: transitions per second through the transition service, at 1 and 2 processes, against raw psycopg doing
the same writes (lock, status update, task close and open, audit insert with its hash, outbox insert).

Each process fires ``district_submit`` on its own lodged đề án (a district officer endorses; an appraisal task
opens in the Sở's queue; the applicant and the queue are notified). Each process, on both sides, first runs
``b1_warmup`` transitions of its own before the clock starts: a new connection sends each statement unprepared
five times (psycopg's prepare threshold) and PostgreSQL then plans it five more times before it settles on a
generic plan, which is connection start-up, not a transition's cost (the service's ORM statements are long
and cost far more to plan than the baseline's). SQL statements inside ``fire`` are counted
exactly with CaptureQueriesContext in a warm process (the second transition it fires; on-commit work included;
BEGIN and COMMIT, which the raw baseline sends too, are listed but not counted). Targets: service ≥ 0.5 × raw at 2 processes;
≤ 8 statements per transition.

The timing and the counting are shared with P1 (bench/p1_peer.py), which compares the same ``fire`` with a
peer: each way of doing the step is a ``Side``; ``measured`` times every side of the run once per repeat, in
turn (the service, the raw baseline when B1 runs, the peer when P1 runs), and B1 and P1 report from the same
measurement of the service.
"""

from __future__ import annotations

import gc
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from psycopg.types.json import Jsonb

from . import env, stats
from .context import Context
from .datagen import NOW

TRIGGER = "district_submit"
COMMENT = "Đề nghị Sở Công Thương xem xét hỗ trợ"


Item = tuple[int, int, int]  # (đề án, district officer, applicant)


def _lodged(refs, count: int) -> list[Item]:
    """(proposal, district officer, applicant) for ``count`` lodged đề án, lowest ids first."""
    from django.db import connection

    officer = refs.officer_of_unit()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.{refs.lower}_id, u.id FROM workflow_proposal p JOIN core_user u "
            "ON u.organisation_id = p.implementing_org_id WHERE p.status = 'lodged' "
            "ORDER BY p.id LIMIT %s",
            [count],
        )
        rows = [(pid, officer[district], applicant) for pid, district, applicant in cursor.fetchall()]
    if len(rows) < count:
        raise RuntimeError(f"B1 needs {count} lodged đề án, the data set has {len(rows)}")
    return rows


def fresh_heap() -> None:
    """In a forked worker: the harness's own objects (the data set's generation, earlier benchmarks) are set
    aside from the garbage collector, as a server's worker starts without them; both sides do it."""
    gc.freeze()


def load_actors(items: list[Item]) -> dict:
    """The officers of these items, each with the roles every staff view's permission check loads once per
    request (both sides of P1 read them the same way)."""
    from core.models import User

    actors = {u.pk: u for u in User.objects.select_related("unit").filter(pk__in={a for _, a, _ in items})}
    for actor in actors.values():
        _ = actor.role_names
    return actors


def _service_worker(items, warmup, barrier, results, plan) -> None:
    fresh_heap()
    from notifications.services import wait_for_publisher
    from workflow.services.transitions import fire

    actors = load_actors(items + warmup)
    for pid, actor, _ in warmup:
        fire(pid, TRIGGER, actor=actors[actor], now=NOW, comment=COMMENT)
    wait_for_publisher(60)
    barrier.wait()
    start = time.perf_counter()
    for pid, actor, _ in items:
        fire(pid, TRIGGER, actor=actors[actor], now=NOW, comment=COMMENT)
    wait_for_publisher(60)  # the delivery tasks of these transitions are part of their cost
    results.put((start, time.perf_counter()))


def _raw_worker(items, warmup, barrier, results, plan) -> None:
    from workflow.models import GENESIS, event_hash

    fresh_heap()
    due_at, province, appraisers = plan
    with psycopg.connect(env.dsn()) as conn:
        start = 0.0
        for i, (pid, actor, applicant) in enumerate(warmup + items):
            if i == len(warmup):
                barrier.wait()
                start = time.perf_counter()
            with conn.transaction():
                conn.execute("SELECT id, status FROM workflow_proposal WHERE id = %s FOR UPDATE", [pid])
                conn.execute(
                    "UPDATE workflow_proposal SET status = 'district_submitted', status_changed_at = %s, "
                    "updated_at = %s WHERE id = %s",
                    [NOW, NOW, pid],
                )
                conn.execute(
                    "UPDATE workflow_task SET completed_at = %s, completed_by_id = %s, outcome = %s, "
                    "assignee_id = coalesce(assignee_id, %s), claimed_at = coalesce(claimed_at, %s) "
                    "WHERE proposal_id = %s AND completed_at IS NULL",
                    [NOW, actor, TRIGGER, actor, NOW, pid],
                )
                task = conn.execute(
                    "INSERT INTO workflow_task (proposal_id, status, role, unit_id, created_at, "
                    "due_at, outcome) VALUES (%s, 'district_submitted', 'appraiser', %s, %s, %s, '') "
                    "RETURNING id",
                    [pid, province, NOW, due_at],
                ).fetchone()[0]
                last = conn.execute(
                    "SELECT seq, hash FROM workflow_transitionevent WHERE proposal_id = %s "
                    "ORDER BY seq DESC LIMIT 1",
                    [pid],
                ).fetchone()
                seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                row = {
                    "proposal_id": pid,
                    "seq": seq,
                    "kind": "transition",
                    "trigger": TRIGGER,
                    "from_status": "lodged",
                    "to_status": "district_submitted",
                    "actor_id": actor,
                    "on_behalf_of_id": None,
                    "role": "district_officer",
                    "unit_id": None,
                    "created_at": NOW,
                    "comment": COMMENT,
                    "data": {"note": COMMENT},
                    "ip": None,
                    "prev_hash": prev,
                }
                digest = event_hash(row)
                event = conn.execute(
                    "INSERT INTO workflow_transitionevent (proposal_id, seq, kind, trigger, from_status, to_status, "
                    "actor_id, role, created_at, comment, data, prev_hash, hash) VALUES "
                    "(%s, %s, 'transition', %s, 'lodged', 'district_submitted', %s, 'district_officer', %s, %s, %s, "
                    "%s, %s) RETURNING id",
                    [pid, seq, TRIGGER, actor, NOW, COMMENT, Jsonb(row["data"]), prev, digest],
                ).fetchone()[0]
                context = {
                    "proposal": pid,
                    "trigger": TRIGGER,
                    "from": "lodged",
                    "to": "district_submitted",
                    "comment": COMMENT,
                    "event": event,
                }
                values, params = [], []
                for recipient, template, key in [(applicant, f"proposal.{TRIGGER}", f"event:{event}")] + [
                    (a, "task.waiting", f"task:{task}:waiting") for a in appraisers
                ]:
                    for channel in ("email", "sms"):
                        values.append("(%s, %s, %s, %s, %s, false, 'pending', 0, %s, '', %s)")
                        params += [
                            recipient,
                            channel,
                            template,
                            Jsonb(context),
                            f"{key}:{recipient}:{channel}",
                            NOW,
                            NOW,
                        ]
                conn.execute(
                    "INSERT INTO notifications_outbox (recipient_id, channel, template, context, "
                    "idempotency_key, digest, state, attempts, next_attempt_at, last_error, created_at) "
                    f"VALUES {', '.join(values)}",
                    params,
                )
        results.put((start, time.perf_counter()))


@dataclass(frozen=True)
class Source:
    """Where a side's lodged đề án come from: ``lodged(ctx, count)``. Sides of one source share its list."""

    name: str
    lodged: Callable[[Context, int], list[Item]]


@dataclass(frozen=True)
class Side:
    """One way of doing the step: ``worker(items, warmup, barrier, results, plan)`` runs in a forked process
    (``plan(ctx)`` is computed once, before the clock); ``step(item)`` does one step in this process, to count
    its statements (None: not counted here)."""

    name: str
    source: Source
    worker: Callable[..., None]
    plan: Callable[[Context], object] = lambda ctx: None
    step: Callable[[Item], Callable[[], object]] | None = None


@dataclass
class Measured:
    """Per side: the median transitions/s at 1 and 2 processes; the SQL of one step in a warm process
    (BEGIN/COMMIT included)."""

    tps: dict[str, tuple[float, float]] = field(default_factory=dict)
    statements: dict[str, list[str]] = field(default_factory=dict)


def _run(side: Side, batches: list[list], warmups: list[list], plan) -> float:
    """Transitions per second of ``len(batches)`` processes, each firing its own batch, started together once
    each has fired its warm-up batch."""
    from django.db import connections

    from notifications.services import wait_for_publisher

    wait_for_publisher(60)  # this process's earlier deliveries are out before the workers start
    connections.close_all()  # never share a database socket with a forked child
    mp = multiprocessing.get_context("fork")
    barrier, results = mp.Barrier(len(batches)), mp.Queue()
    procs = [
        mp.Process(target=side.worker, args=(b, w, barrier, results, plan))
        for b, w in zip(batches, warmups, strict=True)
    ]
    for p in procs:
        p.start()
    spans = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode:
            raise RuntimeError(f"{side.name} worker failed (exit code {p.exitcode})")
    return sum(len(b) for b in batches) / (max(e for _, e in spans) - min(s for s, _ in spans))


def count_statements(step: Callable[[Item], Callable[[], object]], warmup: Item, item: Item) -> list[str]:
    """The statements of one step in a warm process, the second it does: the first also loads what a process
    keeps (for ``fire``, its copies of the SLA policies, the calendar and the message templates,
    core/config_cache.py; for the peer, its content type). ``step(item)`` prepares outside the count (the
    actor and roles a request has already loaded) and returns the call that is counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for one in (warmup, item):
        call = step(one)
        with CaptureQueriesContext(connection) as captured:
            call()
    return [q["sql"] for q in captured.captured_queries]


def without_begin_commit(captured: list[str]) -> list[str]:
    return [q for q in captured if q.strip().upper() not in ("BEGIN", "COMMIT")]


_MEASURED: dict[int, Measured] = {}


def measured(ctx: Context, sides: list[Side]) -> Measured:
    """Every side of the run measured once (B1 and P1 both ask; the first measures what both need)."""
    if id(ctx) not in _MEASURED:
        _MEASURED[id(ctx)] = measure(ctx, sides)
    return _MEASURED[id(ctx)]


def measure(ctx: Context, sides: list[Side]) -> Measured:
    """Per repeat, each side in turn at 1 then 2 processes, ``b1_transitions`` timed per process after
    ``b1_warmup``; the median of the repeats. Every step is on a lodged đề án of its side's source that no
    step used before."""
    n, k = ctx.scale.b1_transitions, ctx.scale.b1_warmup
    sources = {s.source.name: s.source for s in sides}
    pools = {}
    for name, source in sources.items():
        mine = [s for s in sides if s.source.name == name]
        count = stats.REPEATS * 3 * (n + k) * len(mine) + 2 * sum(s.step is not None for s in mine)
        pools[name] = iter(source.lodged(ctx, count))
    out = Measured()
    for side in sides:
        if side.step is not None:
            pool = pools[side.source.name]
            out.statements[side.name] = count_statements(side.step, next(pool), next(pool))
    plans = {side.name: side.plan(ctx) for side in sides}
    runs: dict[str, list[tuple[float, float]]] = {side.name: [] for side in sides}
    for _ in range(stats.REPEATS):
        for side in sides:
            pool, rates = pools[side.source.name], []
            for procs in (1, 2):
                chunks = [[next(pool) for _ in range(n + k)] for _ in range(procs)]
                rates.append(_run(side, [c[:n] for c in chunks], [c[n:] for c in chunks], plans[side.name]))
            runs[side.name].append((rates[0], rates[1]))
    for name, per_repeat in runs.items():
        out.tps[name] = (stats.median([r[0] for r in per_repeat]), stats.median([r[1] for r in per_repeat]))
    return out


def _fire_step(item: Item) -> Callable[[], object]:
    from core.models import User
    from workflow.services.transitions import fire

    pid, officer, _ = item
    actor = User.objects.select_related("unit").get(pk=officer)
    _ = actor.role_names
    return lambda: fire(pid, TRIGGER, actor=actor, now=NOW, comment=COMMENT)


def _raw_plan(ctx: Context):
    from core.models import User
    from workflow.lifecycle import get_lifecycle
    from workflow.services.tasks import compute_due

    appraisers = list(
        User.objects.filter(unit_id=ctx.refs.province, groups__name="appraiser")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return (compute_due("district_submitted", get_lifecycle(), NOW), ctx.refs.province, appraisers)


PROJECT = Source("project", lambda ctx, count: _lodged(ctx.refs, count))
SERVICE = Side("service", PROJECT, _service_worker, step=_fire_step)
RAW = Side("raw", PROJECT, _raw_worker, plan=_raw_plan)


def run(ctx: Context, sides: list[Side] | None = None) -> None:
    n, k = ctx.scale.b1_transitions, ctx.scale.b1_warmup
    m = measured(ctx, sides or [SERVICE, RAW])
    (svc1, svc2), (raw1, raw2) = m.tps["service"], m.tps["raw"]
    captured = m.statements["service"]
    statements = without_begin_commit(captured)
    f = ctx.figures
    f |= {
        "b1_service_tps_1proc": stats.r(svc1, 1),
        "b1_service_tps_2proc": stats.r(svc2, 1),
        "b1_raw_tps_1proc": stats.r(raw1, 1),
        "b1_raw_tps_2proc": stats.r(raw2, 1),
        "b1_ratio_1proc": stats.ratio(svc1, raw1),
        "b1_ratio_2proc": stats.ratio(svc2, raw2),
        "b1_statements_per_transition": len(statements),
        "b1_raw_statements_per_transition": 7,
    }
    # The ratio to raw psycopg is a figure, no longer a target (retired for P1, the peer: docs/benchmarks.md).
    ctx.targets["B1 <= 8 SQL statements per transition"] = len(statements) <= 8
    ctx.emit(
        stats.table(
            f"B1 transitions/s ({TRIGGER}; {n} per process per repeat after {k} to warm its connection; "
            f"median of {stats.REPEATS})",
            ["processes", "service", "raw psycopg", "service/raw"],
            [[1, svc1, raw1, f["b1_ratio_1proc"]], [2, svc2, raw2, f["b1_ratio_2proc"]]],
        )
    )
    ctx.emit(
        stats.table(
            f"B1 SQL statements in one fire(): {len(statements)} besides BEGIN/COMMIT (raw baseline: 7)",
            ["#", "statement"],
            [[i + 1, s[:150]] for i, s in enumerate(captured)],
        )
    )
