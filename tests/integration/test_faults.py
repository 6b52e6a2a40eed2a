"""Faults with real processes: a Redis server of our own (its own port, no persistence), Celery workers and a
gunicorn web server started and stopped by the fixtures, a local HTTP SMS gateway that can hold a request.

* a worker killed with SIGKILL while it delivers → the message is redelivered and delivered once;
* Redis stopped while transitions commit → no 5xx through the API; once Redis is back every message is
  delivered once;
* Redis restarted empty → the outbox sweep sends everything not yet delivered, once;
* two sweeps at once on two workers (what two beat schedulers amount to) → exactly-once delivery.

"Delivered once" is the delivery log: one Delivery row, outcome sent, per outbox row. The gateway may see a
request twice when a worker dies after sending and before committing; it carries the outbox key as
``reference`` so the gateway can drop the duplicate (docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from notifications.models import Delivery, Outbox
from notifications.services import queue_message

from .world import build_world, complete_proposal

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_SERVER = shutil.which("redis-server")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.redis,
    # serialized_rollback: the flush after each test then leaves the content types out (no post_migrate), as the
    # other transactional tests expect when they put the migrated rows back; in any order of the run.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=60.0, step=0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


# --- processes ------------------------------------------------------------------------------------------------


class RedisServer:
    """redis-server on a port of its own, without persistence: a restart is an empty Redis."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_until(self.ping, 10), "redis-server did not start"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


class Sink:
    """The SMS gateway: records each POST; with ``hold_first`` the first request waits until released."""

    def __init__(self, hold_first: bool = False) -> None:
        self.requests: list[dict] = []
        self.first_arrived, self.release = threading.Event(), threading.Event()
        self.hold_first = hold_first
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                sink.requests.append(body)
                if sink.hold_first and len(sink.requests) == 1:
                    sink.first_arrived.set()
                    sink.release.wait(120)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                with contextlib.suppress(OSError):  # the worker that asked may be dead
                    self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def references(self) -> list[str]:
        return sorted(r["reference"] for r in self.requests)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def process_env(redis: RedisServer, sink: Sink, **extra) -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": redis.url,
        "CELERY_BROKER_URL": redis.url,
        "SMS_URL": sink.url,
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_TRANSPORT_OPTIONS": '{"unacked_restore_interval": 1, "unacked_restore_throttle": 1}',
        **extra,
    }


