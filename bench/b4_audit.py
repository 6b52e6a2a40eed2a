"""B4: ``verify_audit`` (``workflow.services.audit.verify_chains``) events per second against a raw fetch of the
same rows, and the history of one đề án with 1,000 events (``workflow.selectors.history``) against the same
SQL through psycopg. Targets: ≥ 50,000 events/s; history p95 ≤ 15 ms."""

from __future__ import annotations

import os
import time

import psycopg

from . import env, stats
from .context import Context


def _raw_fetch(conn: psycopg.Connection) -> int:
    from workflow.models import HASHED_FIELDS

    columns = ", ".join(["id", *HASHED_FIELDS, "hash"])
    n = 0
    with conn.transaction(), conn.cursor(name="bench_verify") as cur:
        cur.itersize = 5000
        cur.execute(f"SELECT {columns} FROM workflow_transitionevent ORDER BY proposal_id, seq")
        for _ in cur:
            n += 1
    return n


def run(ctx: Context) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflow.models import Proposal
    from workflow.selectors import history
    from workflow.services.audit import verify_chains

    verify, raw_rates, report = [], [], None
    # The full data set has 2M events: one verification pass is the figure there; smaller scales repeat.
    repeats = 1 if ctx.scale.name == "full" else stats.REPEATS
    with psycopg.connect(env.dsn()) as raw:
        for _ in range(repeats):
            start = time.perf_counter()
            report = verify_chains(workers=os.cpu_count() or 1)  # what manage.py verify_audit runs
            verify.append(report.events / (time.perf_counter() - start))
            start = time.perf_counter()
            rows = _raw_fetch(raw)
            raw_rates.append(rows / (time.perf_counter() - start))
        proposal = Proposal.objects.get(pk=ctx.refs.history_proposal)
        events = list(history(proposal))
        with CaptureQueriesContext(connection) as captured:
            list(history(proposal))
        # The baseline runs every statement the history sent (the events, then the people's names) through
        # psycopg, the events in binary format as the selector reads them.
        statements = [q["sql"] for q in captured.captured_queries]

        def replay():
            for sql in statements:
                with raw.cursor(binary=True) as cur:
                    cur.execute(sql).fetchall()

        runs = []
        for _ in range(stats.REPEATS):
            orm = stats.timed(lambda: list(history(proposal)), ctx.scale.b2_samples // 4 or 5)
            base = stats.timed(replay, ctx.scale.b2_samples // 4 or 5)
            runs.append((stats.percentile(orm, 50), stats.percentile(orm, 95), stats.percentile(base, 95)))
    rate, raw_rate = stats.median(verify), stats.median(raw_rates)
    p50, p95, raw95 = (stats.median([run[i] for run in runs]) for i in range(3))
    f = ctx.figures
    f |= {
        "b4_events": report.events,
        "b4_chains_ok": report.ok,
        "b4_verify_events_per_s": round(rate),
        "b4_raw_fetch_rows_per_s": round(raw_rate),
        "b4_verify_over_raw": stats.ratio(rate, raw_rate),
        "b4_history_events": len(events),
        "b4_history_queries": len(statements),
        "b4_history_p50_ms": stats.r(p50, 3),
        "b4_history_p95_ms": stats.r(p95, 3),
        "b4_history_raw_p95_ms": stats.r(raw95, 3),
        "b4_history_over_raw": stats.ratio(p95, raw95),
    }
    ctx.targets["B4 verify >= 50,000 events/s"] = rate >= 50_000
    ctx.targets["B4 history (1,000 events) p95 <= 15 ms"] = p95 <= 15
    ctx.emit(
        stats.table(
            f"B4 audit verification ({report.events:,} events, chains intact: {report.ok})",
            ["verify events/s", "raw fetch rows/s", "verify/raw"],
            [[round(rate), round(raw_rate), f["b4_verify_over_raw"]]],
        )
    )
    ctx.emit(
        stats.table(
            f"B4 history of one đề án ({len(events):,} events, {len(statements)} queries; ms)",
            ["p50", "p95", "raw p95", "p95/raw"],
            [[p50, p95, raw95, f["b4_history_over_raw"]]],
        )
    )
