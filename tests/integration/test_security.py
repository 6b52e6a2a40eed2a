"""Security through the HTTP interface: step skipping and wrong roles, separation of duties, mass assignment
through the HTML forms, CSRF on every state-changing form, headers and cookies, login throttling (django-axes),
password validators, private downloads.

The permission matrix over every URL is in test_security_matrix.py; input fuzzing in test_fuzz_forms.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.middleware import content_security_policy, inline_script_hashes
from core.models import User
from notifications.models import Outbox
from workflow.models import Delegation, Proposal, Task, TransitionEvent
from workflow.services.transitions import available_triggers, fire

from .test_security_matrix import site_routes
from .world import APPRAISAL, T0, at, build_world, complete_proposal, drive

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def w(db):
    return build_world()


def client_for(w, name: str, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(w.user(name))
    return client


def state(p: Proposal) -> tuple:
    p.refresh_from_db()
    return (
        p.status,
        p.recommended_amount,
        p.verified_amount,
        p.approved_amount,
        p.settled_amount,
        TransitionEvent.objects.filter(proposal=p).count(),
        Task.objects.filter(proposal=p).count(),
        Outbox.objects.count(),
    )


# --- step skipping, wrong roles -------------------------------------------------------------------------------

APPROVE = {"decision_number": "9/QĐ-UBND", "decision_date": "2026-03-20", "amount": "280000000"}


def test_skipping_finance_changes_nothing_through_the_web_and_the_api(w):
    p = drive(w, complete_proposal(w), "appraise")
    before = state(p)
    web = client_for(w, "approver").post(
        reverse("proposals:action", args=[p.pk, "approve"]), {"expected_status": "appraised", **APPROVE}
    )
    assert web.status_code == 409
    assert "Không thể “Phê duyệt” khi đề án đang ở trạng thái" in web.content.decode()
    api = client_for(w, "approver").post(
        f"/api/proposals/{p.pk}/transitions/approve/",
        {"data": {"decision_number": "9", "decision_date": "2026-03-20"}},
        content_type="application/json",
    )
    assert (api.status_code, api.json()["error"]["code"]) == (409, "not_allowed_from_status")
    assert state(p) == before


@pytest.mark.parametrize("who", ["district", "appraiser", "approver", "auditor", "head"])
def test_a_wrong_role_inside_the_unit_gets_403_and_changes_nothing(w, who):
    p = drive(w, complete_proposal(w), "appraise")  # the finance officer's turn
    before = state(p)
    web = client_for(w, who).post(
        reverse("proposals:action", args=[p.pk, "verify_finance"]),
        {"expected_status": "appraised", "national_amount": "0", "local_amount": "280000000"},
    )
    assert web.status_code == 403
    assert (
        "không được thực hiện thao tác “Thẩm tra kinh phí”" in web.content.decode()
        or "không thuộc đơn vị" in web.content.decode()
    )
    api = client_for(w, who).post(
        f"/api/proposals/{p.pk}/transitions/verify_finance/",
        {"data": {"national_amount": 0, "local_amount": 280_000_000}},
        content_type="application/json",
    )
    assert (api.status_code, api.json()["error"]["code"]) == (403, "not_permitted")
    assert state(p) == before


def test_a_staff_user_cannot_lodge_for_the_applicant(w):
    p = complete_proposal(w)
    before = state(p)
    response = client_for(w, "district").post(
        reverse("proposals:action", args=[p.pk, "lodge"]), {"expected_status": "drafted"}
    )
    assert response.status_code == 404  # a draft is not visible to staff at all
    assert state(p) == before


# --- separation of duties -------------------------------------------------------------------------------------


def _appraiser_who_also_approves(w) -> User:
    user = w.user("appraiser")
    user.groups.add(Group.objects.get(name="approver"))
    return User.objects.get(pk=user.pk)


def test_the_appraiser_may_not_approve_what_they_appraised(w, settings):
    settings.KHUYENCONG = {**settings.KHUYENCONG, "SEPARATION_OF_DUTIES": [("appraise", "approve")]}
    both = _appraiser_who_also_approves(w)
    p = drive(w, complete_proposal(w), "verify_finance")  # appraised by "appraiser"
    assert "approve" not in [t.name for t in available_triggers(both, p, now=at(18))]
    before = state(p)
    response = client_for(w, "appraiser").post(
        reverse("proposals:action", args=[p.pk, "approve"]),
        {"expected_status": "finance_verified", **APPROVE},
    )
    assert response.status_code == 403
    assert (
        "Người đã “Thẩm định” đề án này không được “Phê duyệt” chính đề án đó (nguyên tắc tách bạch nhiệm vụ)."
        in response.content.decode()
    )
    assert state(p) == before
    # Someone else with the role may.
    fire(p.pk, "approve", actor=w.user("approver"), now=at(18), data={**APPROVE, "amount": 280_000_000})
    p.refresh_from_db()
    assert p.status == "approved"


def test_separation_of_duties_also_binds_a_substitute(w, settings):
    """The approver who appraised cannot approve through a colleague's delegation either."""
    settings.KHUYENCONG = {**settings.KHUYENCONG, "SEPARATION_OF_DUTIES": [("appraise", "approve")]}
    p = drive(w, complete_proposal(w), "verify_finance")
    appraiser = w.user("appraiser")
    today = timezone.localdate()  # the API reads the clock
    Delegation.objects.create(
        delegator=w.user("approver"),
        substitute=appraiser,
        starts_on=today,
        ends_on=today + dt.timedelta(days=7),
        created_at=T0,
    )
    response = client_for(w, "appraiser").post(
        f"/api/proposals/{p.pk}/transitions/approve/",
        {"data": {**APPROVE, "amount": 280_000_000}},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "nguyên tắc tách bạch nhiệm vụ" in response.json()["error"]["message"]
    p.refresh_from_db()
    assert p.status == "finance_verified"


def test_separation_of_duties_is_configuration(w, settings):
    settings.KHUYENCONG = {**settings.KHUYENCONG, "SEPARATION_OF_DUTIES": []}
    both = _appraiser_who_also_approves(w)
    p = drive(w, complete_proposal(w), "verify_finance")
    fire(p.pk, "approve", actor=both, now=at(18), data={**APPROVE, "amount": 280_000_000})
    assert Proposal.objects.get(pk=p.pk).status == "approved"


def test_the_default_configuration_separates_appraisal_and_finance_from_approval(settings):
    from config import settings as base

    assert ("appraise", "approve") in base.KHUYENCONG["SEPARATION_OF_DUTIES"]
    assert ("verify_finance", "approve") in base.KHUYENCONG["SEPARATION_OF_DUTIES"]


# --- mass assignment through the forms ------------------------------------------------------------------------

SMUGGLED = {
    "status": "approved",
    "approved_amount": "999000000",
    "verified_amount": "999000000",
    "recommended_amount": "999000000",
    "settled_amount": "1",
    "tracking_code": "KC2026-999999",
    "actor": "1",
    "created_at": "2020-01-01",
    "hash": "0" * 64,
    "seq": "99",
    "implementing_org": "999",
    "assignee": "1",
    "role": "approver",
    "on_behalf_of": "1",
    "lodged_at": "2020-01-01",
}


def test_an_action_form_writes_only_its_own_step(w):
    p = drive(w, complete_proposal(w), "appraise")
    code = p.tracking_code
    response = client_for(w, "finance").post(
        reverse("proposals:action", args=[p.pk, "verify_finance"]),
        {**SMUGGLED, "expected_status": "appraised", "national_amount": "0", "local_amount": "280.000.000"},
    )
    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.status, p.tracking_code, p.verified_amount, p.approved_amount, p.settled_amount) == (
        "finance_verified",
        code,
        280_000_000,
        None,
        None,
    )
    event = p.events.filter(kind="transition").latest("seq")
    assert (event.trigger, event.actor.username, event.role, event.on_behalf_of, event.data) == (
        "verify_finance",
        "finance",
        "finance_officer",
        None,
        {"national_amount": 0, "local_amount": 280_000_000},
    )
    assert event.created_at > timezone.now() - dt.timedelta(minutes=5)