class Processes:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path, self.procs, self.logs = tmp_path, [], []

    def start(self, args: list[str], env: dict, name: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed in stop_all
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append(proc)
        self.logs.append(log)
        return proc

    def worker(self, env: dict, name: str, *, concurrency: int = 1) -> subprocess.Popen:
        return self.start(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "-n",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            env,
            name,
        )

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the process and its children (the pool): nothing runs its shutdown code."""
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        for log in self.logs:
            log.close()

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")[-3000:]


@pytest.fixture
def redis():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def procs(tmp_path):
    p = Processes(tmp_path)
    yield p
    p.stop_all()


def publish(redis: RedisServer, task, *args) -> None:
    """Send a task to our Redis (the test process's own Celery app points at the shared one)."""
    from config.celery import app

    with app.connection_for_write(redis.url) as conn:
        task.apply_async(args=args, connection=conn)


def sms_rows(w, n: int, prefix: str) -> list[int]:
    now = timezone.now()
    with transaction.atomic():
        for i in range(n):
            queue_message(
                recipients=[w.users["district"]],
                template="task.overdue",
                key=f"{prefix}:{i}",
                now=now,
                channels=["sms"],
                context={"tracking_code": f"KC2026-{i:06d}", "due_at": "x"},
            )
    # on_commit tried the shared broker; these rows are delivered by what each test starts.
    return list(Outbox.objects.filter(idempotency_key__startswith=f"{prefix}:").values_list("pk", flat=True))


def assert_each_delivered_once(ids: list[int]) -> None:
    rows = Outbox.objects.filter(pk__in=ids)
    assert set(rows.values_list("state", flat=True)) == {"sent"}
    for pk in ids:
        assert list(Delivery.objects.filter(messages=pk).values_list("outcome", flat=True)) == ["sent"], pk


# --- a worker killed mid-delivery -----------------------------------------------------------------------------


def test_a_worker_killed_while_delivering_is_redelivered_and_sends_once(redis, procs):
    from notifications.tasks import deliver_outbox

    w = build_world()
    sink = Sink(hold_first=True)
    try:
        [pk] = sms_rows(w, 1, "killed")
        first = procs.worker(process_env(redis, sink), "kc-fault-a")
        publish(redis, deliver_outbox, pk)
        assert sink.first_arrived.wait(60), procs.log("kc-fault-a")
        # The worker is inside deliver(): the outbox row is locked, the gateway holds the request.
        procs.kill(first)
        sink.release.set()
        assert Outbox.objects.get(pk=pk).state == "pending"  # its transaction died with it
        assert not Delivery.objects.exists()

        # A new worker gets the unacknowledged task back from Redis after the visibility timeout.
        procs.worker(process_env(redis, sink), "kc-fault-b")
        assert wait_until(lambda: Outbox.objects.get(pk=pk).state == "sent", 90), procs.log("kc-fault-b")
        assert_each_delivered_once([pk])
        row = Outbox.objects.get(pk=pk)
        assert row.attempts == 1
        # The gateway saw the same reference twice (the first answer never reached the dead worker).
        assert sink.references() == [row.idempotency_key] * 2
        time.sleep(4)  # past another visibility timeout: nothing more arrives
        assert len(sink.requests) == 2 and Delivery.objects.count() == 1
    finally:
        sink.close()


# --- Redis stopped while transitions commit -------------------------------------------------------------------


def api(port: int, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict, float]:
    data = json.dumps(body or {}).encode() if method == "POST" else None
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310 - a local test server
            return response.status, json.loads(response.read() or b"{}"), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), time.monotonic() - started


def test_redis_down_while_transitions_commit_then_everything_is_delivered_once(redis, procs):
    from notifications.tasks import deliver_pending

    w = build_world()
    proposals = [complete_proposal(w, title=f"Đề án khi Redis ngừng {i}") for i in range(10)]
    before = [complete_proposal(w, title=f"Đề án khi Redis chạy {i}") for i in range(6)]
    tokens = {name: Token.objects.create(user=w.users[name]).key for name in ("applicant", "district")}
    sink = Sink()
    port = free_port()
    try:
        procs.start(
            [str(BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--timeout", "60"],
            process_env(redis, sink),
            "kc-fault-web",
        )
        assert wait_until(
            lambda: (
                api(port, "GET", "/api/tasks/", tokens["district"])[0] == 200 if _listening(port) else False
            ),
            60,
        ), procs.log("kc-fault-web")

        # With Redis up, transitions for comparison (the first ones also warm both gunicorn workers up).
        up = [
            api(port, "POST", f"/api/proposals/{p.pk}/transitions/lodge/", tokens["applicant"])
            for p in [proposals[0], *before]
        ]
        redis.stop()
        down = [
            api(port, "POST", f"/api/proposals/{p.pk}/transitions/lodge/", tokens["applicant"])
            for p in proposals[1:]
        ]
        down += [
            api(
                port,
                "POST",
                f"/api/proposals/{p.pk}/transitions/district_submit/",
                tokens["district"],
                {"comment": "Đề nghị Sở xem xét"},
            )
            for p in proposals
        ]
        down += [
            api(port, "GET", f"/api/proposals/{p.pk}/history/", tokens["district"]) for p in proposals[:3]
        ]
        assert [s for s, _b, _t in up + down] == [200] * len(up + down), [b for _s, b, _t in up + down]
        assert all(
            p.status == "district_submitted"
            for p in (type(proposals[0]).objects.filter(pk__in=[p.pk for p in proposals]))
        )
        times = sorted(t for _s, _b, t in down)
        up_times = sorted(t for _s, _b, t in up)
        median_down, median_up = times[len(times) // 2], up_times[len(up_times) // 2]
        print(
            f"Redis down: {len(down)} API calls, all 200; median {median_down:.3f}s, slowest {times[-1]:.2f}s; "
            f"with Redis up: median {median_up:.3f}s, slowest {up_times[-1]:.2f}s; down in order: "
            + " ".join(f"{t:.2f}" for _s, _b, t in down)
        )
        # No noticeable slowdown: no request waits on the broker (a generous bound; the figures are printed).
        assert times[-1] < 5 and median_down <= max(3 * median_up, 0.5)
        ids = list(Outbox.objects.values_list("pk", flat=True))
        assert ids and not Delivery.objects.exists()

        # Redis comes back (empty); a worker starts; the beat's sweep delivers what the kicks could not.
        redis.start()
        procs.worker(process_env(redis, sink), "kc-fault-w", concurrency=2)
        publish(redis, deliver_pending)
        assert wait_until(lambda: not Outbox.objects.filter(state="pending").exists(), 120), procs.log(
            "kc-fault-w"
        )
        publish(redis, deliver_pending)  # a second sweep finds nothing to do
        time.sleep(2)
        assert_each_delivered_once(ids)
        sms_keys = sorted(Outbox.objects.filter(channel="sms").values_list("idempotency_key", flat=True))
        assert sink.references() == sms_keys  # each SMS reached the gateway once
        print(
            f"after Redis returned: {len(ids)} outbox rows, {Delivery.objects.count()} deliveries, "
            f"{len(sink.requests)} SMS requests"
        )
    finally:
        sink.close()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# --- Redis restarted empty ------------------------------------------------------------------------------------


def test_redis_restarted_empty_the_sweep_sends_what_was_lost_once(redis, procs):
    from notifications.tasks import deliver_outbox, deliver_pending

    w = build_world()
    sink = Sink()
    try:
        ids = sms_rows(w, 40, "lost")
        for pk in ids:  # queued in Redis; no worker is running yet
            publish(redis, deliver_outbox, pk)
        redis.stop()
        redis.start()  # no persistence: the 40 tasks are gone
        procs.worker(process_env(redis, sink), "kc-fault-r", concurrency=2)
        time.sleep(3)
        assert Outbox.objects.filter(pk__in=ids, state="pending").count() == 40  # nothing left to run
        publish(redis, deliver_pending)
        assert wait_until(lambda: not Outbox.objects.filter(pk__in=ids, state="pending").exists(), 90), (
            procs.log("kc-fault-r")
        )
        assert_each_delivered_once(ids)
        assert sink.references() == sorted(
            Outbox.objects.filter(pk__in=ids).values_list("idempotency_key", flat=True)
        )
    finally:
        sink.close()


# --- two sweeps at once ---------------------------------------------------------------------------------------


def test_two_workers_sweeping_at_once_deliver_each_row_once(redis, procs):
    """What two beat schedulers produce: the same sweep twice (here eight times) on two machines at once,
    and the per-row tasks on top."""
    from notifications.tasks import deliver_outbox, deliver_pending

    w = build_world()
    sink = Sink()
    try:
        ids = sms_rows(w, 300, "twice")
        for pk in ids[:100]:
            publish(redis, deliver_outbox, pk)
        for _ in range(8):
            publish(redis, deliver_pending)
        procs.worker(process_env(redis, sink), "kc-fault-1", concurrency=3)
        procs.worker(process_env(redis, sink), "kc-fault-2", concurrency=3)
        assert wait_until(lambda: not Outbox.objects.filter(pk__in=ids, state="pending").exists(), 180), (
            procs.log("kc-fault-1")
        )
        time.sleep(3)
        assert_each_delivered_once(ids)
        assert sink.references() == sorted(
            Outbox.objects.filter(pk__in=ids).values_list("idempotency_key", flat=True)
        )
        print(
            f"two workers, 8 sweeps + 100 row tasks: {len(ids)} rows, {Delivery.objects.count()} deliveries, "
            f"{len(sink.requests)} SMS requests"
        )
    finally:
        sink.close()
