"""The inspector's journey in the browser (journeys.md §8): filter the 2026 rows of the province, open one đề án's
full history, verify it (intact), export the view to Excel and find the export's hash in the audit trail."""

import hashlib
import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from core.models import User
from tests.integration.world import _user, build_world, complete_proposal, drive
from workflow.models import TransitionEvent

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(transactional_db):
    w = build_world()
    w.users["auditor_other"] = _user("auditor_other", "auditor", unit=w.other_province)
    return w


def sign_in(browser, live_server, username):
    """A browser signed in as ``username`` through a session cookie (signing in by the form is
    tests/e2e/test_login.py's subject; here it would only add a dependency on the login page)."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    context = browser.new_context(
        base_url=live_server.url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", accept_downloads=True
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    context.set_default_timeout(10_000)
    return context, context.new_page()


def test_an_auditor_finds_verifies_and_exports_a_history(world, browser, live_server, tmp_path):
    p = drive(world, complete_proposal(world), "approve")
    context, page = sign_in(browser, live_server, "auditor")
    try:
        page.goto("/kiem-tra/")
        page.get_by_label("Từ ngày").fill("2026-01-01")
        page.get_by_label("Đến ngày").fill("2026-12-31")
        page.get_by_role("button", name="Lọc").click()
        # The filtered list has the same 6 rows as the unfiltered one: wait for the filter's page itself, or the
        # click below can race the filter's navigation and be replaced by it.
        expect(page).to_have_url(re.compile(r"[?&]from=2026-01-01&to=2026-12-31"))
        expect(page.locator("#events tbody tr")).to_have_count(6)

        page.locator("#events").get_by_role("link", name=p.tracking_code).first.click()
        expect(page.get_by_role("heading", name=f"Lịch sử đề án {p.tracking_code}")).to_be_visible()
        history = page.locator("#history tbody tr")
        expect(history).to_have_count(6)
        expect(history.nth(5)).to_contain_text("approve")
        expect(history.nth(5)).to_contain_text("123/QĐ-UBND")
        expect(history.nth(2)).to_contain_text("Đề nghị Sở xem xét hỗ trợ")
        expect(page.locator("#spans tbody tr")).to_have_count(5)
        # Nothing to change here: the only POST forms are the page shell's sign-out buttons.
        actions = page.locator('form[method="post"]').evaluate_all(
            "forms => forms.map(f => f.getAttribute('action'))"
        )
        assert set(actions) == {"/accounts/logout/"}

        page.get_by_role("link", name="Xác minh chuỗi nhật ký của đề án").click()
        expect(page.locator('[data-result="intact"]')).to_contain_text("Nguyên vẹn")
        expect(page.locator('[data-result="intact"]')).to_contain_text("6 dòng")
        page.get_by_role("link", name="Về lịch sử đề án").click()

        with page.expect_download() as info:
            page.get_by_role("link", name="Xuất Excel").click()
        download = info.value
        assert download.suggested_filename.endswith(".xlsx")
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        digest = hashlib.sha256(saved.read_bytes()).hexdigest()
        assert digest[:8] in download.suggested_filename

        page.goto("/kiem-tra/")
        expect(page.locator(f'#exports [data-sha256="{digest}"]')).to_have_text(digest)
        page.get_by_label("Thao tác").select_option("export")
        page.get_by_label("Từ ngày").fill("")
        page.get_by_label("Đến ngày").fill("")
        page.get_by_role("button", name="Lọc").click()
        expect(page.locator("#events tbody tr")).to_have_count(1)
        expect(page.locator("#events tbody tr")).to_contain_text("export")
        row = TransitionEvent.objects.get(trigger="export")
        assert row.data["sha256"] == digest and row.data["format"] == "xlsx"
        assert TransitionEvent.objects.filter(trigger="verify_audit", data__ok=True).count() == 1
    finally:
        context.close()


def test_an_auditor_of_another_province_finds_nothing(world, browser, live_server):
    p = drive(world, complete_proposal(world), "lodge")
    context, page = sign_in(browser, live_server, "auditor_other")
    try:
        page.goto("/kiem-tra/")
        expect(page.locator("#events tbody")).to_contain_text("Không có dòng nhật ký nào")
        response = page.goto(f"/kiem-tra/de-an/{p.pk}/")
        assert response.status == 404
    finally:
        context.close()