def test_the_portal_start_form_ignores_status_amounts_and_owner(w):
    client = client_for(w, "applicant")
    response = client.post(
        reverse("portal:start"),
        {
            **SMUGGLED,
            "title": "Đề án thử gán trường",
            "plan_year": str(timezone.localdate().year + 1),
            "funding_kind": "local",
            "content_type": "machinery",
            "sector": "a",
            "location": str(w.commune.pk),
        },
    )
    assert response.status_code == 302
    p = Proposal.objects.get(title="Đề án thử gán trường")
    assert (
        p.status,
        p.implementing_org_id,
        p.approved_amount,
        p.verified_amount,
        p.recommended_amount,
        p.lodged_at,
    ) == ("drafted", w.org.pk, None, None, None, None)
    assert p.tracking_code != "KC2026-999999"


# --- CSRF -----------------------------------------------------------------------------------------------------


def test_every_state_changing_form_refuses_a_post_without_the_csrf_token(w):
    """Every route that answers POST (the HTML site and the API with a session), for a signed-in superuser
    and for a visitor: 403 without the token, and nothing written."""
    p = drive(w, complete_proposal(w), "appraise")
    User.objects.create_superuser(username="root", password="x-password-1", email="root@example.vn")
    task = Task.objects.get(proposal=p, completed_at__isnull=True)
    values = {
        "proposal": p.pk,
        "task": task.pk,
        "attachment": p.attachments.first().pk,
        "trigger": "verify_finance",
        "code": p.tracking_code,
    }
    from .test_security_matrix import fill

    routes = [r for r in site_routes() if {"post", "patch", "put", "delete"} & set(r.methods)]
    assert len(routes) >= 25
    checked = 0
    for username in ("root", None):
        client = Client(enforce_csrf_checks=True)
        if username:
            client.force_login(User.objects.get(username=username))
        for route in routes:
            if route.name == "api-token":
                continue  # username + password in, token out: no session, nothing for CSRF to protect
            for method in {"post", "patch", "put", "delete"} & set(route.methods):
                before = state(p)
                response = (
                    getattr(client, method)(fill(route, values), {}, content_type="application/json")
                    if route.api
                    else getattr(client, method)(fill(route, values), {})
                )
                checked += 1
                if route.api and username is None:
                    assert response.status_code == 401, (route.name, method)
                else:
                    assert response.status_code == 403, (route.name, method, response.status_code)
                    if not route.api:
                        assert "CSRF" in response.content.decode(), route.name
                assert state(p) == before, route.name
    print(f"CSRF: {checked} state-changing requests refused")


