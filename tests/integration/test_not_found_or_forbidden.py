"""403 or 404, consistently (tracker issue 22, item 5).

* A đề án the user may not see (another organisation's, another unit's, a staff member on the applicant portal):
  every page and action that names it — or one of its tasks or files — answers 404, with exactly the body of
  the same request for an id that does not exist, and writes nothing.
* A đề án the user may see but not act on: 403 (or the service's 409 for a step the current status does not
  allow) with the reason in Vietnamese on the page, and nothing written.

"Nothing written": the đề án's row (status, updated_at, amounts), its tasks and files, the outbox, the number of
audit rows (downloads and claims are audit rows too) and the đề án's hash chain, which still verifies.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from core.models import User
from notifications.models import Outbox
from workflow.models import Attachment, Proposal, Task, TransitionEvent
from workflow.permissions import can_fire
from workflow.services.audit import verify_chains

from .world import build_world, complete_proposal, drive

MISSING = 999_999


@pytest.fixture
def scene(db):
    w = build_world()
    for username, role, unit in (
        ("head_other", "department_head", w.other_province),
        ("auditor_other", "auditor", w.other_province),
    ):
        User.objects.create_user(username=username, password="x-password-1", unit=unit).groups.add(
            Group.objects.get(name=role)
        )
    p = drive(w, complete_proposal(w, title="Đề án kín máy sấy điều 5K"), "appraise")  # finance's turn
    task = Task.objects.get(proposal=p, completed_at__isnull=True)
    return w, p, task, p.attachments.first()


def snapshot(p: Proposal) -> tuple:
    p.refresh_from_db()
    return (
        p.status,
        p.updated_at,
        p.recommended_amount,
        p.verified_amount,
        p.approved_amount,
        TransitionEvent.objects.count(),
        list(TransitionEvent.objects.filter(proposal=p).order_by("seq").values_list("seq", "hash")),
        list(Task.objects.filter(proposal=p).order_by("id").values_list("id", "assignee_id", "completed_at")),
        list(Attachment.objects.filter(proposal=p).order_by("id").values_list("id", "sha256")),
        Outbox.objects.count(),
    )


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


# --- a đề án the user may not see: 404, as for an id that does not exist --------------------------------------

STAFF_OUTSIDERS = [
    "applicant_other",
    "district_other",
    "appraiser_other",
    "finance_other",
    "approver_other",
    "head_other",
    "auditor_other",
]
# On the portal every staff member is an outsider, whether or not the đề án is in their unit.
PORTAL_OUTSIDERS = [
    "applicant_other",
    "district",
    "district_other",
    "appraiser",
    "finance",
    "head",
    "approver",
    "auditor",
    "auditor_other",
]
VERIFY = {"expected_status": "appraised", "national_amount": "0", "local_amount": "280000000"}
PROGRESS = {"period": "2026-03-01", "percent_complete": "40", "summary": "Đã lắp đặt máy"}

# (method, URL with {p} {task} {att} for the đề án's ids, the form posted, who is outside)
ROUTES = {
    "proposals:detail": ("get", "/de-an/{p}/", None, STAFF_OUTSIDERS),
    "proposals:action GET": ("get", "/de-an/{p}/thao-tac/verify_finance/", None, STAFF_OUTSIDERS),
    "proposals:action POST": ("post", "/de-an/{p}/thao-tac/verify_finance/", VERIFY, STAFF_OUTSIDERS),
    "proposals:attachment": ("get", "/de-an/tai-lieu/{att}/", None, STAFF_OUTSIDERS),
    "tasks:claim": ("post", "/cong-viec/{task}/nhan/", {}, STAFF_OUTSIDERS),
    "tasks:release": ("post", "/cong-viec/{task}/tra-lai/", {}, STAFF_OUTSIDERS),
    "tasks:reassign GET": ("get", "/cong-viec/{task}/giao-lai/", None, STAFF_OUTSIDERS),
    "tasks:reassign POST": ("post", "/cong-viec/{task}/giao-lai/", {"assignee": "1"}, STAFF_OUTSIDERS),
    "audit:timeline": ("get", "/kiem-tra/de-an/{p}/", None, STAFF_OUTSIDERS),
    "portal:detail": ("get", "/don-vi/{p}/", None, PORTAL_OUTSIDERS),
    "portal:edit GET": ("get", "/don-vi/{p}/soan-thao/", None, PORTAL_OUTSIDERS),
    "portal:edit POST": ("post", "/don-vi/{p}/soan-thao/", {"title": "Đổi tên"}, PORTAL_OUTSIDERS),
    "portal:upload": ("post", "/don-vi/{p}/tai-lieu/", {"kind": "quote"}, PORTAL_OUTSIDERS),
    "portal:remove_attachment": ("post", "/don-vi/{p}/tai-lieu/{att}/xoa/", {}, PORTAL_OUTSIDERS),
    "portal:attachment": ("get", "/don-vi/tai-lieu/{att}/", None, PORTAL_OUTSIDERS),
    "portal:receipt": ("get", "/don-vi/{p}/bien-nhan/", None, PORTAL_OUTSIDERS),
    "portal:withdraw": ("post", "/don-vi/{p}/rut-ho-so/", {"expected_status": "appraised"}, PORTAL_OUTSIDERS),
    "portal:progress_report GET": ("get", "/don-vi/{p}/bao-cao-tien-do/", None, PORTAL_OUTSIDERS),
    "portal:progress_report POST": ("post", "/don-vi/{p}/bao-cao-tien-do/", PROGRESS, PORTAL_OUTSIDERS),
    "portal:advance": ("post", "/don-vi/{p}/tam-ung/", {"amount": "1000000"}, PORTAL_OUTSIDERS),
    "portal:completion": ("get", "/don-vi/{p}/bao-cao-hoan-thanh/", None, PORTAL_OUTSIDERS),
    "portal:settlement": ("post", "/don-vi/{p}/quyet-toan/", {}, PORTAL_OUTSIDERS),
}


def send(client: Client, method: str, url: str, data):
    response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, response.get("Location", ""), body.decode("utf-8", "replace")


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_proposal_the_user_may_not_see_is_a_404_like_a_missing_one(scene, route):
    w, p, task, attachment = scene
    method, template, data, outsiders = ROUTES[route]
    url = template.format(p=p.pk, task=task.pk, att=attachment.pk)
    missing = template.format(p=MISSING, task=MISSING, att=MISSING)
    problems = []
    for username in outsiders:
        client = client_for(username)
        before = snapshot(p)
        status, location, body = send(client, method, url, data)
        after = snapshot(p)
        unknown = send(client, method, missing, data)
        if status != 404:
            problems.append(f"{username}: {status} {location} (want 404)")
        elif (status, location, body.replace(url, "<url>")) != (
            unknown[0],
            unknown[1],
            unknown[2].replace(missing, "<url>"),
        ):
            problems.append(f"{username}: the answer differs from the one for a missing id")
        if p.tracking_code in body or p.title in body:
            problems.append(f"{username}: the page shows the đề án")
        if before != after:
            problems.append(f"{username}: something was written")
    assert verify_chains(proposal_id=p.pk).ok
    assert not problems, f"{method.upper()} {url}:\n" + "\n".join(problems)


# --- a đề án the user may see but not act on: 403 (or 409) with the reason ------------------------------------


def refused(response, status: int, reason: str) -> list[str]:
    html = response.content.decode()
    problems = []
    if response.status_code != status:
        problems.append(f"{response.status_code} (want {status})")
    if reason not in html:
        problems.append(f"the reason “{reason}” is not on the page")
    return problems


def reason_of(username: str, p: Proposal, trigger: str) -> str:
    task = Task.objects.filter(proposal=p, completed_at__isnull=True).first()
    decision = can_fire(User.objects.get(username=username), p, trigger, task=task, now=timezone.now())
    assert not decision
    return decision.reason


@pytest.mark.parametrize("username", ["district", "appraiser", "approver", "auditor", "head"])
@pytest.mark.parametrize("method", ["get", "post", "post an empty form"])
def test_an_action_not_theirs_on_a_visible_proposal_is_a_403_with_the_reason(scene, username, method):
    """Finance's step, asked for by another staff role of the unit: refused with can_fire's reason, before
    the form is read (an empty form is not a 400 for someone who may not act at all)."""
    w, p, task, attachment = scene
    url = f"/de-an/{p.pk}/thao-tac/verify_finance/"
    client = client_for(username)
    before = snapshot(p)
    if method == "get":
        response = client.get(url)
    elif method == "post":
        response = client.post(url, VERIFY)
    else:
        response = client.post(url, {"expected_status": "appraised"})
    assert refused(response, 403, reason_of(username, p, "verify_finance")) == []
    assert snapshot(p) == before
    assert verify_chains(proposal_id=p.pk).ok


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_applicant_acting_on_their_own_proposal_on_the_staff_page_gets_403_with_the_reason(scene, method):
    w, p, task, attachment = scene
    client = client_for("applicant")
    before = snapshot(p)
    url = f"/de-an/{p.pk}/thao-tac/verify_finance/"
    response = client.get(url) if method == "get" else client.post(url, VERIFY)
    reason = reason_of("applicant", p, "verify_finance")
    assert reason == "Vai trò của bạn không được thực hiện thao tác “Thẩm tra kinh phí”."
    assert refused(response, 403, reason) == []
    assert snapshot(p) == before
    assert verify_chains(proposal_id=p.pk).ok


def test_an_applicant_s_own_trigger_on_the_staff_page_is_sent_to_the_portal(scene):
    """Withdrawing is the applicant's, but not from the staff page: 403, the reason says where; nothing written."""
    w, _p, _task, _attachment = scene
    draft = complete_proposal(w)
    client = client_for("applicant")
    before = snapshot(draft)
    response = client.post(f"/de-an/{draft.pk}/thao-tac/withdraw/", {"expected_status": "drafted"})
    assert (
        refused(
            response,
            403,
            "Đơn vị đề nghị thực hiện thao tác này trên trang hồ sơ của mình (Cổng đơn vị đề nghị).",
        )
        == []
    )
    assert snapshot(draft) == before


