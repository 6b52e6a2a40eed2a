"""Timestamps read in text format (every ORM read) go through psycopg's C loader (core/db.py) and come back as
Django's own loader returns them: aware, in UTC, to the microsecond."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import adapt
from psycopg.postgres import types
from psycopg.pq import Format

from core.calendar import VN_TZ
from core.db import use_c_timestamptz_loader
from workflow.models import Task

from .world import T0, build_world, complete_proposal

pytestmark = pytest.mark.django_db

TIMESTAMPTZ = types["timestamptz"].oid
TEXTS = [
    "2026-03-10 09:00:00.123456+07",
    "2026-12-31 23:59:59.999999-11:30",
    "1999-01-01 00:00:00+00",
    "2026-06-15 12:34:56+05:45",
]


def _read(texts: list[str]) -> list[dt.datetime]:
    marks = ", ".join(["%s::timestamptz"] * len(texts))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {marks}", texts)
        return list(cursor.fetchone())


def test_every_connection_reads_timestamps_with_the_loader_of_core_db():
    connection.ensure_connection()
    assert connection.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT).__module__ == "core.db"
    connection.close()
    connection.ensure_connection()  # a new session gets it too
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
    assert loader.__module__ == "core.db"
    assert loader.timezone is connection.timezone is dt.UTC


def test_the_values_are_those_django_s_own_loader_gives():
    got = _read(TEXTS)
    assert got[0] == dt.datetime(2026, 3, 10, 2, 0, 0, 123456, tzinfo=dt.UTC)
    assert all(value.tzinfo is dt.UTC for value in got)
    # Django's loader on a connection of its own, the same statement.
    theirs = adapt.AdaptersMap(connection.connection.adapters)
    register_tzloader(connection.timezone, type("Ctx", (), {"adapters": theirs})())
    assert theirs.get_loader(TIMESTAMPTZ, Format.TEXT).__module__.startswith("django.")
    connection.connection.adapters.register_loader(TIMESTAMPTZ, theirs.get_loader(TIMESTAMPTZ, Format.TEXT))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["%s::timestamptz"] * len(TEXTS)), TEXTS)
            django_values = list(cursor.fetchone())
    finally:
        use_c_timestamptz_loader(None, connection)
    assert django_values == got
    assert [v.tzinfo for v in django_values] == [v.tzinfo for v in got]
    assert connection.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT).__module__ == "core.db"


def test_a_task_s_deadline_reads_back_to_the_microsecond():
    w = build_world()
    due = dt.datetime(2026, 3, 20, 17, 0, 0, 654321, tzinfo=VN_TZ)
    task = Task.objects.create(
        proposal=complete_proposal(w),
        status="lodged",
        role="district_officer",
        unit=w.district,
        created_at=T0,
        due_at=due,
    )
    read = Task.objects.values_list("due_at", "created_at").get(pk=task.pk)
    assert read == (due, T0)
    assert read[0].tzinfo is dt.UTC
