import os

import pytest
from django.conf import settings

DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_setup",
    "live_server",
    "client",
    "admin_client",
    "django_user_model",
}


def pytest_configure(config):
    problems = getattr(settings, "SERVICE_PROBLEMS", {})
    if problems and os.environ.get("CI", "").lower() == "true":
        pytest.exit(
            "CI=true but required services are missing: " + "; ".join(problems.values()), returncode=3
        )


def pytest_report_header(config):
    problems = getattr(settings, "SERVICE_PROBLEMS", {})
    if problems:
        return ["SKIPPING tests that need: " + "; ".join(problems.values())]
    return [
        f"database: {settings.DATABASES['default']['ENGINE']} {settings.DATABASES['default'].get('NAME')}; "
        f"redis: {settings.REDIS_URL}"
    ]


def pytest_collection_modifyitems(config, items):
    problems = getattr(settings, "SERVICE_PROBLEMS", {})
    if not problems:
        return
    for item in items:
        needs_db = item.get_closest_marker("django_db") or DB_FIXTURES & set(
            getattr(item, "fixturenames", ())
        )
        if "postgres" in problems and needs_db:
            item.add_marker(pytest.mark.skip(reason=problems["postgres"]))
        if "redis" in problems and item.get_closest_marker("redis"):
            item.add_marker(pytest.mark.skip(reason=problems["redis"]))


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: rate-limit and lookup counters never leak from one test to the next."""
    from django.core.cache import cache

    from core.config_cache import invalidate

    cache.clear()
    invalidate()  # the per-process copies of the configuration tables too (a test's rows roll back)
    yield