STAFF_ONLY = "Trang này chỉ dành cho cán bộ xử lý đề án; tài khoản của bạn không có vai trò cán bộ."


@pytest.mark.parametrize(
    "username,method,template,status,reason",
    [
        ("applicant", "get", "/de-an/{p}/", 403, STAFF_ONLY),
        ("applicant", "get", "/de-an/tai-lieu/{att}/", 403, STAFF_ONLY),
        ("applicant", "post", "/cong-viec/{task}/nhan/", 403, STAFF_ONLY),
        ("applicant", "get", "/kiem-tra/de-an/{p}/", 403, "Trang này chỉ dành cho thanh tra, kiểm tra."),
        ("finance", "get", "/kiem-tra/de-an/{p}/", 403, "Trang này chỉ dành cho thanh tra, kiểm tra."),
        (
            "district",
            "post",
            "/cong-viec/{task}/nhan/",
            403,
            "Nhiệm vụ không thuộc vai trò hoặc đơn vị của bạn.",
        ),
        (
            "auditor",
            "post",
            "/cong-viec/{task}/nhan/",
            403,
            "Nhiệm vụ không thuộc vai trò hoặc đơn vị của bạn.",
        ),
        (
            "district",
            "post",
            "/cong-viec/{task}/tra-lai/",
            403,
            "Chỉ người đang xử lý hoặc lãnh đạo đơn vị mới trả lại được nhiệm vụ.",
        ),
    ],
)
def test_a_page_or_task_not_for_the_user_s_role_on_a_visible_proposal_is_a_403_with_the_reason(
    scene, username, method, template, status, reason
):
    w, p, task, attachment = scene
    client = client_for(username)
    before = snapshot(p)
    response = getattr(client, method)(template.format(p=p.pk, task=task.pk, att=attachment.pk))
    assert refused(response, status, reason) == []
    assert snapshot(p) == before
    assert verify_chains(proposal_id=p.pk).ok


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_step_the_status_does_not_allow_is_refused_with_the_reason(scene, method):
    """Approving what finance has not verified: the service's answer (409, its reason), on the form page too."""
    w, p, task, attachment = scene
    client = client_for("approver")
    before = snapshot(p)
    url = f"/de-an/{p.pk}/thao-tac/approve/"
    form = {"expected_status": "appraised", "decision_number": "9/QĐ-UBND", "decision_date": "2026-03-20"}
    response = client.get(url) if method == "get" else client.post(url, {**form, "amount": "280000000"})
    assert (
        refused(
            response, 409, "Không thể “Phê duyệt” khi đề án đang ở trạng thái “Sở Công Thương đã thẩm định”."
        )
        == []
    )
    assert snapshot(p) == before
    assert verify_chains(proposal_id=p.pk).ok


def test_the_people_whose_step_it_is_still_get_the_form_and_the_menus(scene):
    w, p, task, attachment = scene
    client = client_for("finance")
    response = client.get(f"/de-an/{p.pk}/thao-tac/verify_finance/")
    html = response.content.decode()
    assert response.status_code == 200 and 'name="national_amount"' in html
    assert response.wsgi_request.resolver_match.app.app_name == "proposals"
    assert "Tra cứu đề án" in html  # the application's menu, which viewflow's shell reads from resolver_match
    assert client.get(f"/de-an/{p.pk}/").status_code == 200
    assert client.get(f"/de-an/tai-lieu/{attachment.pk}/").status_code == 200
    assert client_for("auditor").get(f"/kiem-tra/de-an/{p.pk}/").status_code == 200
    assert client_for("applicant").get(f"/don-vi/tai-lieu/{attachment.pk}/").status_code == 200
    assert client_for("applicant").get(f"/don-vi/{p.pk}/").status_code == 200
