"""Settings for ``make test``: PostgreSQL and Redis at their default local addresses unless overridden.

Probes both services once. Under CI (``CI=true``) a missing service stops the run with a clear message
(tests/conftest.py); elsewhere the tests that need it are skipped with the reason printed.
"""

import os
import socket
from urllib.parse import urlparse

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/khuyencong")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("DEBUG", "true")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


SERVICE_PROBLEMS: dict[str, str] = {}
if not _reachable(os.environ["DATABASE_URL"], 5432):
    SERVICE_PROBLEMS["postgres"] = (
        f"PostgreSQL is not reachable at {os.environ['DATABASE_URL']} (set DATABASE_URL)"
    )
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
if not _reachable(os.environ["REDIS_URL"], 6379):
    SERVICE_PROBLEMS["redis"] = f"Redis is not reachable at {os.environ['REDIS_URL']} (set REDIS_URL)"
    os.environ["REDIS_URL"] = ""

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "var" / "test-private"  # noqa: F405
SECURE_SSL_REDIRECT = False
