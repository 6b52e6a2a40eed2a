"""What M1 and C1 share: 20 officers with tasks and their sessions, gunicorn (2 sync workers, as B5), a
long-lived worker process that fires real transitions at a fixed rate (or runs the reminder sweep), a
fixed-arrival-rate HTTP load generator (keep-alive connections, one per thread, latency counted from each
request's scheduled time so a slow server is not hidden), and the CPU seconds of the server's processes read
from /proc."""

from __future__ import annotations

import http.client
import multiprocessing
import os
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from . import services, stats
from .context import Context

INBOX = "/cong-viec/cua-toi/"
QUEUE = "/cong-viec/hang-cho/"
PING = "/bench/ping/"
DETAIL = "/de-an/{pk}/"
OFFICERS = 20
# Added to the data set's 14 officers with tasks (10 district officers, 2 appraisers, finance, approver):
# (username, role, district index or None for the province's Sở).
EXTRA_OFFICERS = (
    ("bench_lg_district_00", "district_officer", 0),
    ("bench_lg_district_01", "district_officer", 1),
    ("bench_lg_appraiser_1", "appraiser", None),
    ("bench_lg_appraiser_2", "appraiser", None),
    ("bench_lg_finance_1", "finance_officer", None),
    ("bench_lg_approver_1", "approver", None),
)
_CLK = os.sysconf("SC_CLK_TCK")


# --- the data set's side -----------------------------------------------------------------------------------


def officers(ctx: Context) -> list[int]:
    """20 officers with tasks in their inbox or queue: the data set's 14, plus 6 more (created once per run). The
    national variant: the officers of every province on line at the peak (bench/datagen.py ``BIG_ONLINE``)."""
    from django.contrib.auth.models import Group

    from core.models import User

    refs = ctx.refs
    if refs.online:
        return list(refs.online)
    ids = [*refs.district_officers, refs.hot, refs.appraiser2, refs.finance, refs.approver]
    groups = {g.name: g for g in Group.objects.all()}
    for username, role, district in EXTRA_OFFICERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(
                username=username,
                password="!",
                email=f"{username}@bench.invalid",
                phone="+84913000000",
                first_name=username,
                unit_id=refs.province if district is None else refs.districts[district],
            )
            user.groups.add(groups[role])
        ids.append(user.pk)
    return ids[:OFFICERS]


def session_cookies(user_ids: list[int]) -> dict[int, str]:
    from .b5_http import _session_cookie

    return {uid: _session_cookie(uid) for uid in user_ids}


def ensure_lodged(ctx: Context, count: int) -> None:
    """At least ``count`` lodged đề án: when earlier benchmarks used them up (the tiny scale), more đề án are
    added to the data set (22 lodged in every 100), then VACUUM (ANALYZE) as after every growth step."""
    from django.db import connection

    from . import datagen

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM workflow_proposal WHERE status = 'lodged'")
        have = cursor.fetchone()[0]
        if have >= count:
            return
        # The generator gives đề án g the task ids 5(g - 1) + 1 … 5g: above every task fire() has opened since.
        cursor.execute(
            "SELECT greatest((SELECT coalesce(max(id), 0) FROM workflow_proposal), "
            "(SELECT coalesce(max(id), 0) FROM workflow_task) / %s + 1)",
            [datagen.TASKS_PER_PROPOSAL],
        )
        top = cursor.fetchone()[0]
    first = (top // 100 + 1) * 100 + 1
    blocks = (count - have) // 22 + 1
    datagen.grow(ctx.refs, first=first, last=first + blocks * 100 - 1)
    datagen.finish()


def lodged(ctx: Context, count: int) -> list[tuple[int, int, int]]:
    """(đề án, district officer, applicant) for ``count`` lodged đề án, highest ids first (B1 and P1 take the
    lowest)."""
    from django.db import connection

    officer = ctx.refs.officer_of_unit()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {ctx.refs.lower}_id, 0 FROM workflow_proposal WHERE status = 'lodged' "
            "ORDER BY id DESC LIMIT %s",
            [count],
        )
        rows = [(pid, officer[district], a) for pid, district, a in cursor.fetchall()]
    if len(rows) < count:
        raise RuntimeError(f"need {count} lodged đề án, the data set has {len(rows)}")
    return rows


def visible_proposals(ctx: Context, user_id: int, count: int = 5) -> list[int]:
    """Open đề án the officer may open: of their district (commune), or any of the province for its Sở."""
    from django.db import connection

    from core.models import User

    user = User.objects.select_related("unit").get(pk=user_id)
    with connection.cursor() as cursor:
        if user.unit.level == "province":
            cursor.execute(
                "SELECT id FROM workflow_proposal WHERE province_id = %s AND status = 'district_submitted' "
                "ORDER BY id LIMIT %s",
                [user.unit_id, count],
            )
        else:
            cursor.execute(
                f"SELECT id FROM workflow_proposal WHERE {ctx.refs.lower}_id = %s AND status <> 'lodged' "
                "ORDER BY id LIMIT %s",
                [user.unit_id, count],
            )
        return [pid for (pid,) in cursor.fetchall()]


# --- the server --------------------------------------------------------------------------------------------


