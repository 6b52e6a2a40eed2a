"""Sessions read from the cache and written to both the cache and the database (Django's cached_db), used when
a shared cache (Redis) is configured: a staff page then reads its session from Redis instead of the database.

Django's cached_db fails a request when the cache is down in two places a sign-in goes through; here both fall
back to the database, as the db backend would have done:

* reading a session the cache could not give: the row is read from the database, and a failed copy back
  into the cache is only logged;
* a new session key is checked against the database alone;
* signing in (``cycle_key``): the pre-sign-in key's copy cannot be dropped from a cache that is down; it only
  holds what the anonymous session held, so the sign-in goes on and the failure is logged.

Signing out still fails while the cache is down (after deleting the database row): a copy of the signed-in
session could otherwise be read back from the cache once it is reachable again.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(CachedDBStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # the cache is down, or the key is invalid for it
            data = None
        if data is not None:
            return data
        s = self._get_session_from_db()
        if not s:
            return {}
        data = self.decode(s.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=s.expire_date))
        except Exception:
            logger.warning("Session read from the database; the cache could not keep a copy", exc_info=True)
        return data

    def cycle_key(self):
        data = self._session
        key = self.session_key
        self.create()
        self._session_cache = data
        if key:
            try:
                self.delete(key)
            except Exception:
                logger.warning("Old session key not dropped from the cache at sign-in", exc_info=True)

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            logger.debug("Session key checked in the database alone: the cache is down", exc_info=True)
        return DBStore.exists(self, session_key)
