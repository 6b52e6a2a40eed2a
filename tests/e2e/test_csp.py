"""The Content-Security-Policy breaks no page: every page of every role is opened in Chromium, its scripts run
(the viewflow shell, the dossier editor's live totals, the lookup form), and the browser reports no violation."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from core.models import User
from tests.integration.world import build_world, complete_proposal, drive
from workflow.models import Task

pytestmark = pytest.mark.e2e

# Records every violation the browser reports, before any of the page's own scripts run.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI || "inline"} ${e.sourceFile || ""}:${e.lineNumber}`);
});
"""


def signed_in(browser, live_server, username):
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    if username:
        client = Client()
        client.force_login(User.objects.get(username=username))
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    context.add_init_script(RECORD_VIOLATIONS)
    return context


def test_no_page_of_any_role_violates_the_content_security_policy(transactional_db, browser, live_server):
    w = build_world()
    draft = complete_proposal(w, title="Bản nháp")
    lodged = drive(w, complete_proposal(w, title="Đã nộp"), "lodge")
    approved = drive(w, complete_proposal(w, title="Đã phê duyệt"), "approve")
    submitted = drive(w, complete_proposal(w, title="Chờ thẩm định"), "district_submit")
    task = Task.objects.get(proposal=submitted, completed_at__isnull=True)  # in the Sở's queue
    pages = {
        None: ["/accounts/login/", "/tra-cuu/", "/dang-ky/", "/accounts/password_reset/", "/api/docs/"],
        "applicant": [
            "/",
            "/don-vi/",
            "/don-vi/lap-moi/",
            f"/don-vi/{draft.pk}/",
            f"/don-vi/{draft.pk}/soan-thao/",
            f"/don-vi/{lodged.pk}/",
            f"/don-vi/{lodged.pk}/bien-nhan/",
            f"/don-vi/{approved.pk}/bao-cao-tien-do/",
            f"/don-vi/{approved.pk}/tam-ung/",
            "/thanh-vien/",
        ],
        "district": [
            "/cong-viec/cua-toi/",
            "/cong-viec/hang-cho/",
            "/cong-viec/da-xu-ly/",
            "/cong-viec/uy-quyen/",
            "/de-an/",
            f"/de-an/{lodged.pk}/",
            f"/de-an/{lodged.pk}/thao-tac/district_submit/",
            f"/de-an/{lodged.pk}/so-sanh/",
        ],
        "head": [f"/cong-viec/{task.pk}/giao-lai/"],
        "finance": ["/cong-viec/hang-loat/verify_finance/"],
        "approver": [
            "/cong-viec/hang-loat/approve/",
            "/thong-ke/",
            "/thong-ke/ke-hoach-nam/",
            "/thong-ke/bao-cao-quy/",
        ],
        "auditor": ["/kiem-tra/", f"/kiem-tra/de-an/{approved.pk}/", "/kiem-tra/xac-minh/"],
    }
    seen, violations = 0, {}
    for username, paths in pages.items():
        if username and not User.objects.filter(username=username).exists():
            continue
        context = signed_in(browser, live_server, username)
        page = context.new_page()
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status < 400, (
                username,
                path,
                response and response.status,
            )
            page.wait_for_load_state("networkidle")
            if page.locator(".vf-page__menu-toggle").count():
                page.locator(".vf-page__menu-toggle").first.click()  # the shell's script answers
            found = page.evaluate("window.__csp")
            if found:
                violations[f"{username or 'anonymous'} {path}"] = found
            seen += 1
        context.close()
    assert seen >= 30
    assert violations == {}


def test_the_dossier_editor_computes_its_totals_under_the_policy(transactional_db, browser, live_server):
    """The editor's inline script is allowed by its hash: typing an amount updates the totals at once."""
    w = build_world()
    draft = complete_proposal(w, title="Bản nháp")
    context = signed_in(browser, live_server, "applicant")
    page = context.new_page()
    page.goto(f"/don-vi/{draft.pk}/soan-thao/")
    totals = page.locator("[data-total]").first
    expect(totals).to_be_visible()
    before = totals.inner_text()
    amount = page.locator("input[name$='-national_amount']").first
    amount.fill("123456789")
    amount.dispatch_event("input")
    expect(totals).not_to_have_text(before)
    assert page.evaluate("window.__csp") == []
    context.close()


def test_the_receipt_print_button_works_under_the_policy(transactional_db, browser, live_server):
    """The receipt's "In giấy biên nhận" button (it used an inline onclick the policy refused)."""
    w = build_world()
    lodged = drive(w, complete_proposal(w, title="Đã nộp"), "lodge")
    context = signed_in(browser, live_server, "applicant")
    page = context.new_page()
    page.goto(f"/don-vi/{lodged.pk}/bien-nhan/")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="In giấy biên nhận").click()
    assert page.evaluate("window.__printed") is True
    assert page.evaluate("window.__csp") == []
    context.close()
