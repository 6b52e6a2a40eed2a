"""The REST API: every endpoint × role × in-scope / out-of-scope, mass assignment, one error shape."""

import re

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from workflow.models import Proposal, Task, TransitionEvent
from workflow.services.proposals import update_dossier

from .world import APPRAISAL, T0, at, build_world, complete_proposal, drive

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
        assert client.get(f"/api/proposals/{p.pk}/history/").json()["results"][-1]["trigger"] == "lodge"
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


# --- the answers match the schema (tracker issue 22, item 4) ---------------------------------------------------

EVENT_KEYS = {
    "seq",
    "kind",
    "trigger",
    "from_status",
    "to_status",
    "actor",
    "on_behalf_of",
    "role",
    "unit",
    "created_at",
    "comment",
    "data",
    "hash",
    "prev_hash",
}
NO_ADDRESS = "Không có địa chỉ này trong API. Các địa chỉ của API có tại /api/docs/."


def written() -> tuple:
    """Everything a refused request must leave as it was."""
    return (
        list(Proposal.objects.order_by("pk").values_list("pk", "status", "title", "updated_at")),
        list(TransitionEvent.objects.order_by("pk").values_list("pk", "hash")),
        list(Task.objects.order_by("pk").values_list("pk", "assignee_id", "completed_at")),
    )


def openapi(w) -> dict:
    response = api(w, "district").get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_history_is_a_page_of_the_audit_trail_oldest_first(w):
    p = complete_proposal(w)
    for i in range(105):
        update_dossier(p.pk, actor=w.user("applicant"), now=at(1), changes={"objectives": f"Mục tiêu {i}"})
    seqs = list(TransitionEvent.objects.filter(proposal=p).order_by("seq").values_list("seq", flat=True))
    assert 100 < len(seqs) < 200
    client = api(w, "applicant")

    first = client.get(f"/api/proposals/{p.pk}/history/")
    assert first.status_code == 200
    assert set(first.json()) == {"next", "previous", "results"}
    assert first.json()["previous"] is None
    assert [set(row) for row in first.json()["results"]] == [EVENT_KEYS] * 100
    assert [row["seq"] for row in first.json()["results"]] == seqs[:100]

    second = client.get(first.json()["next"]).json()
    assert [row["seq"] for row in second["results"]] == seqs[100:]
    assert second["next"] is None
    back = client.get(second["previous"]).json()
    assert ([row["seq"] for row in back["results"]], back["previous"]) == (seqs[:100], None)

    error = assert_error(client.get(f"/api/proposals/{p.pk}/history/?cursor=bm9wZQ"), 404, "not_found")
    assert error["message"] == "Con trỏ phân trang không hợp lệ."


def test_transitions_is_an_array_of_what_the_user_may_do(w):
    p = drive(w, complete_proposal(w), "lodge")
    body = api(w, "district").get(f"/api/proposals/{p.pk}/transitions/").json()
    assert isinstance(body, list)
    assert [set(row) for row in body] == [{"name", "label", "target", "reason_required"}] * 3
    assert (body[0]["name"], body[0]["target"]) == ("district_submit", "district_submitted")


def test_the_schema_documents_history_as_pages_and_transitions_as_an_array(w):
    schema = openapi(w)
    ok = "#/components/schemas/"
    history = schema["paths"]["/api/proposals/{id}/history/"]["get"]["responses"]["200"]
    assert history["content"]["application/json"]["schema"] == {"$ref": ok + "PaginatedEventList"}
    page = schema["components"]["schemas"]["PaginatedEventList"]
    assert set(page["properties"]) == {"next", "previous", "results"}
    assert page["properties"]["results"]["items"] == {"$ref": ok + "Event"}
    assert set(schema["components"]["schemas"]["Event"]["properties"]) == EVENT_KEYS
    transitions = schema["paths"]["/api/proposals/{id}/transitions/"]["get"]["responses"]["200"]
    assert transitions["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": ok + "Trigger"},
    }


