"""B2: the inbox and queue queries (first page and a deep keyset page) at three task-table sizes.

The figure is the selector ``workflow.selectors.task_page`` (what the inbox page calls); the baseline is the
very SQL it sent, run through psycopg. EXPLAIN of that SQL must use the partial index, with no sequential scan
and no OFFSET. Targets: p95 ≤ 5 ms at the largest size and p95(largest)/p95(smallest) ≤ 1.5.
"""

from __future__ import annotations

import gc
import json

import psycopg

from . import env, stats
from .context import Context
from .datagen import NOW

BOXES = {"queue": "task_queue_idx", "inbox": "task_inbox_idx"}
# The partial indexes on open tasks. The box's own index is expected; with a handful of open tasks (the smallest
# sizes) PostgreSQL may serve a range of deadlines from the open-task deadline index instead, which is fine.
OPEN_TASK_INDEXES = {"task_queue_idx", "task_inbox_idx", "task_open_due_idx"}
PAGES = ("first", "deep")
DEEP = 0.9  # the deep page starts 90 % down the list (or at the last full page of a short box)
PAGE = 25  # rows on a page (task_page's default size)
# A sequential scan fails the check when it reads the task table, or any table of more than LARGE_ROWS rows.
# The small tables joined for display (administrative units, users; đề án at the smallest sizes) are reported,
# not failed: scanning a page or two of them is what the planner should do.
LARGE_ROWS = 10_000


def _box_sql(box: str, refs) -> str:
    if box == "inbox":
        return f"assignee_id = {refs.hot} AND completed_at IS NULL"
    return (
        f"role = 'appraiser' AND unit_id = {refs.province} AND assignee_id IS NULL AND completed_at IS NULL"
    )


def _deep_cursor(box: str, refs) -> tuple[str, int]:
    from django.db import connection

    from workflow.selectors import _encode

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM workflow_task WHERE {_box_sql(box, refs)}")
        total = cursor.fetchone()[0]
        # 90 % down the list, but never so deep that fewer than a page of tasks follow: a short box's deep page
        # is its last full one, so that every size compares pages of the same length.
        position = max(0, min(int(total * DEEP), total - PAGE - 1))
        cursor.execute(
            f"SELECT due_at, id FROM workflow_task WHERE {_box_sql(box, refs)} "
            "ORDER BY due_at NULLS LAST, id OFFSET %s LIMIT 1",
            [position],
        )
        due, pk = cursor.fetchone()
    return _encode([due.isoformat() if due else None, pk]), total


def _plan_nodes(plan: dict) -> list[dict]:
    out = [plan]
    for child in plan.get("Plans", []):
        out += _plan_nodes(child)
    return out


def explain(sql: str, conn: psycopg.Connection) -> dict:
    plan = conn.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()[0][0]["Plan"]
    nodes = _plan_nodes(plan)
    return {
        "node_types": sorted({n["Node Type"] for n in nodes}),
        "indexes": sorted({n["Index Name"] for n in nodes if "Index Name" in n}),
        "seq_scans": sorted({n.get("Relation Name", "?") for n in nodes if n["Node Type"] == "Seq Scan"}),
        "text": json.dumps(plan),
    }


