"""``make bench``: build the data set, run B1–B5, B7, P1, M1 and C1, print a table per benchmark, end with one JSON
line.

BENCH_SCALE=smoke (default, a minute or two) | full (the issue's sizes) | national (34 provinces in one database:
C1's national variant, bench/README.md) | tiny (the test suite's correctness run).
The figures are also written to bench/results/<timestamp>.json.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

from . import env, stats

RESULTS = Path(__file__).resolve().parent / "results"
BENCHMARKS = ("b1", "p1", "b3", "b4", "b7", "b5", "m1", "c1")  # B2 runs while the data set grows
# Figures shown beside a target in the targets table.
TARGET_FIGURES = {
    "B1 <= 8 SQL statements per transition": ("b1_statements_per_transition", "b1_ratio_2proc"),
    "P1 fire() >= 1.0 x the peer at 2 processes": ("p1_ratio_2proc", "p1_ratio_1proc"),
    "C1 p99 <= 200 ms and CPU <= 50 % at the modelled peak": (
        "c1_p99_ms_x1",
        "c1_cpu_pct_x1",
        "c1_headroom_x",
    ),
}


def figure_keys(scaling: bool = False) -> list[str]:
    """Every figure of a complete run (the JSON line's ``figures``); the smoke test checks them all. ``scaling``:
    with the national variant's second measurements (C1 with gunicorn on one core, B7 with one process)."""
    b2 = (
        [f"b2_tasks_size{i}" for i in (1, 2, 3)]
        + [
            f"b2_{box}_{page}_{what}_size{i}"
            for box in ("queue", "inbox")
            for page in ("first", "deep")
            for what in ("p50_ms", "p95_ms", "raw_p95_ms")
            for i in (1, 2, 3)
        ]
        + [
            f"b2_{box}_{page}_{raw}p95_growth"
            for box in ("queue", "inbox")
            for page in ("first", "deep")
            for raw in ("", "raw_")
        ]
        + ["b2_explain_partial_index", "b2_explain_no_seq_scan", "b2_sql_no_offset", "b2_queries_per_page"]
    )
    b1 = [
        "b1_service_tps_1proc",
        "b1_service_tps_2proc",
        "b1_raw_tps_1proc",
        "b1_raw_tps_2proc",
        "b1_ratio_1proc",
        "b1_ratio_2proc",
        "b1_statements_per_transition",
        "b1_raw_statements_per_transition",
    ]
    b3 = [
        "b3_open_tasks",
        "b3_due_tasks",
        "b3_baseline_rows",
        "b3_sweep_seconds",
        "b3_sweep_write_seconds",
        "b3_sweep_queue_delivery_seconds",
        "b3_baseline_seconds",
        "b3_sweep_over_baseline",
        "b3_messages_first_sweep",
        "b3_messages_second_sweep",
        "b3_second_sweep_seconds",
    ]
    b4 = [
        "b4_events",
        "b4_chains_ok",
        "b4_verify_events_per_s",
        "b4_raw_fetch_rows_per_s",
        "b4_verify_over_raw",
        "b4_history_events",
        "b4_history_queries",
        "b4_history_p50_ms",
        "b4_history_p95_ms",
        "b4_history_raw_p95_ms",
        "b4_history_over_raw",
    ]
    b5 = [
        f"b5_{what}_c{c}"
        for c in (8, 32)
        for what in (
            "inbox_rps",
            "trivial_rps",
            "ratio",
            "inbox_p99_ms",
            "trivial_p99_ms",
            "errors",
            "signed_in_rps",
            "signed_in_over_trivial",
        )
    ] + ["b5_inbox_rows", "b5_python_calls_inbox", "b5_python_calls_signed_in", "b5_python_calls_trivial"]
    b7 = ["b7_messages", "b7_delivered_per_s", "b7_p95_lag_s", "b7_raw_lpush_per_s", "b7_delivery_over_lpush"]
    p1 = [
        "p1_peer_proposals",
        "p1_fire_tps_1proc",
        "p1_fire_tps_2proc",
        "p1_peer_tps_1proc",
        "p1_peer_tps_2proc",
        "p1_ratio_1proc",
        "p1_ratio_2proc",
        "p1_fire_statements_per_step",
        "p1_peer_statements_per_step",
    ]
    m1 = [
        f"m1_{what}_w{rate}"
        for rate in (0, 2, 10, 50)
        for what in ("pages_rps", "pages_p99_ms", "ratio", "writes_per_s")
    ] + ["m1_trivial_rps", "m1_trivial_p99_ms", "m1_officers", "m1_errors"]
    c1_step = (
        "p99_ms",
        "cpu_pct",
        "web_cpu_pct",
        "db_cpu_pct",
        "workers_cpu_pct",
        "client_cpu_pct",
        "pages_per_s",
        "writes_per_s",
        "errors",
        "export_s",
        "sweep_s",
    )
    c1 = [f"c1_{what}_x{m}" for m in (1, 2, 4, 8) for what in c1_step] + [
        "c1_headroom_x",
        "c1_gunicorn_workers",
        "c1_max_pages_per_s",
        "c1_saturated",
        "c1_proposals",
        "c1_officers",
    ]
    if scaling:
        c1 += [f"c1_1core_{what}_x{m}" for m in (1, 2, 4, 8) for what in c1_step] + [
            "c1_1core_headroom_x",
            "c1_1core_max_pages_per_s",
            "c1_1core_saturated",
            "c1_1core_gunicorn_workers",
            "c1_web_scaling_2core_over_1core",
            "c1_full_sweep_s",
            "c1_full_sweep_messages",
        ]
        b7 += [
            *(
                f"b7_{n}proc_{what}"
                for n in (1, 4)
                for what in ("delivered_per_s", "p95_lag_s", "raw_lpush_per_s")
            ),
            "b7_scaling_2proc_over_1proc",
        ]
    data = ["data_proposals", "data_seconds", "data_provinces", "data_units", "data_users", "data_db_mb"]
    return [*data, *b2, *b1, *p1, *b3, *b4, *b5, *b7, *m1, *c1, "total_seconds"]


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    with contextlib.suppress(OSError, StopIteration):
        mem = int(
            next(
                x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")
            ).split()[1]
        )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "mem_gb": round(mem / 1024 / 1024, 1),
        "python": platform.python_version(),
    }


