"""A đề án's province, district and commune describe one place on every path: the API (create and PATCH), the
dossier service behind the portal, the model's clean (admin forms), and the database itself."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.authtoken.models import Token

from core.addresses import check_address
from core.models import AdministrativeUnit, User
from workflow.models import Proposal, TransitionEvent
from workflow.services.errors import InvalidAddress
from workflow.services.proposals import update_dossier

from .world import at, build_world, complete_proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    w = build_world()
    # A commune of today's map, directly under the province (no district since 1/7/2025).
    w.new_commune = AdministrativeUnit.objects.create(
        code="25432", name="Xã Nghĩa Trung", level="commune", parent=w.province
    )
    w.far_commune = AdministrativeUnit.objects.create(
        code="26000", name="Phường Trấn Biên", level="commune", parent=w.other_province
    )
    return w


def state(p: Proposal) -> tuple:
    p.refresh_from_db()
    return (
        p.province_id,
        p.district_id,
        p.commune_id,
        p.updated_at,
        list(TransitionEvent.objects.filter(proposal=p).values_list("seq", "trigger", "hash")),
    )


def api(w, role="applicant") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=w.user(role)).key}")


def test_patch_with_a_commune_outside_the_district_is_refused_and_nothing_changes(w):
    draft = complete_proposal(w)  # Huyện Bù Đăng, Xã Đức Liễu
    before = state(draft)
    response = api(w).patch(
        f"/api/proposals/{draft.pk}/",
        {"district": w.other_district.pk, "commune": w.commune.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid_address"
    assert body["message"] == "Địa bàn thực hiện không khớp: tỉnh, huyện và xã phải là một nơi."
    assert body["problems"] == ["Xã Đức Liễu thuộc Huyện Bù Đăng, không thuộc huyện đã chọn."]
    assert state(draft) == before


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"province": "other_province"}, "Huyện Bù Đăng không thuộc Tỉnh Đồng Nai."),
        ({"district": None}, "Xã Đức Liễu thuộc Huyện Bù Đăng, không thuộc huyện đã chọn."),
        ({"district": None, "commune": "far_commune"}, "Phường Trấn Biên không thuộc Tỉnh Bình Phước."),
        ({"commune": "new_commune"}, "Xã Nghĩa Trung không thuộc Huyện Bù Đăng."),
    ],
)
def test_every_inconsistent_combination_is_refused_with_its_reason(w, changes, problem):
    draft = complete_proposal(w)
    before = state(draft)
    body = {k: (getattr(w, v).pk if isinstance(v, str) else v) for k, v in changes.items()}
    response = api(w).patch(f"/api/proposals/{draft.pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["problems"] == [problem]
    assert state(draft) == before


def test_a_unit_of_the_wrong_level_is_refused_by_the_field_and_by_the_check(w):
    draft = complete_proposal(w)
    before = state(draft)
    response = api(w).patch(
        f"/api/proposals/{draft.pk}/", {"district": w.commune.pk}, content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["district"]
    assert state(draft) == before
    with pytest.raises(ValidationError) as caught:
        check_address(province=w.province, district=w.commune, commune=None)
    assert caught.value.message_dict == {"district": ["“Xã Đức Liễu” không phải là một huyện, quận, thị xã."]}


def test_consistent_places_of_both_maps_are_accepted(w):
    draft = complete_proposal(w)
    client = api(w)
    # Today's map: a commune directly under the province, no district.
    response = client.patch(
        f"/api/proposals/{draft.pk}/",
        {"district": None, "commune": w.new_commune.pk},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert (draft.district_id, draft.commune_id) == (None, w.new_commune.pk)
    assert TransitionEvent.objects.filter(proposal=draft, trigger="edit").get().data == {
        "fields": ["commune", "district"]
    }


def test_create_through_the_api_with_an_inconsistent_place_writes_nothing(w):
    count = Proposal.objects.count()
    response = api(w).post(
        "/api/proposals/",
        {
            "title": "Đề án sai địa bàn",
            "plan_year": 2026,
            "funding_kind": "local",
            "content_type": "machinery",
            "sector": "a",
            "province": w.province.pk,
            "commune": w.far_commune.pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["problems"] == ["Phường Trấn Biên không thuộc Tỉnh Bình Phước."]
    assert Proposal.objects.count() == count


def test_the_service_behind_the_portal_refuses_it_too(w):
    draft = complete_proposal(w)
    before = state(draft)
    with pytest.raises(InvalidAddress) as caught:
        update_dossier(
            draft.pk,
            actor=w.user("applicant"),
            now=at(1),
            changes={"commune": w.far_commune, "district": None},
        )
    assert caught.value.problems == ["Phường Trấn Biên không thuộc Tỉnh Bình Phước."]
    assert state(draft) == before


def test_the_admin_cannot_change_a_proposal(w):
    """No admin form writes a đề án (it is read-only there), so the services and the trigger are every path."""
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = User.objects.create_superuser(
        username="root", password="x-password-1", email="r@example.vn"
    )
    model_admin = admin.site._registry[Proposal]
    assert not model_admin.has_change_permission(request) and not model_admin.has_add_permission(request)


def test_the_database_refuses_a_write_that_bypasses_the_services(w):
    draft = complete_proposal(w)
    before = state(draft)
    for changes in (
        {"commune": w.far_commune},
        {"district": w.other_district},
        {"province": w.other_province},
        {"district": None, "commune": w.new_commune, "province": w.other_province},
    ):
        with pytest.raises(IntegrityError, match="proposal_address_consistent"), transaction.atomic():
            Proposal.objects.filter(pk=draft.pk).update(**changes)
    assert state(draft) == before
    # A consistent write still goes through.
    Proposal.objects.filter(pk=draft.pk).update(district=None, commune=w.new_commune)


def test_check_address_accepts_what_the_demo_and_the_portal_build(w):
    check_address(province=w.province, district=w.district, commune=w.commune)
    check_address(province=w.province, district=w.district, commune=None)
    check_address(province=w.province, district=None, commune=w.new_commune)
    check_address(province=w.province.pk, district=None, commune=None)