def start_gunicorn(workers: int = 2, cpus: str | None = None):
    """gunicorn with ``workers`` sync workers; ``cpus`` (a taskset list, "0") keeps the master and its workers on
    those cores."""
    port = services.free_port()
    proc = services.start(
        [
            *(["taskset", "-c", cpus] if cpus else []),
            str(services.BIN / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ]
    )
    services.wait_for_port(port, proc)
    return proc, port


def sign_in(port: int, cookie: str) -> str:
    """The cookie header an officer's browser sends after its first page: the session plus the CSRF cookie the
    page set (as B5); the page is asked for a few times so that both workers hold it."""
    from .b5_http import _csrf_cookie

    base = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(
        urllib.request.Request(base + INBOX, headers={"Cookie": cookie}), timeout=60
    ) as r:
        cookie = f"{cookie}; {_csrf_cookie(r.headers.get_all('Set-Cookie') or [])}"
    for path in (INBOX, QUEUE, INBOX, QUEUE):
        with urllib.request.urlopen(
            urllib.request.Request(base + path, headers={"Cookie": cookie}), timeout=60
        ) as r:
            r.read()
    return cookie


# --- CPU of the server's processes -------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, utime + stime in clock ticks) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def children(parent: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st and st[0] == parent:
                out.append(int(entry))
    return out


def backends() -> list[int]:
    """The PostgreSQL backends of the benchmark database (never another database's)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return [pid for (pid,) in cursor.fetchall()]


@dataclass
class CpuMeter:
    """CPU seconds used by gunicorn's master and workers, the given worker processes and the benchmark
    database's backends between ``start()`` and ``stop()`` (a process started meanwhile counts from zero);
    ``split`` after ``stop()``: the seconds of each ("web": gunicorn, "workers", "db": the backends)."""

    gunicorn: int
    others: list[int] = field(default_factory=list)
    before: dict[int, int] = field(default_factory=dict)
    split: dict[str, float] = field(default_factory=dict)

    def _pids(self) -> list[tuple[str, int]]:
        return [
            *(("web", pid) for pid in (self.gunicorn, *children(self.gunicorn))),
            *(("workers", pid) for pid in self.others),
            *(("db", pid) for pid in backends()),
        ]

    def _ticks(self) -> dict[int, tuple[str, int]]:
        return {pid: (kind, st[1]) for kind, pid in self._pids() if (st := _stat(pid))}

    def start(self) -> None:
        self.before = self._ticks()

    def stop(self) -> float:
        after = self._ticks()
        self.split = {"web": 0.0, "workers": 0.0, "db": 0.0}
        for pid, (kind, ticks) in after.items():
            self.split[kind] += (ticks - self.before.get(pid, (kind, 0))[1]) / _CLK
        return sum(self.split.values())


# --- the worker process: transitions at a fixed rate, the reminder sweep -----------------------------------


def _worker_main(commands, results, officer_ids) -> None:
    from .b1_transitions import COMMENT, TRIGGER, fresh_heap, load_actors
    from .datagen import NOW

    fresh_heap()
    from notifications.services import wait_for_publisher
    from workflow.reminders import run_sweep
    from workflow.services.transitions import fire

    actors = load_actors([(0, o, 0) for o in officer_ids])
    while (cmd := commands.get()) is not None:
        kind = cmd[0]
        if kind == "fire":
            _, items, rate, seconds = cmd
            start = time.perf_counter()
            done, late = 0, 0.0
            for i, (pid, actor, _) in enumerate(items):
                due = start + i / rate
                if due >= start + seconds:
                    break
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                else:
                    late = max(late, -wait)
                fire(pid, TRIGGER, actor=actors[actor], now=NOW, comment=COMMENT)
                done += 1
            wait_for_publisher(60)
            results.put(("fire", done, time.perf_counter() - start, late))
        elif kind == "sweep":
            from .b3_reminders import _clear_reminders

            if cmd[1]:
                _clear_reminders()
            start = time.perf_counter()
            counts = run_sweep(now=NOW)
            wait_for_publisher(60)
            results.put(("sweep", sum(counts.values()), time.perf_counter() - start))
        elif kind == "ping":
            results.put(("ping",))


class Worker:
    """A forked process that keeps its database connection (and so its backend) for the whole benchmark."""

    def __init__(self, officer_ids: list[int]):
        from django.db import connections

        from notifications.services import wait_for_publisher

        wait_for_publisher(60)
        connections.close_all()  # never share a database socket with a forked child
        mp = multiprocessing.get_context("fork")
        self.commands, self.results = mp.Queue(), mp.Queue()
        self.proc = mp.Process(target=_worker_main, args=(self.commands, self.results, officer_ids))
        self.proc.start()
        self.commands.put(("ping",))
        self.results.get(timeout=120)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, *cmd) -> None:
        self.commands.put(cmd)

    def result(self, timeout: float = 600):
        return self.results.get(timeout=timeout)

    def close(self) -> None:
        self.commands.put(None)
        self.proc.join(60)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


# --- the load generator: a fixed arrival rate --------------------------------------------------------------


@dataclass
class Load:
    sent: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def p99(self) -> float:
        return stats.percentile(self.latencies_ms, 99)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def open_loop(port: int, plan: list[tuple[str, str]], rate: float, seconds: float, threads: int = 32) -> Load:
    """``rate`` requests a second for ``seconds``, the i-th sent at start + i / rate by whichever of ``threads``
    keep-alive connections is free, ``plan[i % len(plan)]`` being (path, cookie). A request's latency runs
    from its scheduled time to the end of its response, so the time it waited for a free connection counts."""
    total = max(1, int(rate * seconds))
    lock = threading.Lock()
    counter = iter(range(total))
    latencies: list[float] = []
    errors = [0]
    start = time.perf_counter() + 0.05

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            due = start + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            path, cookie = plan[i % len(plan)]
            ok = False
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = (time.perf_counter() - due) * 1000
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors[0] += 1
        conn.close()

    pool = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return Load(total, time.perf_counter() - start, latencies, errors[0])


def get(port: int, path: str, cookie: str) -> tuple[int, float, int]:
    """One request: (status, seconds, bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    start = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, time.perf_counter() - start, len(body)