def main() -> int:
    started = time.perf_counter()
    scale = env.scale()
    only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(","))) or {"b2", *BENCHMARKS}
    env.setup()
    from . import (
        b1_transitions,
        b2_task_queries,
        b3_reminders,
        b4_audit,
        b5_http,
        b7_outbox,
        c1_capacity,
        datagen,
        m1_mixed,
        p1_peer,
    )
    from .context import Context

    print(f"Benchmarks at scale {scale.name!r} on {env.database_url()} and {env.redis_url()}", flush=True)
    t = time.perf_counter()
    datagen.reset()
    refs = datagen.reference_data(scale)
    ctx = Context(scale, refs)
    done, b2_seconds = 0, 0.0
    for stage, size in enumerate(scale.b2_sizes, start=1):
        target = size // datagen.TASKS_PER_PROPOSAL
        step = time.perf_counter()
        datagen.grow(refs, first=done + 1, last=target)
        done = target
        datagen.finish()
        print(
            f"data: {done:,} đề án, {size:,} tasks (+{time.perf_counter() - step:.1f} s); B2 at this size …",
            flush=True,
        )
        step = time.perf_counter()
        if "b2" in only:
            b2_task_queries.measure_stage(ctx, stage)
        b2_seconds += time.perf_counter() - step
    events = datagen.events(refs, proposals=done)
    datagen.history_proposal(refs, events_count=scale.b4_history_events)
    datagen.finish()
    gen_seconds = time.perf_counter() - t - b2_seconds
    print(
        f"data: {events + scale.b4_history_events:,} audit events; data set ready in {gen_seconds:.1f} s",
        flush=True,
    )
    ctx.figures["data_proposals"] = done + 1
    ctx.figures["data_seconds"] = round(gen_seconds, 1)
    ctx.figures |= datagen.sizes()
    print(
        f"data: {ctx.figures['data_provinces']} province(s), {ctx.figures['data_units']:,} units, "
        f"{ctx.figures['data_users']:,} users; database {ctx.figures['data_db_mb']:,} MB",
        flush=True,
    )
    if "b2" in only:
        b2_task_queries.summarize(ctx)
    # B1 and P1 share one measurement of fire(): each repeat times it, then the raw baseline (B1), then the
    # peer (P1).
    sides = [
        b1_transitions.SERVICE,
        *([b1_transitions.RAW] if "b1" in only else []),
        *([p1_peer.PEER] if "p1" in only else []),
    ]
    modules = {
        "b1": functools.partial(b1_transitions.run, sides=sides),
        "p1": functools.partial(p1_peer.run, sides=sides),
        "b3": b3_reminders.run,
        "b4": b4_audit.run,
        "b7": b7_outbox.run,
        "b5": b5_http.run,
        "m1": m1_mixed.run,
        "c1": c1_capacity.run,
    }
    errors = {}
    for name in BENCHMARKS:
        if name not in only:
            continue
        t = time.perf_counter()
        try:
            modules[name](ctx)
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
            traceback.print_exc()
            errors[name] = f"{type(exc).__name__}: {exc}"
        shared = " (the measurement it shares with P1 included)" if name == "b1" and "p1" in only else ""
        print(f"({name.upper()} took {time.perf_counter() - t:.1f} s{shared})", flush=True)
    total = time.perf_counter() - started
    ctx.figures["total_seconds"] = round(total, 1)
    ctx.emit(
        stats.table(
            "Targets",
            ["target", "result", "figures"],
            [
                [
                    name,
                    stats.verdict(ok),
                    ", ".join(f"{k} {ctx.figures.get(k)}" for k in TARGET_FIGURES.get(name, ())),
                ]
                for name, ok in ctx.targets.items()
            ],
        )
    )
    result = {
        "scale": scale.name,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "figures": ctx.figures,
        "targets": ctx.targets,
        "errors": errors,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{scale.name}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(f"results written to {path.relative_to(RESULTS.parent.parent)}", flush=True)
    print(json.dumps(result, ensure_ascii=False, separators=(",", ":")), flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