def test_the_api_with_a_token_needs_no_csrf_but_with_a_session_it_does(w):
    from rest_framework.authtoken.models import Token

    p = drive(w, complete_proposal(w), "lodge")
    task = Task.objects.get(proposal=p, completed_at__isnull=True)
    session = client_for(w, "district", enforce_csrf_checks=True)
    assert session.post(f"/api/tasks/{task.pk}/claim/").status_code == 403
    token = Token.objects.create(user=w.user("district"))
    tokened = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert tokened.post(f"/api/tasks/{task.pk}/claim/").status_code == 200


# --- headers and cookies --------------------------------------------------------------------------------------


def test_security_headers_on_pages(w):
    response = client_for(w, "appraiser").get(reverse("proposals:index"))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = dict((d.split(" ", 1) + [""])[:2] for d in csp.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"].startswith("'self'") and "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in csp
    assert (
        directives["object-src"],
        directives["frame-ancestors"],
        directives["base-uri"],
        directives["form-action"],
    ) == ("'none'", "'none'", "'self'", "'self'")
    assert not re.search(r"https?://", csp), "nothing from other origins"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    # Everything the viewflow shell loads comes from our own static files.
    html = response.content.decode()
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets


def test_every_inline_script_of_our_templates_is_allowed_by_its_hash(w):
    """The portal's dossier editor has an inline script: the page's script hash is in the policy."""
    p = complete_proposal(w)
    response = client_for(w, "applicant").get(reverse("portal:edit", args=[p.pk]))
    assert response.status_code == 200
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", response.content.decode(), re.DOTALL)
    assert scripts, "the editor's live totals script"
    allowed = inline_script_hashes()
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed
        assert f"'sha256-{digest}'" in response["Content-Security-Policy"]
    assert content_security_policy() == response["Content-Security-Policy"]


def test_swagger_ui_loads_no_inline_script(w):
    response = client_for(w, "appraiser").get("/api/docs/")
    assert response.status_code == 200
    assert not re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())


