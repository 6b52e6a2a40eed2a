"""M1: mixed load. The inbox and queue pages of 20 different officers (their own sessions, rotated by a wrk Lua
script) under gunicorn (2 sync workers, as B5), wrk at 8 connections, while another process fires real
transitions (``fire(…, "district_submit")`` on lodged đề án of the data set, with a rate limiter) at 0, 2, 10 and
50 a second; then the trivial view ``/bench/ping/`` at the same concurrency, the baseline. Figures: pages/s and
p99 at each write rate, pages/s ÷ the trivial view's, and the write rate actually achieved (median of 3). No
target: what a write costs the readers is a figure beside C1's capacity."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile

from . import loadgen, services, stats
from .b5_http import parse_wrk
from .context import Context

RATES = (0, 2, 10, 50)
CONNECTIONS = 8


def _script(plan: list[tuple[str, str]]) -> str:
    """A wrk Lua script sending ``plan``'s (path, cookie) in turn, each wrk thread from its own offset."""
    rows = ",\n".join(f"  {{{json.dumps(path)}, {json.dumps(cookie)}}}" for path, cookie in plan)
    return f"""local reqs = {{
{rows}
}}
local threads = 0
function setup(thread)
  thread:set("offset", threads * 7)
  threads = threads + 1
end
function init(args)
  i = offset or 0
end
function request()
  i = i % #reqs + 1
  return wrk.format("GET", reqs[i][1], {{["Cookie"] = reqs[i][2]}})
end
"""


def _wrk(url: str, seconds: int, script: str | None = None, cookie: str = "") -> dict:
    args = ["-s", script] if script else ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", *args, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    return parse_wrk(out)


def run(ctx: Context) -> None:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (apt-get install wrk; `make bench` installs it)")
    from core import pages

    seconds = ctx.scale.m1_seconds
    loadgen.ensure_lodged(ctx, sum(RATES) * seconds * stats.REPEATS + 50)
    pages.changed()  # the data set was written around Django: no page kept before it may be served
    officer_ids = loadgen.officers(ctx)
    cookies = loadgen.session_cookies(officer_ids)
    writer = loadgen.Worker(ctx.refs.unit_officers)
    proc, port = loadgen.start_gunicorn()
    f, table = ctx.figures, []
    try:
        signed = [loadgen.sign_in(port, cookies[uid]) for uid in officer_ids]
        plan = [(path, cookie) for cookie in signed for path in (loadgen.INBOX, loadgen.QUEUE)]
        base = f"http://127.0.0.1:{port}"
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(_script(plan))
        runs: dict[int, list[tuple[dict, float]]] = {rate: [] for rate in RATES}
        trivial = []
        for _ in range(stats.REPEATS):
            for rate in RATES:
                if rate:
                    writer.send("fire", loadgen.lodged(ctx, rate * seconds + 5), rate, seconds)
                result = _wrk(base + loadgen.INBOX, seconds, script=lua.name)
                achieved = 0.0
                if rate:
                    _, done, _, _ = writer.result()
                    achieved = done / seconds
                runs[rate].append((result, achieved))
            trivial.append(_wrk(base + loadgen.PING, seconds, cookie=signed[0]))
        ping_rps = stats.median([t["rps"] for t in trivial])
        ping99 = stats.median([t["p99"] for t in trivial])
        errors = sum(t["errors"] for t in trivial)
        for rate in RATES:
            rps = stats.median([r["rps"] for r, _ in runs[rate]])
            p99 = stats.median([r["p99"] for r, _ in runs[rate]])
            achieved = stats.median([a for _, a in runs[rate]])
            errors += sum(r["errors"] for r, _ in runs[rate])
            f |= {
                f"m1_pages_rps_w{rate}": stats.r(rps, 1),
                f"m1_pages_p99_ms_w{rate}": stats.r(p99, 2),
                f"m1_ratio_w{rate}": stats.ratio(rps, ping_rps),
                f"m1_writes_per_s_w{rate}": stats.r(achieved, 1),
            }
            table.append([rate, achieved, rps, p99, f[f"m1_ratio_w{rate}"]])
        f |= {
            "m1_trivial_rps": stats.r(ping_rps, 1),
            "m1_trivial_p99_ms": stats.r(ping99, 2),
            "m1_officers": len(officer_ids),
            "m1_errors": errors,
        }
    finally:
        services.stop(proc)
        writer.close()
    ctx.emit(
        stats.table(
            f"M1 mixed load: inbox and queue pages of {len(officer_ids)} officers (gunicorn, 2 workers; wrk "
            f"{CONNECTIONS} connections, {seconds} s per point; median of {stats.REPEATS}) while another "
            f"process fires district_submit; trivial view {ping_rps:,.1f} req/s, p99 {ping99:.2f} ms; "
            f"{errors} errors",
            ["writes/s asked", "writes/s done", "pages/s", "p99 ms", "pages/trivial"],
            table,
        )
    )
