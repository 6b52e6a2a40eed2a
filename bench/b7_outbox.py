"""B7: outbox delivery through Celery + Redis to a local SMS sink (an HTTP server in this process), against raw
Redis LPUSH of the same payloads. Messages are queued the project's way (``queue_notices``: rows in one
transaction, one delivery task per NOTIFY_DELIVERY_BATCH rows after commit) and delivered by a Celery worker (prefork, 2 processes).
Targets: ≥ 500 messages/s; p95 lag (queued → received by the sink) ≤ 5 s. The national variant measures again with
one worker process (``b7_1proc_*``) and with four (``b7_4proc_*``): what a second worker machine adds."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis

from . import env, services, stats
from .context import Context


class Sink:
    """A local SMS gateway: records when each message arrives."""

    def __init__(self) -> None:
        self.received: dict[str, float] = {}
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps the connection open between messages, as a gateway does
            # and answers without Nagle's delay (as web servers do on kept-alive connections): its headers and
            # body are two writes, and the second would wait for the client's delayed ACK, 40 ms a message.
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with sink.lock:
                    sink.received[body["reference"]] = time.perf_counter()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", services.free_port()), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def wait(self, keys: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if keys <= self.received.keys():
                    return
            time.sleep(0.02)
        missing = len(keys - self.received.keys())
        raise RuntimeError(f"{missing} of {len(keys)} messages did not reach the sink within {timeout} s")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _queue(recipients, n: int, tag: str) -> tuple[float, set[str]]:
    """Queue ``n`` SMS the project's way; returns the moment the transaction started and the sink references."""
    from django.db import transaction
    from django.utils import timezone

    from notifications.services import Notice, queue_notices

    notices = [
        Notice(
            (recipients[i % len(recipients)],),
            "task.waiting",
            {
                "proposal": i,
                "tracking_code": f"BN{i:09d}",
                "title": f"Đề án {i}",
                "step": "Thẩm định",
                "due_at": "17:00 20/03/2026",
                "task": i,
            },
            f"bench:{tag}:{i}",
            channels=("sms",),
        )
        for i in range(n)
    ]
    from notifications.services import wait_for_publisher

    start = time.perf_counter()
    with transaction.atomic():
        queue_notices(notices, now=timezone.now())
    wait_for_publisher(60)
    users = {u.pk for u in recipients}
    return start, {
        f"bench:{tag}:{i}:{u}:sms" for i in range(n) for u in users if u == recipients[i % len(recipients)].pk
    }


def run(ctx: Context) -> None:
    from core.models import User
    from notifications.services import wait_for_publisher

    wait_for_publisher(600)  # B3's delivery tasks may still be on their way to the broker
    broker = redis.Redis.from_url(env.redis_url())
    broker.flushdb()  # the benchmark's own Redis DB: drop the delivery tasks B1 and B3 queued with no worker
    recipients = list(User.objects.filter(groups__name="applicant").order_by("pk")[:200])
    rate, lag, raw_rate = _measure(ctx, broker, recipients, concurrency=2)
    f = ctx.figures
    f |= {
        "b7_messages": ctx.scale.b7_messages,
        "b7_delivered_per_s": stats.r(rate, 1),
        "b7_p95_lag_s": stats.r(lag, 3),
        "b7_raw_lpush_per_s": stats.r(raw_rate, 1),
        "b7_delivery_over_lpush": stats.ratio(rate, raw_rate),
    }
    ctx.targets["B7 >= 500 messages/s"] = rate >= 500
    ctx.targets["B7 p95 lag <= 5 s"] = lag <= 5
    rows = [[2, rate, lag, raw_rate, f["b7_delivery_over_lpush"]]]
    if ctx.scale.scaling:
        # What a second worker machine adds: the same delivery by one worker process instead of two (and, as
        # delivery waits on the gateway, by four).
        for n in (1, 4):
            rate_n, lag_n, raw_n = _measure(ctx, broker, recipients, concurrency=n)
            f |= {
                f"b7_{n}proc_delivered_per_s": stats.r(rate_n, 1),
                f"b7_{n}proc_p95_lag_s": stats.r(lag_n, 3),
                f"b7_{n}proc_raw_lpush_per_s": stats.r(raw_n, 1),
            }
            rows.append([n, rate_n, lag_n, raw_n, stats.ratio(rate_n, raw_n)])
        f["b7_scaling_2proc_over_1proc"] = stats.ratio(rate, f["b7_1proc_delivered_per_s"])
    ctx.emit(
        stats.table(
            f"B7 outbox delivery, Celery (prefork) + Redis → local SMS sink ({ctx.scale.b7_messages} messages; "
            f"median of {stats.REPEATS})",
            ["worker processes", "delivered/s", "p95 lag s", "raw LPUSH/s", "delivered/LPUSH"],
            rows,
        )
    )


def _measure(ctx: Context, broker, recipients, *, concurrency: int) -> tuple[float, float, float]:
    """Delivered/s, p95 lag (s) and raw LPUSH/s, medians of the repeats, with a worker of ``concurrency``
    processes."""
    sink = Sink()
    worker = services.start(
        [
            str(services.BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        SMS_URL=sink.url,
        SMS_ASCII="true",
    )
    n = ctx.scale.b7_messages
    tag = f"c{concurrency}"
    runs = []
    try:
        _, keys = _queue(recipients, 20, f"warmup-{tag}")  # the worker is ready once these arrive
        sink.wait(keys, timeout=120)
        for r in range(stats.REPEATS):
            start, keys = _queue(recipients, n, f"run{r}-{tag}")
            sink.wait(keys, timeout=max(120, n / 20))
            arrivals = sorted(sink.received[k] for k in keys)
            rate = n / (arrivals[-1] - start)
            lag = stats.percentile([a - start for a in arrivals], 95)
            payloads = [
                json.dumps(
                    {"to": "+84913000000", "text": f"Đề án {i} chờ thẩm định", "reference": k},
                    ensure_ascii=False,
                )
                for i, k in enumerate(sorted(keys))
            ]
            broker.delete("bench:lpush")
            t = time.perf_counter()
            for payload in payloads:
                broker.lpush("bench:lpush", payload)
            raw_rate = n / (time.perf_counter() - t)
            broker.delete("bench:lpush")
            runs.append((rate, lag, raw_rate))
    finally:
        services.stop(worker)
        sink.close()
    return tuple(stats.median([run[i] for run in runs]) for i in range(3))