def measure_stage(ctx: Context, stage: int) -> None:
    """Measure every box × page at the current table size (stage 1, 2 or 3)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.models import User
    from workflow.selectors import TaskFilters, task_page

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM workflow_task")
        size = cursor.fetchone()[0]
    hot = User.objects.get(pk=ctx.refs.hot)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND (reltuples > %s OR relname = %s)",
            [LARGE_ROWS, "workflow_task"],
        )
        large = {name for (name,) in cursor.fetchall()}
    n = ctx.scale.b2_samples
    stage_data = {"tasks": size, "rows": {}}
    # The harness's own objects (the data set's generation, the figures so far) are set aside from the garbage
    # collector, as a server's worker starts without them: a full collection over them was the slowest sample.
    gc.collect()
    gc.freeze()
    with psycopg.connect(env.dsn(), autocommit=True) as raw:
        for box, index in BOXES.items():
            deep_cursor, open_count = _deep_cursor(box, ctx.refs)
            for page in PAGES:
                cursor = deep_cursor if page == "deep" else ""

                def call(box=box, cursor=cursor):
                    return task_page(hot, box, now=NOW, filters=TaskFilters(), cursor=cursor)

                for _ in range(5):
                    call()  # warm the caches (holiday calendar, plans)
                with CaptureQueriesContext(connection) as captured:
                    result = call()
                sql = next(q["sql"] for q in captured.captured_queries if "workflow_task" in q["sql"])
                plan = explain(sql, raw)
                runs = []
                for _ in range(stats.REPEATS):
                    orm = stats.timed(call, n)
                    base = stats.timed(lambda sql=sql: raw.execute(sql).fetchall(), n)
                    runs.append(
                        (
                            stats.percentile(orm, 50),
                            stats.percentile(orm, 95),
                            stats.percentile(base, 50),
                            stats.percentile(base, 95),
                        )
                    )
                med = [stats.median([run[i] for run in runs]) for i in range(4)]
                stage_data["rows"][(box, page)] = {
                    "open": open_count,
                    "rows": len(result.rows),
                    "queries": len(captured.captured_queries),
                    "p50": med[0],
                    "p95": med[1],
                    "raw_p50": med[2],
                    "raw_p95": med[3],
                    "index_used": index in plan["indexes"] or bool(OPEN_TASK_INDEXES & set(plan["indexes"])),
                    "indexes": sorted(OPEN_TASK_INDEXES & set(plan["indexes"])),
                    "seq_scans": plan["seq_scans"],
                    "large_seq_scans": sorted(t for t in plan["seq_scans"] if t in large),
                    "offset": " OFFSET " in sql.upper(),
                    "nodes": plan["node_types"],
                }
    ctx.b2[stage] = stage_data


def summarize(ctx: Context) -> None:
    stages = sorted(ctx.b2)
    rows, f = [], ctx.figures
    for stage in stages:
        data = ctx.b2[stage]
        f[f"b2_tasks_size{stage}"] = data["tasks"]
        for (box, page), m in data["rows"].items():
            key = f"b2_{box}_{page}"
            f[f"{key}_p50_ms_size{stage}"] = stats.r(m["p50"], 3)
            f[f"{key}_p95_ms_size{stage}"] = stats.r(m["p95"], 3)
            f[f"{key}_raw_p95_ms_size{stage}"] = stats.r(m["raw_p95"], 3)
            rows.append(
                [
                    f"{data['tasks']:,}",
                    box,
                    page,
                    m["open"],
                    m["queries"],
                    m["p50"],
                    m["p95"],
                    m["raw_p50"],
                    m["raw_p95"],
                    stats.ratio(m["p95"], m["raw_p95"]),
                    ", ".join(m["indexes"]) or "NONE",
                    ", ".join(m["seq_scans"]) or "none",
                    m["offset"],
                ]
            )
    first, last = stages[0], stages[-1]
    p95_ok = growth_ok = explain_ok = True
    for box in BOXES:
        for page in PAGES:
            small, large = ctx.b2[first]["rows"][(box, page)], ctx.b2[last]["rows"][(box, page)]
            growth = stats.ratio(large["p95"], small["p95"])
            f[f"b2_{box}_{page}_p95_growth"] = growth
            f[f"b2_{box}_{page}_raw_p95_growth"] = stats.ratio(large["raw_p95"], small["raw_p95"])
            p95_ok &= large["p95"] <= 5.0
            growth_ok &= growth <= 1.5
    for data in ctx.b2.values():
        for m in data["rows"].values():
            explain_ok &= m["index_used"] and not m["large_seq_scans"] and not m["offset"]
    f["b2_explain_partial_index"] = all(m["index_used"] for d in ctx.b2.values() for m in d["rows"].values())
    f["b2_explain_no_seq_scan"] = all(
        not m["large_seq_scans"] for d in ctx.b2.values() for m in d["rows"].values()
    )
    f["b2_sql_no_offset"] = all(not m["offset"] for d in ctx.b2.values() for m in d["rows"].values())
    f["b2_queries_per_page"] = max(m["queries"] for d in ctx.b2.values() for m in d["rows"].values())
    ctx.targets["B2 p95 <= 5 ms at the largest size"] = p95_ok
    ctx.targets["B2 p95(largest)/p95(smallest) <= 1.5"] = growth_ok
    ctx.targets["B2 EXPLAIN: partial index, no Seq Scan, no OFFSET"] = explain_ok
    ctx.emit(
        stats.table(
            "B2 inbox/queue pages (ms; selector task_page vs the same SQL through psycopg; median of 3)",
            [
                "tasks",
                "box",
                "page",
                "open",
                "queries",
                "p50",
                "p95",
                "raw p50",
                "raw p95",
                "p95/raw",
                "partial index",
                "seq scans",
                "OFFSET",
            ],
            rows,
        )
    )
    growth_rows = [
        [box, page, f[f"b2_{box}_{page}_p95_growth"], f[f"b2_{box}_{page}_raw_p95_growth"]]
        for box in BOXES
        for page in PAGES
    ]
    ctx.emit(
        stats.table(
            "B2 growth: p95 at the largest size / p95 at the smallest (target <= 1.5)",
            ["box", "page", "selector", "raw SQL"],
            growth_rows,
        )
    )
