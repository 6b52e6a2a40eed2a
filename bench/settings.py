"""Settings of the benchmark run: the project's settings on a separate database and Redis DB, plus a trivial
view (the B5 baseline) and the peer app of P1 (bench/peers/, with django-fsm-2 and django-fsm-log). The
harness sets the environment before Django reads it (bench/env.py)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/khuyencong_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/10")
# Production-like (DEBUG off: no query log) but over plain HTTP on 127.0.0.1; forced, not inherited from a
# test run's environment.
os.environ.update(
    {
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-not-a-secret",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
)

from config.settings import *  # noqa: E402,F403

# Benchmark P1's peer (bench/peers/): django-fsm-2 and django-fsm-log, in the benchmark database only.
INSTALLED_APPS = [*INSTALLED_APPS, "django_fsm", "django_fsm_log", "bench.peers"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DATABASES["default"]["CONN_MAX_AGE"] = None  # noqa: F405 - gunicorn workers keep their connection
