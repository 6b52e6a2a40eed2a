"""B5: the inbox page over HTTP under gunicorn (2 sync workers) with wrk at 8 and 32 connections, against a
trivial Django view served by the same gunicorn. Targets: ≥ 0.2 × the trivial view's requests/s;
p99 ≤ 50 ms at 8 connections; 0 errors.

A second reference, not a target: a view that only reads who is signed in (the session from Redis, the user with
their roles from PostgreSQL), what any staff page pays before its own work. Its ratio to the trivial view tells
how much of the budget the signed-in request itself takes.

Beside them, not timed: the Python calls one request to each of the three makes in Django's handler, counted in
the benchmark's own process, a figure that a slow or busy machine does not change."""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request

from . import services, stats
from .context import Context

INBOX = "/cong-viec/cua-toi/"
PING = "/bench/ping/"
SIGNED_IN = "/bench/signed-in/"
CONNECTIONS = (8, 32)
# The request header of a forced reload: the inbox built afresh, never served from its kept copy (core/pages.py).
REBUILD = "no-cache"


def _session_cookie(user_id: int) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from core.models import User

    user = User.objects.get(pk=user_id)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "core.auth_backends.UserBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"sessionid={session.session_key}"


def _csrf_cookie(set_cookies: list[str]) -> str:
    """``csrftoken=…`` from the first page's Set-Cookie headers."""
    from django.conf import settings

    for header in set_cookies:
        pair = header.split(";", 1)[0].strip()
        if pair.startswith(settings.CSRF_COOKIE_NAME + "="):
            return pair
    raise RuntimeError("the inbox page set no CSRF cookie")


