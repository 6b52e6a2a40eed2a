"""The benchmark harness at a tiny scale: correctness of the harness only, never a timing assertion.

Runs ``python -m bench`` in a child process on its own database (khuyencong_bench_test) and checks the JSON line:
every figure is there, the second reminder sweep writes nothing, EXPLAIN of the inbox and queue pages reads the
task table through its partial index with no sequential scan of the large tables and no OFFSET, P1's peer
(django-fsm-2 + django-fsm-log, bench/peers/) ran on its copy of the data set, M1 fired its transitions beside
the officers' pages and C1 measured its load model's steps.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def _bench_urls() -> tuple[str, str]:
    db = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/khuyencong"))
    redis = urlparse(settings.REDIS_URL or "redis://127.0.0.1:6379/10")
    auth = f"{db.username or 'postgres'}{':' + db.password if db.password else ''}@"
    return (
        f"postgres://{auth}{db.hostname or '127.0.0.1'}:{db.port or 5432}/khuyencong_bench_test",
        f"redis://{redis.hostname or '127.0.0.1'}:{redis.port or 6379}/10",
    )


@pytest.fixture(scope="module")
def result():
    problems = getattr(settings, "SERVICE_PROBLEMS", {})
    if problems:
        pytest.skip("; ".join(problems.values()))
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (apt-get install wrk; .ci/run installs it)")
    database, redis = _bench_urls()
    env = {
        **os.environ,
        "BENCH_SCALE": "tiny",
        "BENCH_DATABASE_URL": database,
        "BENCH_REDIS_URL": redis,
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bench"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stdout


def test_the_json_line_has_every_figure(result):
    from bench.run import figure_keys

    data, _ = result
    assert data["errors"] == {}
    assert sorted(set(figure_keys()) - set(data["figures"])) == []
    assert data["scale"] == "tiny"
    assert all(isinstance(ok, bool) for ok in data["targets"].values())


def test_the_second_reminder_sweep_writes_nothing(result):
    figures = result[0]["figures"]
    assert figures["b3_messages_first_sweep"] > 0
    assert figures["b3_messages_second_sweep"] == 0


def test_explain_reads_tasks_through_the_partial_index_without_seq_scan_or_offset(result):
    figures = result[0]["figures"]
    assert figures["b2_explain_partial_index"] is True
    assert figures["b2_explain_no_seq_scan"] is True
    assert figures["b2_sql_no_offset"] is True


def test_statements_are_counted_and_chains_verify(result):
    figures = result[0]["figures"]
    assert figures["b1_statements_per_transition"] > 0
    assert figures["b4_chains_ok"] is True
    assert figures["b4_events"] > 0


def test_p1_compares_the_same_fire_with_the_peer(result):
    figures = result[0]["figures"]
    assert figures["p1_peer_proposals"] == figures["data_proposals"]
    assert figures["p1_fire_tps_2proc"] == figures["b1_service_tps_2proc"]  # one measurement, two baselines
    assert figures["p1_fire_statements_per_step"] == figures["b1_statements_per_transition"]
    # lock, StateLog insert, save(), open task read, task closed, next task, notification
    assert figures["p1_peer_statements_per_step"] == 7
    assert figures["p1_peer_tps_1proc"] > 0 and figures["p1_peer_tps_2proc"] > 0
    assert figures["p1_ratio_1proc"] is not None and figures["p1_ratio_2proc"] is not None


def test_m1_fires_transitions_beside_the_pages_of_20_officers(result):
    figures = result[0]["figures"]
    assert figures["m1_officers"] == 20
    assert figures["m1_errors"] == 0
    assert figures["m1_writes_per_s_w0"] == 0
    assert all(figures[f"m1_writes_per_s_w{rate}"] > 0 for rate in (2, 10, 50))
    assert all(figures[f"m1_pages_rps_w{rate}"] > 0 for rate in (0, 2, 10, 50))


def test_c1_measures_its_steps_and_a_headroom(result):
    data, _ = result
    figures = data["figures"]
    assert all(figures[f"c1_cpu_pct_x{m}"] > 0 for m in (1, 2, 4, 8))
    assert all(figures[f"c1_writes_per_s_x{m}"] > 0 for m in (1, 2, 4, 8))
    assert isinstance(figures["c1_headroom_x"], int)
    assert data["targets"]["C1 p99 <= 200 ms and CPU <= 50 % at the modelled peak"] == (
        figures["c1_headroom_x"] >= 1
    )


def test_results_file_is_written(result):
    _, stdout = result
    line = next(x for x in stdout.splitlines() if x.startswith("results written to "))
    path = ROOT / line.removeprefix("results written to ")
    assert json.loads(path.read_text())["scale"] == "tiny"
