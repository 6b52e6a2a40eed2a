"""C1: a big province's peak (the load model is in bench/README.md). Page views of 20 officers (inbox 40 %,
queue 30 %, a đề án's page 30 %) at a fixed arrival rate from a Python load generator (keep-alive connections,
latency from each request's scheduled time), real transitions at a fixed rate from another process, the
reminder sweep (reminders cleared first, so every step's sweep does the full work) and one audit export (a
month of the province's audit log as CSV, by an auditor, over HTTP) during every step; gunicorn with 2 sync
workers. Each step runs the model at a multiple (×1, ×2, ×4, ×8, then doubling while the target holds, and past
×8 until the server is saturated) and measures the page views' p99 and the CPU seconds of gunicorn's processes,
the two worker processes (the transitions, the sweep) and the benchmark database's PostgreSQL backends, as a
share of 2 cores over the step (and each of the three apart). Target: at ×1, p99 ≤ 200 ms and CPU ≤ 50 %; the
headroom is the largest multiple that still meets both (every smaller one meeting them too).

The national variant (``BENCH_SCALE=national``): the same model on 34 provinces' data set, the page views spread
over 152 officers of every province (bench/datagen.py ``BIG_ONLINE``), gunicorn with 2 × cores + 1 workers
(docs/deploy.md), the country's full reminder sweep measured once apart (each step's sweep keeps the reminders),
then the whole ladder again with gunicorn on one core (``c1_1core_*``): what a second web machine adds.
"""

from __future__ import annotations

import os
import threading
import time

from . import loadgen, services, stats
from .context import Context

PAGES_PER_S = 20  # peak page views a second (the model)
WRITES_PER_S = 2  # peak transitions a second
MULTIPLES = (1, 2, 4, 8)  # always measured; then doubling while the target holds, up to MAX_MULTIPLE
MAX_MULTIPLE = 64
CORES = 2
P99_MS = 200
CPU_PCT = 50
EXPORT = "/kiem-tra/xuat/csv/?from=2025-03-01&to=2025-03-31"
AUDITOR = "bench_lg_auditor"


def _auditor(ctx: Context) -> int:
    from django.contrib.auth.models import Group

    from core.models import User

    user = User.objects.filter(username=AUDITOR).first()
    if user is None:
        user = User.objects.create(
            username=AUDITOR,
            password="!",
            email=f"{AUDITOR}@bench.invalid",
            phone="+84913000000",
            first_name=AUDITOR,
            unit_id=ctx.refs.province,
        )
        user.groups.add(Group.objects.get_or_create(name="auditor")[0])
    return user.pk


