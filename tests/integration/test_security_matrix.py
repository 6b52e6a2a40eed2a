"""The permission matrix: EVERY URL of the site and of the API (walked from the URL conf, so a new view cannot
be forgotten) × every role × a đề án inside and outside the user's unit × every method the view answers.

Rules checked on every cell:
* never a 5xx;
* a đề án the user may not see — outside the user's unit, another applicant organisation's, or any đề án on
  the applicant portal for a staff member: exactly 404 on every URL that names it (or its task or file), GET
  and POST, the same answer (status, redirect, messages) as for an id that does not exist (the API: 404 in its
  error shape) — the đề án's existence is not told; an anonymous visitor is refused before anything is looked
  up (403, or sent to the login page; the API: 401);
* a refused request (3xx/4xx) shows neither the đề án's tracking code nor its title, and changes nothing:
  status, audit rows, tasks, attachments, outbox;
* inside the unit: the people whose page it is see it (200 with the tracking code); a signed-in user refused
  with a 403 on a web page is told why (the page carries the reason, ``data-reason``): a page of another role
  (workflow/apps_shell.py's gate) or an action their role may not take (permissions.can_fire).

Each request runs in a savepoint that is rolled back, so the cells are independent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from core.models import User
from notifications.models import Outbox
from workflow.models import Attachment, Proposal, Task, TransitionEvent
from workflow.permissions import can_view

from .world import build_world, complete_proposal, drive

# --- the URL conf, walked -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    pattern: str  # the full route, e.g. "de-an/<int:pk>/thao-tac/<str:trigger>/"
    name: str
    methods: tuple[str, ...]
    api: bool


def _methods(pattern: URLPattern) -> tuple[str, ...]:
    callback = pattern.callback
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route
        # DRF adds "head" to a route's actions at its first GET: it answers as GET does, so it is not walked.
        return tuple(
            sorted(
                m for m in actions if m != "head" and (m != "put" or "update" not in actions.get("put", ""))
            )
        )
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:  # a function view (i18n set_language)
        return ("get", "post")
    return tuple(m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m))


def walk(patterns=None, prefix: str = "", namespace: str | None = None):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        else:
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            route = prefix + str(p.pattern)
            yield Route(route, name, _methods(p), route.startswith("api/"))


def site_routes() -> list[Route]:
    """Every route except Django's admin (checked separately: it is for superusers only)."""
    return [r for r in walk() if not r.pattern.startswith("admin/")]


# What fills each URL parameter: the đề án, one of its tasks or attachments, a trigger, a tracking code.
# A route with a parameter missing here fails the test, so whoever adds a view has to say what it takes.
PARAMS = {
    ("tasks:claim", "pk"): "task",
    ("tasks:release", "pk"): "task",
    ("tasks:reassign", "pk"): "task",
    ("task-claim", "pk"): "task",
    ("task-release", "pk"): "task",
    ("proposals:attachment", "pk"): "attachment",
    ("portal:attachment", "attachment_pk"): "attachment",
    ("portal:remove_attachment", "attachment_pk"): "attachment",
    ("proposals:action", "trigger"): "trigger",
    ("proposal-fire", "trigger"): "trigger",
    ("tasks:batch", "trigger"): "trigger",
    ("audit:export", "fmt"): "csv",
    ("api-track", "code"): "code",
    ("password_reset_confirm", "uidb64"): "x",
    ("password_reset_confirm", "token"): "set-password",
    ("signup_activate", "uidb64"): "x",
    ("signup_activate", "token"): "y",
}
PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def fill(route: Route, values: dict[str, object]) -> str:
    def one(match):
        name = match.group(1) or match.group(2)
        kind = PARAMS.get((route.name, name), "proposal" if name == "pk" else None)
        assert kind is not None, f"{route.name} ({route.pattern}): say in PARAMS what fills <{name}>"
        return str(values.get(kind, kind))

    path = PARAM.sub(one, route.pattern).replace("^", "").replace("$", "")
    return "/" + path


def bound_to_proposal(route: Route) -> bool:
    return bool(PARAM.search(route.pattern)) and route.name not in {
        "password_reset_confirm",
        "signup_activate",
        "api-track",
        "audit:export",
        "tasks:batch",
    }


# --- the people and the đề án ---------------------------------------------------------------------------------

STAFF = ["district_officer", "appraiser", "department_head", "finance_officer", "approver", "auditor"]
# role → (user inside the đề án's unit, user outside it)
PEOPLE = {
    "applicant": ("applicant", "applicant_other"),
    "district_officer": ("district", "district_other"),
    "appraiser": ("appraiser", "appraiser_other"),
    "department_head": ("head", "head_other"),
    "finance_officer": ("finance", "finance_other"),
    "approver": ("approver", "approver_other"),
    "auditor": ("auditor", "auditor_other"),
}

