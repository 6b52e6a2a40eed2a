"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

The browser is never downloaded: it is /usr/bin/chromium from the `chromium` Debian package (.ci/run
installs it). Without it the e2e tests are skipped with the reason, except under CI=true, where the run fails.
"""

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import expect

# Sync Playwright runs an asyncio event loop in the test thread; Django's ORM would otherwise refuse
# to run there (SynchronousOnlyOperation) when fixtures touch the database.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-results"
DEMO_PASSWORD = "khuyencong-demo"
WORLD_PASSWORD = "x-password-1"  # tests/integration/world.py


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            if not item.get_closest_marker("django_db"):
                # The live server reads committed data, so each test commits and the database is flushed
                # afterwards; serialized_rollback brings back what the migrations created (the role groups …).
                item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


def _allow_flush(connection):
    """Let this session TRUNCATE the append-only audit tables: their triggers guard production data, but
    the test harness must empty the test database between browser tests. Lasts until the connection closes
    (Django closes it right after the flush)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")


@pytest.fixture(autouse=True)
def _flush_past_append_only_triggers(transactional_db):
    # A transactional test elsewhere in the run may have emptied the migrations' reference rows.
    from tests.reference_data import ensure_reference_data

    ensure_reference_data()
    yield
    # Runs after the test, just before pytest-django flushes the database.
    _allow_flush(connections["default"])


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    yield
    # After the last browser test the database is empty; put the migrated data back so the next run
    # (--reuse-db) starts from the same state as a freshly created test database.
    with django_db_blocker.unblock():
        connection = connections["default"]
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents is None:
            return
        _allow_flush(connection)
        call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
        connection.creation.deserialize_db_from_string(contents)
        connection.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Expose the outcome of each phase to fixtures (the page fixture takes a screenshot on failure).
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def login_as(browser, live_server):
    """Sign a test world's user in (tests/integration/world.py, password WORLD_PASSWORD) in a browser context of
    their own; returns their page on the home screen."""
    contexts = []

    def open_as(username):
        context = browser.new_context(
            base_url=live_server.url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(WORLD_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("heading", name=re.compile("Xin chào"))).to_be_visible()
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's browser with `apt-get install -y chromium`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_context_args():
    """Override in a test module (or with indirect parametrisation) to change viewport, locale …"""
    return {}


@pytest.fixture
def page(request, browser, live_server, browser_context_args):
    """A fresh browser context per test (no cookies shared), Vietnamese locale, Vietnam's time zone."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        **browser_context_args,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        SCREENSHOT_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
        try:
            page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
        except Exception as exc:  # a screenshot must never hide the real failure
            print(f"screenshot failed: {exc}")
    context.close()


@pytest.fixture(autouse=True)
def _kept_pages(settings):
    """The browser walks the pages as production serves them: task boxes kept between writes (core/pages.py)."""
    settings.KC_PAGE_CACHE = True