def _plan(ctx: Context, officer_ids: list[int], signed: dict[int, str], port: int) -> list[tuple[str, str]]:
    """Ten requests per officer: 4 inbox, 3 queue, 3 pages of a đề án they may open, interleaved over
    officers so that every stretch of the plan has the mix."""
    per_officer = []
    for uid in officer_ids:
        cookie = signed[uid]
        details = loadgen.visible_proposals(ctx, uid, 3)
        own = [loadgen.DETAIL.format(pk=pk) for pk in (details * 3)[:3]] or [loadgen.INBOX] * 3
        paths = [loadgen.INBOX, loadgen.QUEUE] * 3 + [loadgen.INBOX, *own]
        for path in set(paths):
            status, _, _ = loadgen.get(port, path, cookie)
            if status != 200:
                raise RuntimeError(f"C1: {path} answered {status} to officer {uid}")
        per_officer.append([(path, cookie) for path in paths])
    # Each officer's ten requests in turn, officer o starting at its (o mod 10)-th: any run of as many requests
    # as there are officers already has the 4/3/3 mix (a step of 152 officers' plan at ×1 asks for 300 of its
    # 1,520 requests), and every step starts where the plan starts.
    n = len(per_officer)
    return [per_officer[o][(j // n + o) % 10] for j in range(10 * n) for o in (j % n,)]


def run(ctx: Context) -> None:
    from core import pages

    seconds = ctx.scale.c1_seconds
    steps = [*MULTIPLES]
    while steps[-1] < MAX_MULTIPLE:
        steps.append(steps[-1] * 2)
    ladders = 2 if ctx.scale.scaling else 1
    loadgen.ensure_lodged(ctx, ladders * WRITES_PER_S * seconds * sum(s for s in steps if s <= 16) + 50)
    pages.changed()
    officer_ids = loadgen.officers(ctx)
    auditor = _auditor(ctx)
    cookies = loadgen.session_cookies([*officer_ids, auditor])
    writer = loadgen.Worker(ctx.refs.unit_officers)
    background = loadgen.Worker(ctx.refs.unit_officers)
    national = ctx.scale.provinces > 1
    try:
        if national:
            # The whole country's sweep, every due reminder written again, once: its hourly run is measured apart
            # (each step then runs the sweep over the tables as they are: it reads every due task and writes
            # what is new).
            background.send("sweep", True)
            _, messages, sweep_s = background.result()
            ctx.figures |= {"c1_full_sweep_s": stats.r(sweep_s, 2), "c1_full_sweep_messages": messages}
            ctx.emit(
                f"C1: the national reminder sweep, every reminder written: {messages:,} in {sweep_s:.1f} s"
            )
        two = _ladder(ctx, steps, officer_ids, auditor, cookies, writer, background)
        if ctx.scale.scaling:
            # What a second web machine adds: the same ladder with gunicorn's master and workers on one core
            # (PostgreSQL, the load generator and the workers keep both).
            one = _ladder(ctx, steps, officer_ids, auditor, cookies, writer, background, cpus="0")
            ctx.figures["c1_web_scaling_2core_over_1core"] = stats.ratio(two, one)
    finally:
        writer.close()
        background.close()
    ctx.figures["c1_proposals"] = ctx.figures.get("data_proposals", 0)
    ctx.figures["c1_officers"] = len(officer_ids)


def gunicorn_workers(ctx: Context, cores: int) -> int:
    """gunicorn's workers: BENCH_C1_WORKERS when set; else, in the national variant, docs/deploy.md's rule for a
    web machine (2 × its cores + 1); else 2, as one province's model always had (and B5 and M1 have)."""
    if os.environ.get("BENCH_C1_WORKERS"):
        return int(os.environ["BENCH_C1_WORKERS"])
    return 2 * cores + 1 if ctx.scale.provinces > 1 else 2


def _ladder(ctx, steps, officer_ids, auditor, cookies, writer, background, cpus: str | None = None) -> float:
    """The model at each multiple, until a step from ×8 on fails with the server saturated (pages served below
    90 % of those asked, so the top step measures its throughput). Returns the most pages/s served."""
    seconds = ctx.scale.c1_seconds
    cores = CORES if cpus is None else len(cpus.split(","))
    prefix = "c1_" if cpus is None else f"c1_{cores}core_"
    workers = gunicorn_workers(ctx, cores)
    clear = ctx.scale.provinces == 1  # the national variant's full sweep is measured apart (run)
    proc, port = loadgen.start_gunicorn(workers, cpus=cpus)
    f, table, headroom, most, saturated = ctx.figures, [], 0, 0.0, False
    try:
        signed = {uid: loadgen.sign_in(port, cookies[uid]) for uid in officer_ids}
        plan = _plan(ctx, officer_ids, signed, port)
        status, _, _ = loadgen.get(port, EXPORT, cookies[auditor])
        if status != 200:
            raise RuntimeError(f"C1: the audit export answered {status}")
        meter = loadgen.CpuMeter(proc.pid, [writer.pid, background.pid])
        for m in steps:
            if m > 16:
                loadgen.ensure_lodged(ctx, WRITES_PER_S * m * seconds + 50)
            export: dict = {}

            def export_midway(m=m, export=export) -> None:
                time.sleep(seconds / 2)
                export["status"], export["seconds"], export["bytes"] = loadgen.get(
                    port, EXPORT, cookies[auditor]
                )

            meter.start()
            client = os.times()
            start = time.perf_counter()
            writer.send(
                "fire", loadgen.lodged(ctx, WRITES_PER_S * m * seconds + 5), WRITES_PER_S * m, seconds
            )
            background.send("sweep", clear)
            exporter = threading.Thread(target=export_midway, daemon=True)
            exporter.start()
            load = loadgen.open_loop(port, plan, PAGES_PER_S * m, seconds)
            _, writes, _, _ = writer.result()
            _, messages, sweep_s = background.result()
            exporter.join()
            wall = time.perf_counter() - start
            cpu_s = meter.stop()
            cpu_pct = 100 * cpu_s / (wall * CORES)
            split = {k: 100 * v / (wall * CORES) for k, v in meter.split.items()}
            after = os.times()
            client_pct = 100 * (after.user + after.system - client.user - client.system) / (wall * CORES)
            p99 = load.p99
            ok = p99 <= P99_MS and cpu_pct <= CPU_PCT and load.errors == 0 and export.get("status") == 200
            most = max(most, load.rate)
            saturated = load.rate < 0.9 * PAGES_PER_S * m
            f |= {
                f"{prefix}p99_ms_x{m}": stats.r(p99, 1),
                f"{prefix}cpu_pct_x{m}": stats.r(cpu_pct, 1),
                f"{prefix}web_cpu_pct_x{m}": stats.r(split["web"], 1),
                f"{prefix}db_cpu_pct_x{m}": stats.r(split["db"], 1),
                f"{prefix}workers_cpu_pct_x{m}": stats.r(split["workers"], 1),
                f"{prefix}pages_per_s_x{m}": stats.r(load.rate, 1),
                f"{prefix}writes_per_s_x{m}": stats.r(writes / seconds, 1),
                f"{prefix}errors_x{m}": load.errors,
                f"{prefix}export_s_x{m}": stats.r(export.get("seconds", 0.0), 2),
                f"{prefix}sweep_s_x{m}": stats.r(sweep_s, 2),
                f"{prefix}client_cpu_pct_x{m}": stats.r(client_pct, 1),
            }
            table.append(
                [f"x{m}", PAGES_PER_S * m, load.rate, WRITES_PER_S * m, writes / seconds, p99, cpu_pct,
                 split["web"], split["db"], client_pct, load.errors, export.get("seconds", 0.0), messages,
                 sweep_s, wall, ok]
            )  # fmt: skip
            if ok and headroom == (m // 2 if m > 1 else 0):  # every smaller multiple met it too
                headroom = m
            if m >= MULTIPLES[-1] and not ok and saturated:
                break
    finally:
        services.stop(proc)
    f[f"{prefix}headroom_x"] = headroom
    f[f"{prefix}gunicorn_workers"] = workers
    f[f"{prefix}max_pages_per_s"] = stats.r(most, 1)
    f[f"{prefix}saturated"] = saturated
    if cpus is None:
        ctx.targets["C1 p99 <= 200 ms and CPU <= 50 % at the modelled peak"] = headroom >= 1
    where = (
        f"{ctx.scale.provinces} provinces, {len(officer_ids)} officers on line"
        if ctx.scale.provinces > 1
        else "one province"
    )
    on = f"on core {cpus}" if cpus else "on both cores"
    ctx.emit(
        stats.table(
            f"C1 a big province's peak ({PAGES_PER_S} page views/s and {WRITES_PER_S} transitions/s at x1, the "
            f"reminder sweep and an audit export in every step; {where}; gunicorn, {workers} workers {on}; "
            f"{seconds} s per step; CPU = gunicorn + workers + PostgreSQL backends over {CORES} cores); "
            f"headroom x{headroom}; most pages/s served {most:.1f}{'' if saturated else ' (not saturated)'}",
            ["load", "pages/s asked", "pages/s done", "writes/s asked", "writes/s done", "p99 ms", "CPU %",
             "web CPU %", "db CPU %", "client CPU %", "errors", "export s", "sweep messages", "sweep s", "step s",
             f"p99<={P99_MS} & CPU<={CPU_PCT}%"],
            table,
        )
    )  # fmt: skip
    return most
