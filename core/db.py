"""Reading many rows fast: a cursor whose results come in PostgreSQL's binary format.

Django loads a ``timestamptz`` in text format with its own Python loader (to attach its time zone), about
5 µs a value on this hardware; a 1,000-event history spent more time there than in PostgreSQL. In binary format
psycopg's C loaders read timestamps, numbers and text directly, and the timestamps come
back aware in the session's time zone, UTC, as the ORM returns them. Only the hand-written reads of the hot pages
use it (docs/adr/0003-hot-paths.md); the queries still go through Django's cursor, so they are logged and
counted like any other.

Every other read (the ORM's, in text format) gets psycopg's C loader for ``timestamptz`` too
(``use_c_timestamptz_loader``): Django's is a subclass of psycopg's Python loader and cost 1.7 µs a value and
a fresh Python loader per statement; the one registered here does what Django's does, with the C loader
underneath.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import psycopg
from django.db import connection

if TYPE_CHECKING:
    from psycopg.adapt import Loader


def use_c_timestamptz_loader(sender, connection, **kwargs) -> None:
    """On each new PostgreSQL connection (``connection_created``): read ``timestamptz`` in text format with
    psycopg's C loader, then attach Django's time zone to the value, as Django's own loader does (it parses in
    Python). The loader carries Django's ``timezone`` attribute, which Django compares at each cursor."""
    if connection.vendor != "postgresql" or connection.connection is None:
        return
    loader = _timestamptz_loader(connection.timezone)
    connection.connection.adapters.register_loader("timestamptz", loader)


@functools.cache
def _timestamptz_loader(timezone: dt.tzinfo | None) -> type[Loader]:
    """The loader class for one time zone (Django's, or None when USE_TZ is off), made once per process."""
    from psycopg import adapters
    from psycopg.adapt import Loader
    from psycopg.postgres import types
    from psycopg.pq import Format

    oid = types["timestamptz"].oid
    parse = adapters.get_loader(oid, Format.TEXT)  # psycopg's own: C where its C extension is installed

    class TimestamptzLoader(Loader):
        timezone: dt.tzinfo | None  # Django's, set on the class below

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._parse = parse(oid, context).load

        def load(self, data):
            return self._parse(data).replace(tzinfo=self.timezone)

    TimestamptzLoader.timezone = timezone
    return TimestamptzLoader


@contextmanager
def binary_cursor(*, chunked: bool = False) -> Iterator:
    """Django's cursor with results in binary format on PostgreSQL; ``chunked``: a server-side cursor, for reads
    of more rows than memory should hold (``fetchmany``)."""
    with connection.chunked_cursor() if chunked else connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg.pq import Format

            cursor.cursor.format = Format.BINARY
        yield cursor


def fetch_generic(cursor, sql: str, params: list) -> list[tuple]:
    """``cursor.execute(sql, params)`` then ``fetchall()``, with PostgreSQL's generic plan for the statement.

    A keyset page's statement takes its position as parameters. PostgreSQL then estimates the prepared
    statement's generic plan above the plans made for each position, and plans it again at every call: about
    0.4 ms, more than the statement itself takes once planned (docs/benchmarks.md, B2). Its generic plan is
    the same index range for any position, so this one statement is run with ``plan_cache_mode`` set to
    ``force_generic_plan``: the setting, the statement and the reset go in one round trip (psycopg's pipeline
    mode), which PostgreSQL runs as one transaction when none is open, so that an error also undoes the
    setting. Elsewhere (SQLite, client-side binding, where nothing is prepared) it is a plain execute."""
    raw = getattr(cursor, "cursor", None)
    if (
        connection.vendor != "postgresql"
        or not isinstance(raw, psycopg.Cursor)
        or isinstance(raw, psycopg.ClientCursor)
    ):
        cursor.execute(sql, params)
        return cursor.fetchall()
    session = raw.connection
    setting = session.cursor()
    try:
        with connection.wrap_database_errors, session.pipeline():
            setting.execute("SET plan_cache_mode = force_generic_plan")
            cursor.execute(sql, params)
            setting.execute("RESET plan_cache_mode")
    finally:
        setting.close()
    return cursor.fetchall()


def datetime_converter() -> Callable[[object], dt.datetime | None] | None:
    """What turns a timestamp column into an aware datetime as the ORM returns it: nothing on PostgreSQL (the
    value is one already); SQLite gives text. Ask once per query, not per value."""
    if connection.vendor == "postgresql":
        return None
    # Defined by the backends other than PostgreSQL's (SQLite here), not by BaseDatabaseOperations.
    return lambda value: connection.ops.convert_datetimefield_value(value, None, connection)  # type: ignore[attr-defined]
