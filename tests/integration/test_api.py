"""The REST API: every endpoint × role × in-scope / out-of-scope, mass assignment, one error shape."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from workflow.models import Proposal, TransitionEvent

from .world import APPRAISAL, T0, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    cache.clear()
    return build_world()


def api(w, name=None):
    client = APIClient()
    if name:
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=w.user(name))[0].key}"
        )
    return client


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_token_from_username_and_password(w):
    response = APIClient().post("/api/auth/token/", {"username": "district", "password": "x-password-1"})
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user__username="district").key
    assert_error(
        APIClient().post("/api/auth/token/", {"username": "district", "password": "wrong"}), 400, "invalid"
    )


def test_unauthenticated_is_401_with_the_error_shape(w):
    assert_error(APIClient().get("/api/proposals/"), 401, "not_authenticated")


@pytest.mark.parametrize(
    "who,sees",
    [
        ("applicant", True),
        ("applicant_other", False),
        ("district", True),
        ("district_other", False),
        ("appraiser", True),
        ("appraiser_other", False),
        ("finance", True),
        ("approver", True),
        ("auditor", True),
    ],
)
def test_list_and_detail_show_only_what_the_user_may_see(w, who, sees):
    p = drive(w, complete_proposal(w), "lodge")
    client = api(w, who)
    ids = [row["id"] for row in client.get("/api/proposals/").json()["results"]]
    assert ids == ([p.pk] if sees else [])
    response = client.get(f"/api/proposals/{p.pk}/")
    if sees:
        assert response.json()["tracking_code"] == p.tracking_code
        assert response.json()["budget_lines"][0]["local_amount"] == 300_000_000
        assert client.get(f"/api/proposals/{p.pk}/history/").json()[-1]["trigger"] == "lodge"
    else:
        assert_error(response, 404, "not_found")
        assert_error(client.get(f"/api/proposals/{p.pk}/history/"), 404, "not_found")


def test_filters(w):
    drive(w, complete_proposal(w), "lodge")
    complete_proposal(w, title="Nháp")
    client = api(w, "applicant")
    assert len(client.get("/api/proposals/?status=drafted").json()["results"]) == 1
    assert len(client.get("/api/proposals/?year=2026&content_type=machinery").json()["results"]) == 2
    assert len(client.get("/api/proposals/?year=2027").json()["results"]) == 0
    assert len(client.get(f"/api/proposals/?unit={w.district.pk}").json()["results"]) == 2


def test_applicant_creates_a_draft_and_staff_cannot(w):
    body = {
        "title": "Đào tạo nghề đan lát",
        "plan_year": 2027,
        "funding_kind": "local",
        "content_type": "training",
        "sector": "dd",
        "province": w.province.pk,
        "district": w.district.pk,
    }
    response = api(w, "applicant").post("/api/proposals/", body, format="json")
    assert response.status_code == 201, response.content
    created = Proposal.objects.get(pk=response.json()["id"])
    assert (created.status, created.implementing_org, created.tracking_code) == (
        "drafted",
        w.org,
        f"KC2027-{created.pk:06d}",
    )
    assert_error(api(w, "district").post("/api/proposals/", body, format="json"), 403, "not_permitted")
    assert_error(
        api(w, "applicant").post("/api/proposals/", {**body, "plan_year": "x"}, format="json"), 400, "invalid"
    )


def test_mass_assignment_is_refused_and_changes_nothing(w):
    p = complete_proposal(w)
    client = api(w, "applicant")
    for field, value in [
        ("status", "approved"),
        ("approved_amount", 1),
        ("tracking_code", "X"),
        ("implementing_org", w.other_org.pk),
        ("revision_round", 9),
        ("advanced_amount", 5),
    ]:
        error = assert_error(
            client.patch(f"/api/proposals/{p.pk}/", {field: value}, format="json"), 400, "invalid"
        )
        assert field in error["fields"]
    p.refresh_from_db()
    assert (p.status, p.approved_amount, p.implementing_org_id, p.revision_round) == (
        "drafted",
        None,
        w.org.pk,
        0,
    )
    response = client.patch(f"/api/proposals/{p.pk}/", {"objectives": "Tăng năng suất 40 %"}, format="json")
    assert response.status_code == 200
    assert TransitionEvent.objects.filter(proposal=p, trigger="edit").get().data == {"fields": ["objectives"]}


def test_patch_rules(w):
    p = complete_proposal(w)
    assert_error(
        api(w, "applicant_other").patch(f"/api/proposals/{p.pk}/", {"need": "x"}, format="json"),
        404,
        "not_found",
    )
    drive(w, p, "lodge")
    assert_error(
        api(w, "district").patch(f"/api/proposals/{p.pk}/", {"need": "x"}, format="json"),
        403,
        "not_permitted",
    )
    assert_error(
        api(w, "applicant").patch(f"/api/proposals/{p.pk}/", {"need": "x"}, format="json"),
        409,
        "not_allowed_from_status",
    )
    assert api(w, "applicant").put(f"/api/proposals/{p.pk}/", {}, format="json").status_code == 405


def test_transitions_list_and_fire(w):
    p = drive(w, complete_proposal(w), "lodge")
    names = [t["name"] for t in api(w, "district").get(f"/api/proposals/{p.pk}/transitions/").json()]
    assert names == ["district_submit", "return_for_revision", "reject"]
    assert api(w, "appraiser").get(f"/api/proposals/{p.pk}/transitions/").json() == []
    url = f"/api/proposals/{p.pk}/transitions/district_submit/"
    error = assert_error(api(w, "district").post(url, {}, format="json"), 400, "guard_failed")
    assert any("ý kiến đề xuất" in problem for problem in error["problems"])
    assert_error(api(w, "appraiser").post(url, {"comment": "x"}, format="json"), 403, "not_permitted")
    assert_error(api(w, "district_other").post(url, {"comment": "x"}, format="json"), 404, "not_found")
    response = api(w, "district").post(
        url, {"comment": "Đề nghị hỗ trợ", "expected_status": "lodged"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["from_status"], response.json()["to_status"]) == ("lodged", "district_submitted")
    assert_error(
        api(w, "district").post(url, {"comment": "lần hai"}, format="json"), 409, "not_allowed_from_status"
    )
    assert_error(
        api(w, "appraiser").post(f"/api/proposals/{p.pk}/transitions/nonsense/", {}, format="json"),
        404,
        "not_found",
    )
    response = api(w, "appraiser").post(
        f"/api/proposals/{p.pk}/transitions/appraise/", {"data": APPRAISAL}, format="json"
    )
    assert response.json()["data"]["recommended_amount"] == 280_000_000


def test_tasks_boxes_claim_release(w):
    p = drive(w, complete_proposal(w), "lodge")
    task = p.tasks.get()
    assert [t["id"] for t in api(w, "district").get("/api/tasks/?box=queue").json()["results"]] == [task.pk]
    assert api(w, "district_other").get("/api/tasks/?box=queue").json()["results"] == []
    assert_error(api(w, "district").get("/api/tasks/?box=nonsense"), 400, "invalid")
    assert_error(api(w, "district_other").post(f"/api/tasks/{task.pk}/claim/"), 404, "not_found")
    assert api(w, "district").post(f"/api/tasks/{task.pk}/claim/").json()["assignee"] == w.user("district").pk
    assert_error(api(w, "district2").post(f"/api/tasks/{task.pk}/claim/"), 409, "conflict")
    assert [t["id"] for t in api(w, "district").get("/api/tasks/?box=inbox").json()["results"]] == [task.pk]
    assert api(w, "district").post(f"/api/tasks/{task.pk}/release/").json()["assignee"] is None
    fire(p)
    assert [t["id"] for t in api(w, "district").get("/api/tasks/?box=archive").json()["results"]] == [task.pk]


def fire(p):
    from workflow.services.transitions import fire as service_fire

    from .world import at

    service_fire(
        p.pk,
        "district_submit",
        actor=p.tasks.get().unit.staff.get(username="district"),
        now=at(3),
        comment="ok",
    )


def test_public_track_and_its_rate_limit(w):
    p = complete_proposal(w)
    from workflow.services.transitions import fire as service_fire

    pin = service_fire(p.pk, "lodge", actor=w.user("applicant"), now=T0).receipt_pin
    response = APIClient().get(f"/api/track/{p.tracking_code}/?pin={pin}")
    assert response.status_code == 200
    assert response.json()["tracking_code"] == p.tracking_code
    assert "300" not in response.content.decode()  # no amounts in public
    codes = [APIClient().get(f"/api/track/{p.tracking_code}/?pin=000000").status_code for _ in range(12)]
    assert codes[0] == 404
    assert 429 in codes


def test_schema_and_docs(w):
    assert APIClient().get("/api/schema/").status_code in (200, 401)
    client = api(w, "district")
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
