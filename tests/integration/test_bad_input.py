"""Input PostgreSQL cannot store (NUL, a lone surrogate) is refused with 400 and a Vietnamese message before any
view runs — on every route of the URL conf, walked so that a new view cannot be forgotten — and nothing is
written. A value the database refuses as data is a 400 too, and a database or cache that cannot be reached is a
503 with Retry-After, never a 500."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from core.errors import JSON_PATHS
from core.models import User
from workflow.models import Proposal, TransitionEvent
from workflow.services.audit import verify_chains

from .test_security_matrix import PARAM, fill, walk
from .world import build_world, complete_proposal, drive

REFUSED = "chứa ký tự không hợp lệ"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scene(db):
    w = build_world()
    User.objects.create_superuser(username="root", password="x-password-1", email="root@example.vn")
    p = drive(w, complete_proposal(w, title="Đề án máy sấy"), "appraise")
    attachment = p.attachments.first()
    task = p.tasks.filter(completed_at__isnull=True).first()
    values = {
        "proposal": p.pk,
        "task": task.pk if task else 1,
        "attachment": attachment.pk if attachment else 1,
        "trigger": "verify_finance",
        "code": p.tracking_code,
    }
    return w, p, values


def fill_any(route, values: dict) -> str:
    """The matrix's filling, and "1" for the admin's parameters it does not describe."""
    if route.pattern.startswith("admin/"):
        return "/" + PARAM.sub("1", route.pattern).replace("^", "").replace("$", "")
    return fill(route, values)


def written(p: Proposal) -> tuple:
    p.refresh_from_db()
    return (
        p.status,
        p.updated_at,
        p.title,
        p.district_id,
        p.commune_id,
        TransitionEvent.objects.count(),
        list(TransitionEvent.objects.filter(proposal=p).values_list("hash", flat=True)),
    )


def assert_refused(response, *, api: bool):
    api = api or response.request["PATH_INFO"].startswith(JSON_PATHS)
    assert response.status_code == 400, (
        response.request["PATH_INFO"],
        response.status_code,
        response.content[:200],
    )
    if api:
        body = response.json()
        assert body["error"]["code"] == "invalid"
        assert REFUSED in body["error"]["message"]
    else:
        assert response["Content-Type"].startswith("text/html")
        assert REFUSED in response.content.decode()


def test_every_route_refuses_a_nul_in_the_query_the_form_or_the_json_body(scene):
    w, p, values = scene
    before = written(p)
    signed_in = Client()
    signed_in.force_login(User.objects.get(username="root"))
    routes = list(walk())
    assert len(routes) > 60  # the whole URL conf, admin included
    sent = 0
    for route in routes:
        path = fill_any(route, values)
        for client in (Client(), signed_in):
            for method in route.methods:
                # In the query string, whatever the method.
                assert_refused(getattr(client, method)(path + "?q=ab%00c"), api=route.api)
                sent += 1
                # In the body: form fields (POST is the only method Django parses), a JSON document (API).
                if route.api and method != "get":
                    body = json.dumps({"title": "Tên\u0000", "comment": "x"})
                    response = getattr(client, method)(path, body, content_type="application/json")
                elif method == "post":
                    response = client.post(path, {"title": "Tên\x00", "comment": "bình thường"})
                else:
                    continue
                assert_refused(response, api=route.api)
                sent += 1
    assert sent > 150
    assert written(p) == before


def test_the_pages_the_tester_named_answer_400_not_500(scene):
    w, p, _values = scene
    before = written(p)
    token = Token.objects.create(user=w.user("appraiser")).key
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.get("/api/proposals/", {"search": "\x00"})
    assert_refused(response, api=True)
    assert "tham số “search”" in response.json()["error"]["message"]

    auditor = Client()
    auditor.force_login(w.user("auditor"))
    for path in ("/kiem-tra/", "/kiem-tra/xuat/csv/", "/kiem-tra/xuat/xlsx/"):
        assert_refused(auditor.get(path, {"code": "KC\x00"}), api=False)
    staff = Client()
    staff.force_login(w.user("appraiser"))
    for path in ("/de-an/", "/cong-viec/hang-cho/"):
        assert_refused(staff.get(path + "?q=%00"), api=False)
    assert written(p) == before


def test_a_lone_surrogate_or_a_nul_in_a_json_body_changes_nothing(scene):
    w, _p, _values = scene
    draft = complete_proposal(w, title="Bản nháp")
    before = written(draft)
    token = Token.objects.create(user=w.user("applicant")).key
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    for body in ('{"title": "Tên \\ud800 lỗi"}', '{"title": "ok", "need": ["\\u0000"]}', '{"a\\u0000": 1}'):
        response = api.patch(f"/api/proposals/{draft.pk}/", body, content_type="application/json")
        assert_refused(response, api=True)
        assert "dữ liệu JSON" in response.json()["error"]["message"]
    assert written(draft) == before


def test_a_nul_in_a_header_or_a_cookie_is_refused_before_the_token_is_looked_up(scene):
    _w, p, _values = scene
    assert_refused(Client(HTTP_AUTHORIZATION="Token abc\x00def").get("/api/proposals/"), api=True)
    client = Client()
    client.cookies["sessionid"] = "abc\x00"
    assert_refused(client.get("/de-an/"), api=False)
    client = Client(HTTP_USER_AGENT="x\x00y")
    assert_refused(client.get(f"/tra-cuu/?code={p.tracking_code}"), api=False)


# The query parameters the views and the API read, and values a tester would try in each.
QUERY_NAMES = (
    "q",
    "code",
    "ma",
    "pin",
    "unit",
    "year",
    "quarter",
    "page",
    "status",
    "from",
    "to",
    "proposal",
    "basis",
    "format",
    "box",
    "content_type",
    "cursor",
    "trigger",
    "actor",
    "kind",
    "role",
    "search",
    "ordering",
    "next",
)
HOSTILE = (
    "²",
    "١٢",
    "9" * 30,
    "-1",
    "-0",
    "1e309",
    "NaN",
    "1.5",
    "2026-13-45",
    "9999-12-31",
    "0001-01-01",
    "31/02/2026",
    "' OR 1=1 --",
    "%",
    "\\",
    "[]",
    "{}",
    " ",
    "a" * 3000,
    "true",
    "\u202e",
    "=1+1",
)


def test_hostile_query_values_on_every_get_route_are_never_a_server_error(scene):
    """Every GET route × every value above in every parameter a view reads: a page, a 3xx or a 4xx, never 5xx."""
    w, p, values = scene
    before = written(p)
    root = Client(raise_request_exception=False)
    root.force_login(User.objects.get(username="root"))
    auditor = Client(raise_request_exception=False)
    auditor.force_login(w.user("auditor"))
    failures = []
    sent = 0
    for route in walk():
        if "get" not in route.methods or route.pattern.startswith("admin/"):
            continue
        path = fill_any(route, values)
        for value in HOSTILE:
            for client in (root, auditor):
                response = client.get(path, dict.fromkeys(QUERY_NAMES, value))
                sent += 1
                if response.status_code >= 500:
                    failures.append((path, value, response.status_code))
    assert sent > 2000
    assert failures == []
    # Reading changes no đề án (downloads and exports are audit rows of their own, and the chains still hold).
    assert written(p)[:5] == before[:5]
    assert verify_chains().ok


def test_a_value_the_database_refuses_as_data_is_a_400_page(db):
    """The handler behind every view: a DataError from PostgreSQL (here a division by zero, the same class as a
    number out of range) becomes a 400 in Vietnamese, as a page or in the API's error shape."""
    from django.db import DataError, connection, transaction
    from django.test import RequestFactory

    from core.errors import server_error

    for path, json_answer in (("/de-an/", False), ("/api/proposals/", True)):
        request = RequestFactory().get(path)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")
        except DataError:
            response = server_error(request)
        assert response.status_code == 400
        if json_answer:
            assert json.loads(response.content)["error"]["code"] == "invalid"
        else:
            assert "Dữ liệu gửi lên không hợp lệ" in response.content.decode()