def _unit_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def wrk(url: str, cookie: str, connections: int, seconds: int, *headers: str) -> dict:
    extra = [arg for header in headers for arg in ("-H", header)]
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Cookie: {cookie}",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict:
    """Requests/s, p99 (ms, from ``--latency``) and errors (socket errors and non-2xx/3xx) of wrk's report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = _unit_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99": p99, "errors": errors + (int(bad.group(1)) if bad else 0)}


def python_calls(path: str, cookie: str, times: int = 5, **headers: str) -> int:
    """The Python function calls of one request to ``path`` through Django's handler, in this process after a
    warm-up (gunicorn's own are left out): a figure that does not depend on the machine's speed or load, beside
    the requests/s that do."""
    import io
    import sys

    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()

    def request() -> None:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": cookie,
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(),
            "wsgi.url_scheme": "http",
            **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
        }
        status = []
        b"".join(handler(environ, lambda code, headers, exc_info=None: status.append(code)))
        if not status[0].startswith("200"):
            raise RuntimeError(f"{path} answered {status[0]} in the process")

    for _ in range(3):
        request()
    calls = 0

    def count(frame, event, arg) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(count)
    try:
        for _ in range(times):
            request()
    finally:
        sys.setprofile(None)
    return calls // times


def run(ctx: Context) -> None:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (apt-get install wrk; `make bench` installs it)")
    from core import pages

    pages.changed()  # the data set was written around Django: no page kept before it may be served
    cookie = _session_cookie(ctx.refs.hot)
    port = services.free_port()
    proc = services.start(
        [
            str(services.BIN / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ]
    )
    try:
        services.wait_for_port(port, proc)
        base = f"http://127.0.0.1:{port}"
        request = urllib.request.Request(base + INBOX, headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=30) as response:  # warm both workers' caches
            rows = response.read().decode().count('data-task="')
            csrf = _csrf_cookie(response.headers.get_all("Set-Cookie") or [])
        # From then on the officer's browser sends the CSRF cookie the first page set, as a browser does: without
        # it every request would mint a new secret and set the cookie again.
        cookie = f"{cookie}; {csrf}"
        request = urllib.request.Request(base + INBOX, headers={"Cookie": cookie})
        for _ in range(4):
            urllib.request.urlopen(request, timeout=30).read()
        signed = urllib.request.Request(base + SIGNED_IN, headers={"Cookie": cookie})
        with urllib.request.urlopen(signed, timeout=30) as response:
            if not response.read():  # it would measure an anonymous request
                raise RuntimeError("the signed-in reference view did not see the session's user")
        table, f = [], ctx.figures
        for name, path in (("inbox", INBOX), ("signed_in", SIGNED_IN), ("trivial", PING)):
            f[f"b5_python_calls_{name}"] = python_calls(path, cookie)
        f["b5_python_calls_inbox_built"] = python_calls(INBOX, cookie, cache_control=REBUILD)
        for c in CONNECTIONS:
            runs = [
                (
                    wrk(base + INBOX, cookie, c, ctx.scale.b5_seconds),
                    wrk(base + PING, cookie, c, ctx.scale.b5_seconds),
                    wrk(base + SIGNED_IN, cookie, c, ctx.scale.b5_seconds),
                    wrk(base + INBOX, cookie, c, ctx.scale.b5_seconds, f"Cache-Control: {REBUILD}"),
                )
                for _ in range(stats.REPEATS)
            ]
            inbox_rps = stats.median([a["rps"] for a, *_ in runs])
            ping_rps = stats.median([b["rps"] for _, b, *_ in runs])
            signed_rps = stats.median([s["rps"] for _, _, s, _ in runs])
            p99 = stats.median([a["p99"] for a, *_ in runs])
            ping99 = stats.median([b["p99"] for _, b, *_ in runs])
            built_rps = stats.median([n["rps"] for *_, n in runs])
            built99 = stats.median([n["p99"] for *_, n in runs])
            errors = sum(a["errors"] + b["errors"] + s["errors"] + n["errors"] for a, b, s, n in runs)
            f |= {
                f"b5_inbox_rps_c{c}": stats.r(inbox_rps, 1),
                f"b5_trivial_rps_c{c}": stats.r(ping_rps, 1),
                f"b5_ratio_c{c}": stats.ratio(inbox_rps, ping_rps),
                f"b5_inbox_p99_ms_c{c}": stats.r(p99, 2),
                f"b5_trivial_p99_ms_c{c}": stats.r(ping99, 2),
                f"b5_errors_c{c}": errors,
                f"b5_signed_in_rps_c{c}": stats.r(signed_rps, 1),
                f"b5_signed_in_over_trivial_c{c}": stats.ratio(signed_rps, ping_rps),
                f"b5_built_rps_c{c}": stats.r(built_rps, 1),
                f"b5_built_over_trivial_c{c}": stats.ratio(built_rps, ping_rps),
                f"b5_built_p99_ms_c{c}": stats.r(built99, 2),
            }
            table.append(
                [c, inbox_rps, ping_rps, f[f"b5_ratio_c{c}"], p99, ping99, errors, signed_rps,
                 f[f"b5_signed_in_over_trivial_c{c}"], built_rps, f[f"b5_built_over_trivial_c{c}"], built99]
            )  # fmt: skip
        f["b5_inbox_rows"] = rows
    finally:
        services.stop(proc)
    # The ratio to the trivial view is a figure, no longer a target (retired: docs/benchmarks.md).
    ctx.targets["B5 inbox p99 <= 50 ms at 8 connections"] = f["b5_inbox_p99_ms_c8"] <= 50
    ctx.targets["B5 0 errors"] = all(f[f"b5_errors_c{c}"] == 0 for c in CONNECTIONS)
    ctx.emit(
        stats.table(
            f"B5 inbox page over HTTP (gunicorn, 2 workers; wrk {ctx.scale.b5_seconds} s per point; median of {stats.REPEATS};"
            f" {rows} rows on the page)",
            [
                "connections",
                "inbox req/s",
                "trivial req/s",
                "inbox/trivial",
                "inbox p99 ms",
                "trivial p99 ms",
                "errors",
                "signed-in req/s",
                "signed-in/trivial",
                "built req/s",
                "built/trivial",
                "built p99 ms",
            ],
            table,
        )
    )
    ctx.emit(
        stats.table(
            "B5 Python calls of one request in Django's handler (in the benchmark's process; not timed)",
            ["inbox (kept)", "inbox (built)", "signed-in", "trivial"],
            [[f[f"b5_python_calls_{name}"] for name in ("inbox", "inbox_built", "signed_in", "trivial")]],
        )
    )