# Whose page is it (inside the unit, GET → 200 with the tracking code).
OWNERS = {
    "proposals:detail": set(STAFF),
    "proposals:attachment": set(STAFF),
    "proposal_diff": set(STAFF) | {"applicant"},
    "audit:timeline": {"auditor"},
    "portal:detail": {"applicant"},
    "portal:receipt": {"applicant"},
    "portal:attachment": {"applicant"},
    "proposal-detail": set(STAFF) | {"applicant"},
    "proposal-history": set(STAFF) | {"applicant"},
    "proposal-transitions": set(STAFF) | {"applicant"},
}


@pytest.fixture
def scene(db):
    w = build_world()
    for username, role, unit in (
        ("head_other", "department_head", w.other_province),
        ("auditor_other", "auditor", w.other_province),
    ):
        u = User.objects.create_user(
            username=username, password="x-password-1", unit=unit, first_name=username
        )
        u.groups.add(Group.objects.get(name=role))
    User.objects.create_superuser(username="root", password="x-password-1", email="root@example.vn")
    p = drive(w, complete_proposal(w, title="Đề án bí mật máy sấy điều 7Q"), "appraise")  # finance's turn
    return w, p


def snapshot(p: Proposal) -> tuple:
    p.refresh_from_db()
    return (
        p.status,
        p.updated_at,
        p.recommended_amount,
        p.verified_amount,
        p.approved_amount,
        TransitionEvent.objects.filter(proposal=p, kind="transition").count(),
        list(Task.objects.filter(proposal=p).order_by("id").values_list("id", "assignee_id", "completed_at")),
        Attachment.objects.filter(proposal=p).count(),
        Outbox.objects.count(),
    )


def post_payload(route: Route, p: Proposal) -> dict:
    """A well-formed request, so the permission check (not the form validation) decides."""
    if route.name in ("proposals:action", "proposal-fire"):
        data = {"national_amount": 0, "local_amount": 280_000_000}
        if route.api:
            return {"data": data, "expected_status": p.status}
        return {"expected_status": p.status, **data}
    if route.name == "tasks:batch":
        return {"proposal": [p.pk], f"national_{p.pk}": "0", f"local_{p.pk}": "280000000"}
    if route.name == "proposal-detail":
        return {"title": "Đổi tên trái phép"}
    return {}


def request(client: Client, route: Route, method: str, path: str, p: Proposal):
    if route.api:
        return getattr(client, method)(
            path,
            post_payload(route, p) if method != "get" else None,
            content_type="application/json" if method != "get" else None,
        )
    if method == "get":
        return client.get(path)
    return client.post(path, post_payload(route, p))


def cells(scene):
    w, p = scene
    task = Task.objects.get(proposal=p, completed_at__isnull=True)
    values = {
        "proposal": p.pk,
        "task": task.pk,
        "attachment": p.attachments.first().pk,
        "trigger": "verify_finance",
        "code": p.tracking_code,
    }
    people = [
        (role, scope, username)
        for role, pair in PEOPLE.items()
        for scope, username in zip(("in", "out"), pair, strict=True)
    ]
    people += [("anonymous", "none", None), ("superuser", "in", "root")]
    for route in site_routes():
        path = fill(route, values)
        for method in route.methods:
            for role, scope, username in people:
                yield route, method, path, role, scope, username


def run_cell(p: Proposal, route, method, path, username):
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    with transaction.atomic():
        before = snapshot(p)
        response = request(client, route, method, path, p)
        after = snapshot(p)
        body = b"" if getattr(response, "streaming", False) else response.content
        notes = (
            [str(m) for m in get_messages(response.wsgi_request)] if hasattr(response, "wsgi_request") else []
        )
        transaction.set_rollback(True)
    return response, body, notes, before, after


def outsider(route: Route, role: str, scope: str) -> bool:
    """May the user not see the đề án the route names: outside the unit, or a staff member on the portal."""
    if not bound_to_proposal(route) or role == "anonymous":
        return False
    return scope == "out" or (route.name.startswith("portal:") and role != "applicant")


def answer(response, notes) -> tuple:
    """What a client learns from a refusal: the status, where it is sent, the message it will see."""
    return (response.status_code, response.get("Location", ""), tuple(notes))