PROD_PROBE = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
r = Client().get("/accounts/login/", secure=True, HTTP_HOST="khuyencong.example.gov.vn")
c = r.cookies["csrftoken"]
print(json.dumps({
  "status": r.status_code,
  "session": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY, settings.SESSION_COOKIE_SAMESITE],
  "csrf_cookie": [bool(c["secure"]), bool(c["httponly"]), c["samesite"]],
  "hsts": r.headers.get("Strict-Transport-Security"), "csp": r.headers.get("Content-Security-Policy"),
  "redirect": Client().get("/accounts/login/", HTTP_HOST="khuyencong.example.gov.vn").status_code,
}))
"""


def test_production_settings_secure_cookies_hsts_and_https(tmp_path):
    import json

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "k" * 30 + "x9Q!" * 10,
        "ALLOWED_HOSTS": "khuyencong.example.gov.vn",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROD_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["status"] == 200
    assert out["session"] == [True, True, "Lax"]
    assert out["csrf_cookie"] == [True, True, "Lax"]
    assert out["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "upgrade-insecure-requests" in out["csp"]
    assert out["redirect"] == 301  # plain HTTP is sent to HTTPS


# --- login throttling -----------------------------------------------------------------------------------------


def _login(client, username, password):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="203.0.113.7"
    )


def test_five_failures_lock_the_account_for_that_address_until_the_cool_off(w, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "appraiser", "wrong-password").status_code == 200
    locked = _login(client, "appraiser", "wrong-password")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Tạm khóa đăng nhập" in page and "nhập sai mật khẩu 5 lần liên tiếp" in page
    assert "Khóa tự mở sau 15 phút" in page
    # Even the right password is refused while locked.
    assert _login(client, "appraiser", "x-password-1").status_code == 429
    # Another address is not locked out (the lock is per username and address).
    assert (
        client.post(
            reverse("login"),
            {"username": "appraiser", "password": "x-password-1"},
            REMOTE_ADDR="198.51.100.9",
        ).status_code
        == 302
    )
    # After the cool-off the account opens again by itself.
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert _login(Client(), "appraiser", "x-password-1").status_code == 302


def test_an_administrator_unlocks_at_once(w, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), "finance", "wrong-password")
    assert _login(Client(), "finance", "x-password-1").status_code == 429
    from django.core.management import call_command

    call_command("axes_reset_username", "finance")
    assert _login(Client(), "finance", "x-password-1").status_code == 302
    assert not AccessAttempt.objects.filter(username="finance").exists()


def test_the_api_token_endpoint_is_throttled_too(w, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            "/api/auth/token/", {"username": "finance", "password": "nope"}, REMOTE_ADDR="203.0.113.8"
        )
    response = Client().post(
        "/api/auth/token/", {"username": "finance", "password": "x-password-1"}, REMOTE_ADDR="203.0.113.8"
    )
    # The locked account gets no token, even with the right password (axes refuses before the password check).
    assert response.status_code in (400, 403, 429)
    assert "token" not in response.json()


@pytest.mark.parametrize("password", ["short1", "1234567890123", "password123", "appraiser2026x"])
def test_weak_passwords_are_refused(w, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=w.user("appraiser"))


def test_a_strong_password_passes(w):
    validate_password("Máy tách vỏ lụa 500kg/giờ", user=w.user("appraiser"))


# --- private downloads ----------------------------------------------------------------------------------------


def test_downloads_are_attachments_for_allowed_users_only(w):
    p = drive(w, complete_proposal(w), "lodge")
    attachment = p.attachments.first()
    assert "/" in attachment.file.name and attachment.original_name not in attachment.file.name
    assert re.fullmatch(r"attachments/[0-9a-f]{2}/[0-9a-f]{32}", attachment.file.name)
    for name, url in (
        ("district", reverse("proposals:attachment", args=[attachment.pk])),
        ("applicant", reverse("portal:attachment", args=[attachment.pk])),
    ):
        response = client_for(w, name).get(url)
        assert response.status_code == 200, name
        assert response["Content-Disposition"].startswith("attachment;"), name
        assert attachment.original_name in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    for name, url in (
        ("district_other", reverse("proposals:attachment", args=[attachment.pk])),
        ("applicant_other", reverse("portal:attachment", args=[attachment.pk])),
    ):
        assert client_for(w, name).get(url).status_code in (403, 404), name
    assert Client().get(reverse("proposals:attachment", args=[attachment.pk])).status_code in (403, 404)
    # Each download by staff is an audit row naming the file.
    assert p.events.filter(trigger="download", actor__username="district").count() == 1


def test_appraisal_payload_used_here_is_valid():
    assert APPRAISAL["recommended_amount"] == 280_000_000