# --- the services that can be down --------------------------------------------------------------------------

SCRIPT = """
import django, os
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
c = Client(raise_request_exception=False)
for method, path, data, headers in (
    ("get", "/tra-cuu/json/?ma=KC2026-000001&pin=123456", None, {}),
    ("get", "/api/proposals/", None, {"HTTP_AUTHORIZATION": "Token abc"}),
    ("post", "/accounts/login/", {"username": "district", "password": "x"}, {}),
):
    r = getattr(c, method)(path, data, **headers)
    print(path, r.status_code, r.get("Retry-After"), r["Content-Type"], r.content.decode()[:2000].replace("\\n", " "))
"""


def _run_with(env_changes: dict) -> list[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "false", **env_changes}
    env.setdefault("SECRET_KEY", "a-test-secret-key-long-enough-for-production-checks-0123456789")
    env["ALLOWED_HOSTS"] = "testserver"
    env["SECURE_SSL_REDIRECT"] = "false"
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()


def test_postgresql_down_is_a_503_in_vietnamese_with_retry_after():
    lines = _run_with({"DATABASE_URL": "postgres://postgres@127.0.0.1:1/khuyencong", "REDIS_URL": ""})
    assert len(lines) == 3, lines
    for line in lines:
        path, status, retry_after, content_type, body = line.split(" ", 4)
        assert (status, retry_after) == ("503", "30"), line
        assert "tạm gián đoạn" in body, line
        if path.startswith(JSON_PATHS):
            assert content_type == "application/json"
            assert json.loads(body)["error"]["code"] == "unavailable"
        else:
            assert content_type.startswith("text/html")


def test_redis_down_is_never_a_500(django_db_setup):
    from django.conf import settings

    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    lines = _run_with({"DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert len(lines) == 3, lines
    for line in lines:
        path, status, retry_after, _content_type, body = line.split(" ", 4)
        assert status in {"200", "401", "404", "503"}, line
        if status == "503":
            assert retry_after == "30" and "gián đoạn" in body, line