def test_the_schema_lists_the_error_responses_of_every_operation(w):
    schema = openapi(w)
    expected = {
        ("post", "/api/auth/token/"): {400, 401, 403, 406, 415, 429, 503},
        ("get", "/api/proposals/"): {400, 401, 403, 404, 406, 503},
        ("post", "/api/proposals/"): {400, 401, 403, 406, 409, 415, 503},
        ("get", "/api/proposals/{id}/"): {400, 401, 403, 404, 406, 503},
        ("patch", "/api/proposals/{id}/"): {400, 401, 403, 404, 406, 409, 415, 503},
        ("get", "/api/proposals/{id}/history/"): {400, 401, 403, 404, 406, 503},
        ("get", "/api/proposals/{id}/transitions/"): {400, 401, 403, 404, 406, 503},
        ("post", "/api/proposals/{id}/transitions/{trigger}/"): {400, 401, 403, 404, 406, 409, 415, 503},
        ("get", "/api/tasks/"): {400, 401, 403, 404, 406, 503},
        ("post", "/api/tasks/{id}/claim/"): {400, 401, 403, 404, 406, 409, 503},
        ("post", "/api/tasks/{id}/release/"): {400, 401, 403, 404, 406, 409, 503},
        ("get", "/api/track/{code}/"): {400, 404, 406, 429, 503},
    }
    operations = {
        (method, path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert set(operations) == set(expected)
    for key, operation in operations.items():
        responses = operation["responses"]
        errors = {int(code) for code in responses if int(code) >= 400}
        assert errors == expected[key], key
        for code in errors:
            assert responses[str(code)]["content"] == {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
            }, (key, code)
            assert responses[str(code)]["description"]
        if 401 in errors:
            assert "WWW-Authenticate" in responses["401"]["headers"]
        for response in responses.values():  # JSON only: no browsable HTML page
            assert set(response.get("content", {})) <= {"application/json"}, key
    # An edit refuses the fields it does not take (mass assignment): its body says so.
    edit = schema["components"]["schemas"]["PatchedProposalRequest"]
    assert edit["additionalProperties"] is False
    # A title of spaces only is blank once trimmed, and refused: the schema's pattern says so.
    title = edit["properties"]["title"]["pattern"]
    assert not re.search(title, " \u3000\x0b\x1c") and re.search(title, " Máy sấy ")
    error = schema["components"]["schemas"]["ErrorDetail"]
    assert (set(error["properties"]), set(error["required"])) == (
        {"code", "message", "fields", "problems"},
        {"code", "message"},
    )


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete", "options"])
def test_an_address_the_api_does_not_have_is_a_json_404(w, method):
    p = complete_proposal(w)
    before = written()
    client = api(w, "applicant")
    for path in (
        "/api/",
        "/api/nope/",
        "/api/proposals/abc/",
        f"/api/proposals/{p.pk}/nope/",
        f"/api/proposals/{p.pk}/transitions/NOPE/",
        "/api/tasks/%0A/claim/",
    ):
        response = getattr(client, method)(path, {"title": "Đổi tên"}, format="json")
        assert response["Content-Type"] == "application/json", (path, response.content[:100])
        assert assert_error(response, 404, "not_found")["message"] == NO_ADDRESS
        # Like every address of the API, authenticated first: its existence is not told to a visitor.
        assert_error(getattr(APIClient(), method)(path), 401, "not_authenticated")
    # Without the final slash: Django would redirect (or fail on a POST); the API says what is missing.
    error = assert_error(getattr(client, method)(f"/api/proposals/{p.pk}"), 404, "not_found")
    assert error["message"] == "Địa chỉ của API kết thúc bằng dấu “/”: hãy thêm “/” vào cuối địa chỉ."
    # The public lookup takes any code: one holding "/" is a code that does not exist.
    assert_error(APIClient().get("/api/track/KC/1/?pin=123456"), 404, "lookup_failed")
    assert written() == before


def test_a_method_an_address_does_not_take_is_a_json_405(w):
    p = complete_proposal(w)
    before = written()
    client = api(w, "applicant")
    for method, path, allow in (
        ("delete", f"/api/proposals/{p.pk}/", "GET, PATCH, HEAD, OPTIONS"),
        ("put", f"/api/proposals/{p.pk}/", "GET, PATCH, HEAD, OPTIONS"),
        ("delete", "/api/proposals/", "GET, POST, HEAD, OPTIONS"),
        ("post", f"/api/proposals/{p.pk}/history/", "GET, HEAD, OPTIONS"),
        ("get", f"/api/proposals/{p.pk}/transitions/lodge/", "POST, OPTIONS"),
        ("get", "/api/auth/token/", "POST, OPTIONS"),
    ):
        response = getattr(client, method)(path, {"title": "Đổi tên"}, format="json")
        error = assert_error(response, 405, "method_not_allowed")
        assert error["message"] == f"Địa chỉ này không nhận phương thức {method.upper()}."
        assert response["Allow"] == allow
    assert written() == before


def test_the_other_refusals_are_json_in_vietnamese_and_write_nothing(w):
    p = drive(w, complete_proposal(w), "lodge")
    url = f"/api/proposals/{p.pk}/transitions/district_submit/"
    before = written()
    district = api(w, "district")

    response = district.get(f"/api/proposals/{p.pk}/", HTTP_ACCEPT="text/html")  # was the browsable HTML page
    assert assert_error(response, 406, "not_acceptable")["message"] == (
        "API chỉ trả lời bằng application/json; tiêu đề Accept của yêu cầu không nhận kiểu này."
    )
    # A form: refused, not read as an empty body (its comment would have been dropped).
    error = assert_error(district.post(url, {"comment": "Đề nghị hỗ trợ"}), 415, "unsupported_media_type")
    assert error["message"] == "Không nhận nội dung kiểu “multipart/form-data”; hãy gửi application/json."
    error = assert_error(
        district.patch(f"/api/proposals/{p.pk}/", "need=x", content_type="application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    )
    assert "application/x-www-form-urlencoded" in error["message"]
    error = assert_error(
        district.post(url, "{không phải JSON", content_type="application/json"), 400, "invalid"
    )
    assert error["message"] == "Không đọc được nội dung yêu cầu: sai cú pháp. Không có gì được lưu."

    response = APIClient().post(url, {"comment": "x"}, format="json")
    error = assert_error(response, 401, "not_authenticated")
    assert error["message"] == "Chưa xác thực: hãy gửi mã truy cập trong tiêu đề “Authorization: Token …”."
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token không-có")
    error = assert_error(wrong.post(url, {"comment": "x"}, format="json"), 401, "not_authenticated")
    assert error["message"].startswith("Mã truy cập không hợp lệ")

    session = APIClient(enforce_csrf_checks=True)
    session.force_login(w.user("district"))
    error = assert_error(session.post(url, {"comment": "x"}, format="json"), 403, "csrf_failed")
    assert error["message"].startswith("Yêu cầu bị từ chối vì thiếu mã chống giả mạo (CSRF).")
    assert written() == before


def test_list_filters_refuse_a_value_that_cannot_match(w):
    drive(w, complete_proposal(w), "lodge")
    client = api(w, "district")
    for query, field, message in (
        ("year=abc", "year", "Hãy nhập một số nguyên."),
        ("year=", "year", "Hãy nhập một số nguyên."),
        ("year=%C2%B2", "year", "Hãy nhập một số nguyên."),  # "²": str.isdigit says yes, int() says no
        ("year=1999", "year", "Năm kế hoạch phải từ 2000 đến 2100."),
        ("unit=0", "unit", "Mã đơn vị không hợp lệ."),
        ("unit=", "unit", "Hãy nhập một số nguyên."),
        ("unit=99999999999999999999", "unit", "Mã đơn vị không hợp lệ."),
        ("status=nonsense", "status", "“nonsense” không phải là một giá trị được chấp nhận."),
        ("content_type=x", "content_type", "“x” không phải là một giá trị được chấp nhận."),
    ):
        error = assert_error(client.get(f"/api/proposals/?{query}"), 400, "invalid")
        assert error["fields"] == {field: [message]}, query
    # An empty status or content type, as a form sends it: no filter (the schema lists "" among their values).
    assert len(client.get("/api/proposals/?status=&content_type=").json()["results"]) == 1


def test_the_token_endpoint_has_its_rate_limit(w):
    client = APIClient()
    codes = [
        client.post("/api/auth/token/", {"username": "district", "password": "x-password-1"}).status_code
        for _ in range(21)
    ]
    assert codes == [200] * 20 + [429]