def expected_problem(route, method, role, scope, cell, unknown, p, may_view) -> str | None:
    """``cell``: the response for the đề án; ``unknown``: the same request for an id that does not exist."""
    response, body, notes, before, after = cell
    status = response.status_code
    text = body.decode("utf-8", "replace")
    if status >= 500:
        return f"{status}"
    if not may_view and (p.tracking_code in text or p.title in text):
        return f"{status} shows a đề án the user may not see"
    if before != after and (status >= 400 or (route.name, role) not in ALLOWED_CHANGES):
        return f"{status} and changed data"
    if role == "anonymous":
        if route.name in PUBLIC:
            return None
        login = status == 302 and response["Location"].startswith("/accounts/login/")
        if not (login or status in ((401,) if route.api else (403, 404))):
            return f"anonymous got {status}"
        return None
    if outsider(route, role, scope):
        if status in (200, 201) or (status == 302 and before != after):
            return f"outside the unit got {status}"
        if unknown is not None and answer(response, notes) != answer(unknown[0], unknown[2]):
            return (
                f"outside the unit answers {answer(response, notes)}, a missing id "
                f"{answer(unknown[0], unknown[2])}: tells that the đề án exists"
            )
        if status != 404:
            return f"outside the unit got {status} (want 404)"
    if status == 403 and not route.api and b"data-reason" not in body:
        return "403 without its reason"
    if scope == "in" and method == "get" and role in OWNERS.get(route.name, ()):
        if status != 200:
            return f"owner got {status}"
        if route.name in SHOWS_CODE and p.tracking_code not in text:
            return "owner's page does not show the đề án"
    if scope == "in" and method != "get" and may_view and status == 403 and route.name in ACTIONS:
        return None  # inside, but the role may not: 403 with the reason, nothing changed (checked above)
    return None


PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "set_language",
    "api-token",
    "api-track",
    "api-schema",
    "api-docs",
    "public_lookup",
    "public_lookup_json",
    "signup",
    "signup_activate",
    "index",
    "api-not-found",  # any other path under /api/: a 404 in the API's error shape, signed in or not
}
SHOWS_CODE = {
    "proposals:detail",
    "proposal_diff",
    "audit:timeline",
    "portal:detail",
    "portal:receipt",
    "proposal-detail",
}
ACTIONS = {"proposals:action", "proposal-fire", "tasks:claim", "task-claim", "tasks:release", "task-release"}
# The changes the scene allows: finance verifies the appraised đề án (the web action, the API, the batch) or
# claims its task; the superuser may too. Downloads write an audit row but change nothing of the đề án.
ALLOWED_CHANGES = {
    (name, role)
    for name in ("proposals:action", "proposal-fire", "tasks:batch", "tasks:claim", "task-claim")
    for role in ("finance_officer", "superuser")
}


def test_the_url_conf_is_fully_described():
    """Every route's parameters are known (a new view with a new parameter must be added to PARAMS)."""
    routes = site_routes()
    assert len(routes) >= 50
    for route in routes:
        fill(route, {"proposal": 1, "task": 2, "attachment": 3, "trigger": "approve", "code": "KC"})
    names = {r.name for r in routes}
    assert {"proposals:detail", "proposals:action", "portal:edit", "proposal-fire", "task-claim"} <= names
    assert all(r.methods for r in routes)


@pytest.mark.slow
def test_every_url_every_role_inside_and_outside(scene):
    w, p = scene
    problems, count = [], 0
    missing = {
        "proposal": 999_999,
        "task": 999_999,
        "attachment": 999_999,
        "trigger": "verify_finance",
        "code": "KC2026-999999",
    }
    for route, method, path, role, scope, username in cells(scene):
        cell = run_cell(p, route, method, path, username)
        unknown = None
        if outsider(route, role, scope):
            unknown = run_cell(p, route, method, fill(route, missing), username)
        user = User.objects.get(username=username) if username else None
        may_view = bool(user and can_view(user, p))
        count += 1 + (unknown is not None)
        problem = expected_problem(route, method, role, scope, cell, unknown, p, may_view)
        if problem:
            problems.append(f"{method.upper()} {path} [{route.name}] as {role}/{scope}: {problem}")
    print(f"permission matrix: {count} requests over {len(site_routes())} routes")
    assert not problems, "\n".join(problems)


def test_admin_is_for_superusers_only(scene):
    """Every admin page: staff and applicants (is_staff off) are sent to the admin login, never shown data."""
    w, p = scene
    routes = [
        r
        for r in walk()
        if r.pattern.startswith("admin/")
        and "(?P<url>" not in r.pattern
        and r.name not in ("admin:login", "admin:logout")
    ]
    assert len(routes) > 20
    for username in ("applicant", "appraiser", "approver", "auditor"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for route in routes:
            path = (
                PARAM.sub(
                    lambda m: (
                        str(p.pk) if (m.group(1) or m.group(2)) in ("object_id", "pk", "id") else "workflow"
                    ),
                    route.pattern,
                )
                .replace("^", "")
                .replace("$", "")
            )
            response = client.get("/" + path)
            assert response.status_code in (302, 404), (path, username, response.status_code)
            assert p.tracking_code not in response.content.decode()
