"""Per-process copies of the small configuration tables read on every transition, task page and message: the
calendar overrides, the SLA policies and the message templates.

Reading them costs a database round trip each time they are needed (three of the statements of a transition
used to be these reads). A copy lives for ``settings.CONFIG_CACHE_SECONDS`` (default 60): a change saved in
the admin is seen at once by the process that saved it (the model signals drop the copy, again when the
transaction commits) and by every other web and worker process within that many seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

_lock = threading.Lock()
_entries: dict[str, tuple[float, object]] = {}


def cached(name: str, load: Callable[[], T]) -> T:
    """The copy named ``name``, loaded with ``load()`` when missing or older than CONFIG_CACHE_SECONDS."""
    now = time.monotonic()
    entry = _entries.get(name)
    if entry is not None and entry[0] > now:
        return entry[1]  # type: ignore[return-value]
    value = load()
    ttl = getattr(settings, "CONFIG_CACHE_SECONDS", 60)
    if ttl > 0:
        with _lock:
            _entries[name] = (now + ttl, value)
    return value


def invalidate(*names: str) -> None:
    """Drop the named copies (all of them with no names)."""
    with _lock:
        if names:
            for name in names:
                _entries.pop(name, None)
        else:
            _entries.clear()


def watch(model: type, *names: str) -> None:
    """Drop ``names`` whenever a ``model`` row is saved or deleted in this process, and again at commit (a read
    between the save and the commit would otherwise keep the uncommitted row)."""

    def changed(sender, **kwargs) -> None:
        invalidate(*names)
        transaction.on_commit(lambda: invalidate(*names), using=kwargs.get("using"))

    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"config_cache:{model.__name__}")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"config_cache:{model.__name__}:del")
