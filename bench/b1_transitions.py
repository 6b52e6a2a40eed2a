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
"""

from __future__ import annotations

import gc
import multiprocessing
import time

import psycopg
from psycopg.types.json import Jsonb

from . import env, stats
from .context import Context
from .datagen import NOW

TRIGGER = "district_submit"
COMMENT = "Đề nghị Sở Công Thương xem xét hỗ trợ"


def _lodged(refs, count: int) -> list[tuple[int, int, int]]:
    """(proposal, district officer, applicant) for ``count`` lodged đề án, lowest ids first."""
    from django.db import connection

    officer = dict(zip(refs.districts, refs.district_officers, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id, p.district_id, u.id FROM workflow_proposal p JOIN core_user u "
            "ON u.organisation_id = p.implementing_org_id WHERE p.status = 'lodged' "
            "ORDER BY p.id LIMIT %s",
            [count],
        )
        rows = [(pid, officer[district], applicant) for pid, district, applicant in cursor.fetchall()]
    if len(rows) < count:
        raise RuntimeError(f"B1 needs {count} lodged đề án, the data set has {len(rows)}")
    return rows


def _fresh_heap() -> None:
    """In a forked worker: the harness's own objects (the data set's generation, earlier benchmarks) are set
    aside from the garbage collector, as a server's worker starts without them; both sides do it."""
    gc.freeze()


def _service_worker(items, warmup, barrier, results) -> None:
    _fresh_heap()
    from core.models import User
    from notifications.services import wait_for_publisher
    from workflow.services.transitions import fire

    everyone = items + warmup
    actors = {u.pk: u for u in User.objects.select_related("unit").filter(pk__in={a for _, a, _ in everyone})}
    for actor in actors.values():
        _ = actor.role_names  # loaded once per request by the staff views' permission check
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

    _fresh_heap()
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


def _run(mode: str, batches: list[list], warmups: list[list], plan) -> float:
    """Transitions per second of ``len(batches)`` processes, each firing its own batch, started together once
    each has fired its warm-up batch."""
    from django.db import connections

    from notifications.services import wait_for_publisher

    wait_for_publisher(60)  # this process's earlier deliveries are out before the workers start
    connections.close_all()  # never share a database socket with a forked child
    mp = multiprocessing.get_context("fork")
    barrier, results = mp.Barrier(len(batches)), mp.Queue()
    procs = [
        mp.Process(
            target=_service_worker if mode == "service" else _raw_worker,
            args=(b, w, barrier, results) + (() if mode == "service" else (plan,)),
        )
        for b, w in zip(batches, warmups, strict=True)
    ]
    for p in procs:
        p.start()
    spans = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode:
            raise RuntimeError(f"B1 {mode} worker failed (exit code {p.exitcode})")
    return sum(len(b) for b in batches) / (max(e for _, e in spans) - min(s for s, _ in spans))


def count_statements(ctx: Context, warmup: tuple[int, int, int], item: tuple[int, int, int]) -> list[str]:
    """The statements of one ``fire`` in a warm process: the first transition of a process also loads its
    copies of the SLA policies, the calendar and the message templates (core/config_cache.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.models import User
    from workflow.services.transitions import fire

    for pid, officer, _ in (warmup, item):
        actor = User.objects.select_related("unit").get(pk=officer)
        _ = actor.role_names
        with CaptureQueriesContext(connection) as captured:
            fire(pid, TRIGGER, actor=actor, now=NOW, comment=COMMENT)
    return [q["sql"] for q in captured.captured_queries]


def run(ctx: Context) -> None:
    from core.models import User
    from workflow.lifecycle import get_lifecycle
    from workflow.services.tasks import compute_due

    n, k = ctx.scale.b1_transitions, ctx.scale.b1_warmup
    per_repeat = 6 * (n + k)  # service 1 + 2 processes, raw 1 + 2 processes, each with its warm-up
    items = _lodged(ctx.refs, stats.REPEATS * per_repeat + 2)
    appraisers = list(
        User.objects.filter(unit_id=ctx.refs.province, groups__name="appraiser")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    plan = (compute_due("district_submitted", get_lifecycle(), NOW), ctx.refs.province, appraisers)
    captured = count_statements(ctx, items.pop(), items.pop())
    statements = [q for q in captured if q.strip().upper() not in ("BEGIN", "COMMIT")]
    runs = []
    for r in range(stats.REPEATS):
        chunk = items[r * per_repeat : (r + 1) * per_repeat]
        timed, warm = chunk[: 6 * n], chunk[6 * n :]
        batches = [timed[i * n : (i + 1) * n] for i in range(6)]
        warmups = [warm[i * k : (i + 1) * k] for i in range(6)]
        runs.append(
            (
                _run("service", batches[0:1], warmups[0:1], plan),
                _run("service", batches[1:3], warmups[1:3], plan),
                _run("raw", batches[3:4], warmups[3:4], plan),
                _run("raw", batches[4:6], warmups[4:6], plan),
            )
        )
    svc1, svc2, raw1, raw2 = (stats.median([run[i] for run in runs]) for i in range(4))
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
    ctx.targets["B1 service >= 0.5 x raw at 2 processes"] = f["b1_ratio_2proc"] >= 0.5
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
