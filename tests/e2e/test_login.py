"""Logging in, in the browser: every demo role, a wrong password, the language switcher, a phone."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.urls import resolve
from playwright.sync_api import expect

from core.roles import Role
from core.views import HomeView

from .conftest import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

# username → the role group it belongs to (as seed_demo creates them).
DEMO_USERS = {
    "applicant": Role.APPLICANT,
    "district": Role.DISTRICT_OFFICER,
    "appraiser": Role.APPRAISER,
    "finance": Role.FINANCE_OFFICER,
    "approver": Role.APPROVER,
    "auditor": Role.AUDITOR,
    "admin": Role.ADMINISTRATOR,
}
LOGIN_PATH = re.compile(r"/accounts/login/")


@pytest.fixture
def demo_users(transactional_db, django_user_model):
    users = {}
    for username, role in DEMO_USERS.items():
        # get_or_create: the live server's transactional tests flush the groups the migration created.
        group, _ = Group.objects.get_or_create(name=role.value)
        superuser = role == Role.ADMINISTRATOR
        user = django_user_model.objects.create_user(
            username=username, password=DEMO_PASSWORD, is_staff=superuser, is_superuser=superuser
        )
        user.groups.add(group)
        users[username] = user
    return users


def assert_on_home_page(page, greeting):
    expect(page.get_by_role("heading", name=greeting)).to_be_visible()
    assert resolve(urlsplit(page.url).path).func.view_class is HomeView


def log_in(page, username, password):
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_anonymous_visitor_lands_on_the_vietnamese_login_page(page):
    page.goto("/")

    expect(page).to_have_url(LOGIN_PATH)
    expect(page).to_have_title("Đăng nhập — Quản lý đề án khuyến công")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    expect(page.get_by_label("Mật khẩu")).to_be_visible()
    expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()
    expect(page.get_by_role("link", name="Quên mật khẩu?")).to_be_visible()
    # No English left over from the library defaults.
    body = page.locator("body").inner_text()
    for english in ("Username", "Password", "Log in", "Login", "Forgot"):
        assert english not in body


@pytest.mark.parametrize("username", DEMO_USERS)
def test_each_demo_user_logs_in_and_sees_their_role(page, demo_users, username):
    page.goto("/")
    log_in(page, username, DEMO_PASSWORD)

    assert_on_home_page(page, f"Xin chào, {username}")
    expect(page.get_by_text(f"Vai trò: {DEMO_USERS[username].label}", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    # The page shell is Vietnamese too: no library text left in English.
    body = page.locator("body").inner_text()
    for english in ("Applications", "No viewsets", "Log out", "Profile"):
        assert english not in body


def test_logout_returns_to_the_login_page(page, demo_users):
    page.goto("/")
    log_in(page, "approver", DEMO_PASSWORD)
    assert_on_home_page(page, "Xin chào, approver")

    page.get_by_role("button", name="Đăng xuất").click()

    expect(page).to_have_url(LOGIN_PATH)
    page.goto("/")
    expect(page).to_have_url(LOGIN_PATH)


def test_wrong_password_shows_a_vietnamese_error_and_does_not_log_in(page, demo_users):
    page.goto("/")
    log_in(page, "approver", "not-the-password")

    expect(
        page.get_by_text("Vui lòng điền vào Tên đăng nhập và mật khẩu chính xác", exact=False)
    ).to_be_visible()
    expect(page).to_have_url(LOGIN_PATH)
    assert "sessionid" not in {cookie["name"] for cookie in page.context.cookies()}
    page.goto("/")
    expect(page).to_have_url(LOGIN_PATH)
    expect(page.get_by_text("Xin chào")).to_have_count(0)


def test_language_switcher_turns_the_login_page_into_english(page, demo_users):
    page.goto("/")
    expect(page.get_by_role("button", name="Tiếng Việt")).to_be_disabled()

    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(LOGIN_PATH)
    expect(page).to_have_title("Sign in — Industrial promotion proposals")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_disabled()

    # The choice sticks after logging in.
    page.get_by_label("Username").fill("appraiser")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert_on_home_page(page, "Hello, appraiser")
    expect(page.get_by_text("Role: Appraiser, Department of Industry and Trade", exact=True)).to_be_visible()

    # And back to Vietnamese.
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")


@pytest.mark.parametrize("browser_context_args", [{"viewport": {"width": 375, "height": 740}}])
def test_login_on_a_phone_fits_the_screen_and_works_with_the_keyboard(page, demo_users, browser_context_args):
    page.goto("/accounts/login/")
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for control in (page.get_by_label("Tên đăng nhập"), page.get_by_role("button", name="Đăng nhập")):
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375

    # Keyboard only: the username is the first stop of the Tab order, the password the next.
    # The username field has the focus on arrival; Shift+Tab leaves the page, Tab comes back to it.
    expect(page.get_by_label("Tên đăng nhập")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("Tên đăng nhập")).not_to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Tên đăng nhập")).to_be_focused()
    page.keyboard.type("finance")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mật khẩu")).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")

    assert_on_home_page(page, "Xin chào, finance")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
