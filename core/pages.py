"""Whole staff pages kept in Redis per user, for as long as nothing they show has changed.

An officer opens the same task box many times an hour: after every dossier, every action, every return to the
list. While nobody has written anything, each of those requests builds the same HTML from the same rows. A page
that opts in (``TaskBoxView``) is kept after it is built, and served again while all of this holds:

* **the database has not changed.** Every statement sent through Django's connections is looked at
  (``watch``, installed on each new connection): an INSERT, UPDATE, DELETE, TRUNCATE, MERGE or COPY of any table
  but the few that no page shows (``UNSEEN_TABLES``: sessions, sign-in logs, the outbox's delivery state)
  advances one counter in Redis, the *generation*, once the transaction has committed (at once outside a
  transaction). A kept page carries the generation read before its rows were; it is served only while the
  counter still holds that value. A person who claims a task is redirected after the commit and the counter's
  step, so the next page anybody opens shows the claim. A write made outside Django (psql, the benchmark's
  data generator) must call ``changed()``.
* **the same person, page and language.** The key is the user's id, the path with its query, the script
  prefix, the language and the release (a digest of the code, templates and translations, and of the
  settings the pages print). The user is still read and checked on every request, before the page is looked
  up: a deactivated account, a new password or a role taken away is a write, which also ends every kept page.
* **the clock has not moved a deadline's badge.** The page gives the moments at which one of its rows would be
  shown otherwise (``valid``); past them it is built again.
* **nothing else is to be shown once.** A page with messages waiting is built and not kept; a request saying
  ``Cache-Control: no-cache`` (a browser's forced reload) gets a page built afresh.
* **no older than** ``KC_PAGE_CACHE_SECONDS`` (60 by default, the per-process configuration copies' own
  delay): whatever a generation cannot see (a write that went around Django, Redis losing a step) lasts no longer.

The step is taken by a thread of the writing process within 20 ms of the commit, which never waits for it (the
commits of those 20 ms share one step). A request that wrote waits for it before answering
(``core.middleware.KeptPagesMiddleware``), so does a page of the same process before it is looked up, and a
write made elsewhere (a Celery task) reaches the other processes a moment after its commit. The CSRF token is
never kept: each request's own is put in. While Redis cannot be reached the pages are built as before and
nothing is kept; a process tries Redis again after a pause of a second, and a step it could not take is taken
at its next contact, before any page is looked up. The switch is ``KC_PAGE_CACHE`` (on where Redis is
configured and DEBUG is off).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import secrets
import threading
import time
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as django_cache
from django.db.transaction import TransactionManagementError
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import get_script_prefix
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

GENERATION = "kc:pages:generation"
_PREFIX = "kc:page:"
# Tables whose rows no kept page shows, written on requests that change nothing a page prints.
UNSEEN_TABLES = frozenset(
    {
        "django_session",
        "axes_accessattempt",
        "axes_accessattemptexpiration",
        "axes_accessfailurelog",
        "axes_accesslog",
        "notifications_outbox",
        "notifications_delivery",
    }
)
_WRITE_START = re.compile(r"\s*\(?\s*(?:INSERT|UPDATE|DELETE|TRUNCATE|MERGE|WITH|COPY)\b", re.IGNORECASE)
# The tables a statement writes: INSERT INTO t, UPDATE t (not ``DO UPDATE`` nor ``FOR UPDATE``), DELETE FROM t,
# TRUNCATE [TABLE] t, MERGE INTO t, COPY t. A name it cannot read ("OF", a schema) counts as a table any page shows.
_TARGETS = re.compile(
    r"(?:\bINSERT\s+INTO|(?<!DO )(?<!FOR )(?<!KEY )\bUPDATE(?:\s+ONLY)?|\bDELETE\s+FROM(?:\s+ONLY)?|\bTRUNCATE(?:\s+TABLE)?"
    r'(?:\s+ONLY)?|\bMERGE\s+INTO|^\s*COPY)\s+"?([A-Za-z_][A-Za-z0-9_$.]*)"?',
    re.IGNORECASE,
)
_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_seen: dict[str, bool] = {}  # statement -> whether it writes a table a page shows (statements repeat)


def enabled() -> bool:
    """Switched on, with Redis to keep the pages in, for a time above zero."""
    return bool(
        getattr(settings, "KC_PAGE_CACHE", False)
        and getattr(settings, "REDIS_URL", "")
        and settings.KC_PAGE_CACHE_SECONDS > 0
    )


def writes_seen_table(sql: str) -> bool:
    """Whether ``sql`` may write a table that some page shows (when unsure: yes)."""
    known = _seen.get(sql)
    if known is None:
        known = False
        if _WRITE_START.match(sql):
            targets = {name.lower() for name in _TARGETS.findall(sql)}
            if targets:
                known = bool(targets - UNSEEN_TABLES)
            else:  # a WITH … SELECT that writes nothing; any other write whose table was not found counts
                known = sql.lstrip().lstrip("(").lstrip()[:4].upper() != "WITH"
        if len(_seen) >= 4096:
            _seen.clear()
        _seen[sql] = known
    return known


def watch(sender=None, connection=None, **kwargs) -> None:
    """``connection_created`` receiver: every statement of the new connection is looked at after it ran."""
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _watch)


def _watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if writes_seen_table(sql) and enabled():  # a dictionary lookup first: most statements are reads
        _after_commit(context["connection"])
    return result


def _after_commit(connection) -> None:
    if connection.in_atomic_block and any(func is changed for _, func, _ in connection.run_on_commit):
        return  # this transaction's step is already due
    try:
        connection.on_commit(changed, robust=True)  # outside a transaction: at once
    except TransactionManagementError:  # a transaction managed by hand: no commit hook to wait for
        changed()


def _client():
    return django_cache._cache.get_client(write=True)


# While Redis fails, this process tries it again only after a pause (a write or a page would otherwise wait for
# the failure every time), and owes the step it could not take: it is taken at this process's next contact.
RETRY_AFTER_SECONDS = 1.0
_down_until = 0.0
_owed = False


def _reachable() -> bool:
    return time.monotonic() >= _down_until


def _failed(what: str) -> None:
    global _down_until
    _down_until = time.monotonic() + RETRY_AFTER_SECONDS
    logger.warning("%s: Redis failed; tried again in %s s", what, RETRY_AFTER_SECONDS, exc_info=True)


def changed() -> None:
    """Every kept page is out of date: the step is owed from now on. This process's step thread takes it at once,
    so that a commit never waits for Redis; a request that wrote waits for it before it answers, and so does a
    page before it is looked up (``settle``)."""
    global _owed
    if not enabled():
        return
    _owed = True
    _wake()


def settle() -> None:
    """Take the owed step now, or wait for the one being taken."""
    if _owed or _step_lock.locked():
        with _step_lock:
            if _owed and _reachable():
                _take()


def _take() -> None:
    global _owed
    _owed = False  # before the command: a commit after this point owes a step of its own
    try:
        _incr()
    except Exception:
        _owed = True
        _failed("Kept pages not marked out of date")


_step_lock = threading.Lock()
_stepper: tuple[int, threading.Event] | None = None  # (process, its wake-up) of the step thread
_stepper_lock = threading.Lock()


def _wake() -> None:
    global _stepper
    stepper = _stepper
    if stepper is None or stepper[0] != os.getpid():
        with _stepper_lock:
            stepper = _stepper
            if stepper is None or stepper[0] != os.getpid():
                stepper = _stepper = (os.getpid(), threading.Event())
                threading.Thread(target=_steps, args=(stepper[1],), name="kc-pages", daemon=True).start()
    stepper[1].set()


# The step thread gathers the commits of this long into one step: a process that commits transitions one after
# another sends a fraction of a command each. A request that wrote does not wait for the window (``settle``).
STEP_WINDOW_SECONDS = 0.02


def _steps(wake: threading.Event) -> None:
    while True:
        wake.wait()
        time.sleep(STEP_WINDOW_SECONDS)
        wake.clear()
        try:
            settle()
        except Exception:  # never let the thread die: the next request settles
            logger.exception("Kept pages' step thread")


def _after_fork() -> None:
    global _step_lock, _stepper, _stepper_lock
    _step_lock, _stepper_lock, _stepper = threading.Lock(), threading.Lock(), None


os.register_at_fork(after_in_child=_after_fork)

_local = threading.local()


def _incr() -> None:
    """``INCR`` of the generation on a connection this thread keeps: every committed transaction sends it, and
    through the pool each command costs an extra system call (the pool checks the connection for stray data)
    and twice the CPU (measured: 90 against 50 µs)."""
    conn = getattr(_local, "conn", None)
    if conn is None or _local.pid != os.getpid():  # a forked process opens its own
        conn = _client().connection_pool.make_connection()
        _local.conn, _local.pid, _local.command = conn, os.getpid(), conn.pack_command("INCR", GENERATION)
    try:
        conn.send_packed_command(_local.command)
        conn.read_response()
    except Exception:
        _local.conn = None
        conn.disconnect()
        raise


@cache
def release() -> str:
    """A digest of what a page is built from besides the database: the project's code, templates and compiled
    translations, the installed packages' versions and the settings pages print. A deploy never serves a page
    built by the code before it."""
    from importlib.metadata import version

    digest = hashlib.blake2b(digest_size=12)
    base = Path(settings.BASE_DIR)
    for folder in ("config", "core", "notifications", "workflow", "templates", "locale"):
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in (".py", ".html", ".txt", ".mo") and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    for package in ("django", "django-viewflow"):
        digest.update(version(package).encode())
    digest.update(repr((settings.KHUYENCONG, settings.LANGUAGES, settings.TIME_ZONE)).encode())
    return digest.hexdigest()


class Ticket:
    """One request's claim on a kept page: ``kept(request, valid)`` reads the generation and the page in one
    round trip; ``keep(response, moments)`` stores what was built, under the generation read before."""

    __slots__ = ("key", "generation")

    def __init__(self, key: str):
        self.key = key
        self.generation: bytes | None = None

    @classmethod
    def for_request(cls, request, name: str) -> Ticket | None:
        """None where the page is not to be kept or served: switched off, not a GET, messages waiting, or a
        forced reload."""
        if not enabled() or request.method != "GET":
            return None
        if "no-cache" in request.headers.get("Cache-Control", ""):
            return None
        messages = getattr(request, "_messages", None)
        if messages is not None and len(messages):
            return None
        path = hashlib.blake2b(request.get_full_path().encode(), digest_size=12).hexdigest()
        return cls(
            f"{_PREFIX}{release()}:{name}:{request.user.pk}:{get_language()}:{get_script_prefix()}:{path}"
        )

    def kept(self, request, valid) -> HttpResponse | None:
        """The kept page with this request's CSRF token, if it still holds (``valid(moments)``)."""
        settle()
        if _owed or not _reachable():
            return None
        try:
            generation, stored = _client().mget([GENERATION, self.key])
        except Exception:
            _failed("Kept pages unreadable, the page is built")
            return None
        if generation is None:  # new or emptied Redis: start from a value no kept page can carry
            try:
                _client().set(GENERATION, secrets.randbits(52), nx=True)
            except Exception:
                logger.warning("Kept pages' generation not set", exc_info=True)
            return None
        self.generation = generation
        if stored is None:
            return None
        kept_generation, moments, content_type, parts = pickle.loads(stored)  # noqa: S301 (our own Redis)
        if kept_generation != generation or not valid(moments):
            return None
        return HttpResponse(get_token(request).join(parts), content_type=content_type)

    def keep(self, response, moments) -> None:
        """Keep a built page (status 200, nothing streamed) until ``KC_PAGE_CACHE_SECONDS``."""
        if self.generation is None or response.status_code != 200 or response.streaming:
            return
        text = response.content.decode()
        if "\x1f" in text:  # the separator below: a page holding it is not kept
            return
        parts = tuple(_CSRF.sub("\\1\x1f\\2", text).split("\x1f"))
        value = pickle.dumps((self.generation, moments, response["Content-Type"], parts), protocol=5)
        try:
            _client().set(self.key, value, ex=settings.KC_PAGE_CACHE_SECONDS)
        except Exception:
            _failed("Page not kept")
