"""The benchmark environment: scale, a separate database and Redis DB, Django set up on bench.settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlparse

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/khuyencong_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/10"


@dataclass(frozen=True)
class Scale:
    name: str
    proposals: int  # each đề án has 5 tasks (1 open for half of them) and 10 audit events
    b2_sizes: tuple[int, int, int]  # task-table sizes at which B2 is measured (the last is the full data set)
    b1_transitions: int  # transitions per process per repeat, timed
    b1_warmup: (
        int  # transitions per process before the clock starts (both sides): its connection's statements
    )
    b2_samples: int  # timed calls per query per repeat
    b4_history_events: int
    b5_seconds: int
    b7_messages: int
    m1_seconds: int = 5  # wrk's duration at each write rate of M1
    c1_seconds: int = 8  # the duration of each multiple of C1's load model
    # The national variant (bench/datagen.py ``national_reference_data``): provinces in one database, each with
    # its Sở and communes and 500 staff; one province (the first) is a big one. 1: one province with districts.
    provinces: int = 1
    # What a second web machine and a second Celery worker machine add: C1 again with gunicorn on one core,
    # B7 again with one worker process (the national variant).
    scaling: bool = False


SCALES = {
    "full": Scale("full", 200_000, (10_000, 100_000, 1_000_000), 200, 10, 200, 1_000, 5, 1_500, 10, 15),
    "smoke": Scale("smoke", 20_000, (2_000, 20_000, 100_000), 100, 5, 40, 1_000, 3, 1_000),
    "tiny": Scale("tiny", 600, (500, 1_500, 3_000), 6, 1, 20, 200, 1, 60, 1, 1),
    # 34 provinces in one database, 170,000 đề án over five plan years, 17,000 staff (bench/README.md).
    "national": Scale(
        "national", 170_000, (10_000, 100_000, 850_000), 200, 10, 200, 1_000, 5, 1_500, 10, 15, 34, True
    ),
}


def scale() -> Scale:
    name = os.environ.get("BENCH_SCALE", "smoke")
    if name not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(SCALES)}, not {name!r}")
    return SCALES[name]


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)


def dsn(url: str | None = None, *, dbname: str | None = None) -> str:
    """A libpq connection string for psycopg from a postgres:// URL."""
    u = urlparse(url or database_url())
    parts = {
        "host": u.hostname or "127.0.0.1",
        "port": str(u.port or 5432),
        "user": u.username or "postgres",
        "dbname": dbname or u.path.lstrip("/"),
    }
    if u.password:
        parts["password"] = u.password
    return " ".join(f"{k}={v}" for k, v in parts.items())


def configure() -> None:
    """Point the project at the benchmark database and Redis DB before Django reads its settings."""
    redis = redis_url()
    os.environ["DATABASE_URL"] = database_url()
    os.environ["REDIS_URL"] = redis
    os.environ["CELERY_BROKER_URL"] = redis
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    if scale().provinces > 1:
        # A national deployment: the Cục's officers work in the system (config/settings.py KHUYENCONG).
        os.environ["KC_NATIONAL_MODE"] = "in_system"


def create_database() -> None:
    """Create the benchmark database when it is missing (never touches any other database)."""
    import psycopg

    name = urlparse(database_url()).path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"unexpected benchmark database name {name!r}")
    with psycopg.connect(dsn(dbname="postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup() -> None:
    configure()
    create_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
