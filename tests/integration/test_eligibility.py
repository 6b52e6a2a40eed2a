"""Eligibility and funding conditions checked when a đề án is lodged (workflow/eligibility.py; domain.md §4.2,
§2.2): the beneficiary's kind and size, the place under the rules of the day of the first lodging (NĐ 45/2012
until 14/10/2025, NĐ 235/2025 from 15/10/2025), the sector, the brick-kiln exclusion (TT 46/2012 Điều 5) and the
two commitments of TTLT 26/2014 Điều 7. Each refusal goes through the transition service and writes nothing."""

import datetime as dt

import pytest
from django.urls import reverse

from core.calendar import VN_TZ
from core.models import AdministrativeUnit, Organisation, User
from workflow.eligibility import eligibility_problems
from workflow.models import Proposal, Task, TransitionEvent
from workflow.services.errors import GuardFailed
from workflow.services.transitions import fire

from .world import T0, build_world, complete_proposal

pytestmark = pytest.mark.django_db

BEFORE_ND235 = dt.datetime(2025, 10, 14, 9, 0, tzinfo=VN_TZ)  # the last day of NĐ 45/2012's rules
FROM_ND235 = dt.datetime(2025, 10, 15, 9, 0, tzinfo=VN_TZ)
OLD_MAP_DAY = dt.datetime(2025, 6, 2, 9, 0, tzinfo=VN_TZ)  # a Monday before the 2025 reform
TODAY = T0.date()

FUNDING_RULES = "Thông tư 28/2018/TT-BTC, Thông tư liên tịch 26/2014/TTLT-BTC-BCT Điều 7"
NEW_LOCATION_RULE = (
    "từ ngày 15/10/2025 khuyến công hỗ trợ cơ sở ở xã, phường, đặc khu của tỉnh và ở xã, đặc khu của thành phố "
    "trực thuộc trung ương, không hỗ trợ phường của thành phố trực thuộc trung ương (Nghị định 235/2025/NĐ-CP)"
)
OLD_LOCATION_RULE = (
    "trước ngày 15/10/2025 khuyến công hỗ trợ cơ sở ở huyện, thị xã, thị trấn, xã và phường của thành phố loại 2, "
    "loại 3, không hỗ trợ nội thành thành phố trực thuộc trung ương (Nghị định 45/2012/NĐ-CP)"
)


@pytest.fixture
def w():
    return build_world()


def _org(w, name: str, kind: str, tax_code: str) -> Organisation:
    return Organisation.objects.create(
        name=name,
        kind=kind,
        tax_code=tax_code,
        address_unit=w.commune,
        representative="Phạm Văn Hòa",
        phone="+84914000222",
        email=f"{tax_code}@example.vn",
    )


def _with(p: Proposal, **fields) -> Proposal:
    """Chị Lan's complete đề án with some fields changed (as saved through the dossier editor)."""
    Proposal.objects.filter(pk=p.pk).update(**fields)
    p.refresh_from_db()
    return p


def _refused(w, p: Proposal, *, now=T0) -> list[str]:
    """Lodge as the applicant; assert the refusal wrote nothing and return its problems."""
    events = TransitionEvent.objects.filter(proposal=p).count()
    with pytest.raises(GuardFailed) as refused:
        fire(p.pk, "lodge", actor=w.user("applicant"), now=now)
    p.refresh_from_db()
    assert (p.status, p.lodged_at, p.pin_hash) == ("drafted", None, "")
    assert TransitionEvent.objects.filter(proposal=p).count() == events
    assert not TransitionEvent.objects.filter(proposal=p, trigger="lodge").exists()
    assert not Task.objects.filter(proposal=p).exists()
    return refused.value.problems


def _lodged(w, p: Proposal, *, now=T0) -> Proposal:
    fire(p.pk, "lodge", actor=w.user("applicant"), now=now)
    p.refresh_from_db()
    assert p.status == "lodged"
    assert TransitionEvent.objects.filter(proposal=p, trigger="lodge", to_status="lodged").count() == 1
    return p


# --- accepted ---------------------------------------------------------------------------------------------------


def test_an_eligible_dossier_with_both_commitments_lodges(w):
    p = complete_proposal(w)
    assert (p.counterpart_committed, p.no_other_state_support, p.brick_kiln_technology) == (
        True,
        True,
        "none",
    )
    assert eligibility_problems(p, on=TODAY) == []
    _lodged(w, p)


# --- 1. the beneficiary's kind -----------------------------------------------------------------------------------


def test_a_union_of_cooperatives_is_eligible_only_from_15_10_2025(w):
    union = _org(w, "Liên hiệp HTX Điều Bình Phước", "coop_union", "3800777001")
    before = _with(complete_proposal(w), beneficiary=union)
    assert _refused(w, before, now=BEFORE_ND235) == [
        "Liên hiệp hợp tác xã “Liên hiệp HTX Điều Bình Phước” chưa là đối tượng được hỗ trợ theo Nghị định "
        "45/2012/NĐ-CP, áp dụng cho đề án nộp lần đầu trước ngày 15/10/2025; liên hiệp hợp tác xã được hỗ trợ từ "
        "ngày 15/10/2025 (Nghị định 235/2025/NĐ-CP)."
    ]
    _lodged(w, before, now=FROM_ND235)


def test_a_public_service_unit_is_the_beneficiary_only_of_a_service_it_provides(w):
    trung_tam = _org(w, "Trung tâm Khuyến công tỉnh Bình Phước", "public_service", "3800777002")
    p = _with(complete_proposal(w), beneficiary=trung_tam)
    assert _refused(w, p) == [
        "“Trung tâm Khuyến công tỉnh Bình Phước” là đơn vị sự nghiệp công lập, không phải đối tượng thụ hưởng của "
        "nội dung “3. Ứng dụng máy móc thiết bị tiên tiến, chuyển giao công nghệ”: chỉ hỗ trợ trực tiếp cho doanh "
        "nghiệp nhỏ và vừa, tổ hợp tác, hợp tác xã, hộ kinh doanh, liên hiệp hợp tác xã. Hãy ghi đơn vị thụ hưởng "
        "là cơ sở được hỗ trợ."
    ]
    for service in ("training", "media", "capacity", "overhead_agency", "fair_organiser", "typical_product"):
        assert eligibility_problems(_with(p, content_type=service), on=TODAY) == [], service
    # Run by the Trung tâm without a named beneficiary (a group đề án, or beneficiaries chosen later): no check.
    assert eligibility_problems(_with(p, content_type="machinery", beneficiary=None), on=TODAY) == []


# --- 2. an enterprise's size -------------------------------------------------------------------------------------


def test_an_enterprise_declares_its_capital_or_workers_and_either_within_the_limit_suffices(w, settings):
    sme = _org(w, "Công ty TNHH Điều Bù Đăng", "sme", "3800777003")
    p = _with(complete_proposal(w), beneficiary=sme)
    assert _refused(w, p) == [
        "Chưa kê khai tổng nguồn vốn hoặc số lao động bình quân năm của doanh nghiệp “Công ty TNHH Điều Bù Đăng”: "
        "cần ít nhất một trong hai để xác định doanh nghiệp nhỏ và vừa (tổng nguồn vốn không quá "
        "100.000.000.000\u00a0₫ hoặc không quá 300 lao động)."
    ]
    too_big = _with(p, beneficiary_capital=150_000_000_000, beneficiary_workers=350)
    assert _refused(w, too_big) == [
        "Doanh nghiệp “Công ty TNHH Điều Bù Đăng” không phải doanh nghiệp nhỏ và vừa theo số liệu kê khai (tổng "
        "nguồn vốn 150.000.000.000\u00a0₫; 350 lao động bình quân năm): cần tổng nguồn vốn không quá "
        "100.000.000.000\u00a0₫ hoặc không quá 300 lao động bình quân năm."
    ]
    # Only the capital declared, over the limit: the workers may still make it an SME.
    [capital_only] = eligibility_problems(_with(p, beneficiary_workers=None), on=TODAY)
    assert "(tổng nguồn vốn 150.000.000.000\u00a0₫)" in capital_only
    # Either condition suffices.
    assert eligibility_problems(_with(p, beneficiary_workers=250), on=TODAY) == []
    assert (
        eligibility_problems(_with(p, beneficiary_capital=80_000_000_000, beneficiary_workers=None), on=TODAY)
        == []
    )
    # The limits are configuration.
    settings.KHUYENCONG = {**settings.KHUYENCONG, "SME_MAX_WORKERS": 200}
    [problem] = eligibility_problems(
        _with(p, beneficiary_capital=150_000_000_000, beneficiary_workers=250), on=TODAY
    )
    assert problem.endswith("hoặc không quá 200 lao động bình quân năm.")
    # A cleaner-production establishment has no size limit; a cooperative or household declares none.
    assert eligibility_problems(_with(p, content_type="cleaner_production"), on=TODAY) == []
    _lodged(w, _with(p, content_type="machinery", beneficiary=w.other_org))


# --- 3. the place, under the rules of the day --------------------------------------------------------------------


@pytest.fixture
def hanoi(w):
    """A centrally-run city on both maps: an old quận and thị xã with their wards, and today's wards, communes
    and special zones directly under the city (the world's units carry no end dates)."""
    city = AdministrativeUnit.objects.create(code="01", name="Thành phố Hà Nội", level="province")
    ba_dinh = AdministrativeUnit.objects.create(
        code="001", name="Quận Ba Đình", level="district", parent=city
    )
    son_tay = AdministrativeUnit.objects.create(
        code="269", name="Thị xã Sơn Tây", level="district", parent=city
    )

    def commune(code, name, parent):
        return AdministrativeUnit.objects.create(code=code, name=name, level="commune", parent=parent)

    return {
        "city": city,
        "quận": ba_dinh,
        "thị xã": son_tay,
        "phường of a quận": commune("00001", "Phường Phúc Xá", ba_dinh),
        "phường of a thị xã": commune("09886", "Phường Trung Hưng", son_tay),
        "phường": commune("2025-00070", "Phường Hoàn Kiếm", city),
        "xã": commune("2025-08980", "Xã Sóc Sơn", city),
        "đặc khu": commune("2025-99001", "Đặc khu Thử Nghiệm", city),
    }


def _placed(w, hanoi, where: str) -> Proposal:
    unit = hanoi[where]
    if unit.level == "district":
        return _with(complete_proposal(w), province=hanoi["city"], district=unit, commune=None)
    district = unit.parent if unit.parent.level == "district" else None
    return _with(complete_proposal(w), province=hanoi["city"], district=district, commune=unit)


def _location_problem(place: str, rule: str) -> str:
    return (
        f"Địa bàn {place}, Thành phố Hà Nội không được hỗ trợ: {rule}. Nếu cơ sở sản xuất ở nơi khác, hãy chọn "
        "đúng địa bàn thực hiện."
    )


def test_from_15_10_2025_no_ward_of_a_centrally_run_city(w, hanoi):
    assert _refused(w, _placed(w, hanoi, "phường")) == [
        _location_problem("Phường Hoàn Kiếm", NEW_LOCATION_RULE)
    ]
    assert _refused(w, _placed(w, hanoi, "phường of a thị xã")) == [
        _location_problem("Phường Trung Hưng", NEW_LOCATION_RULE)
    ]
    assert _refused(w, _placed(w, hanoi, "quận")) == [_location_problem("Quận Ba Đình", NEW_LOCATION_RULE)]
    _lodged(w, _placed(w, hanoi, "xã"))
    _lodged(w, _placed(w, hanoi, "đặc khu"))
    _lodged(w, complete_proposal(w))  # a commune of a province
    ward = AdministrativeUnit.objects.create(
        code="25195", name="Phường Tân Phú", level="commune", parent=w.district
    )
    _lodged(w, _with(complete_proposal(w), commune=ward))  # a ward of a province


def test_before_15_10_2025_the_old_rules_spare_the_wards_of_a_thi_xa(w, hanoi):
    assert _refused(w, _placed(w, hanoi, "phường of a quận"), now=OLD_MAP_DAY) == [
        _location_problem("Phường Phúc Xá", OLD_LOCATION_RULE)
    ]
    assert _refused(w, _placed(w, hanoi, "quận"), now=BEFORE_ND235) == [
        _location_problem("Quận Ba Đình", OLD_LOCATION_RULE)
    ]
    # The same ward: eligible on the last day of NĐ 45/2012, not on the first of NĐ 235/2025.
    _lodged(w, _placed(w, hanoi, "phường of a thị xã"), now=BEFORE_ND235)
    assert _refused(w, _placed(w, hanoi, "phường of a thị xã"), now=FROM_ND235) == [
        _location_problem("Phường Trung Hưng", NEW_LOCATION_RULE)
    ]


def test_a_relodging_after_a_return_keeps_the_rules_of_the_first_lodging(w, hanoi):
    officer = User.objects.create_user(username="son_tay", password="x-password-1", unit=hanoi["thị xã"])
    officer.groups.add(*User.objects.get(username="district").groups.all())
    p = _lodged(w, _placed(w, hanoi, "phường of a thị xã"), now=OLD_MAP_DAY)
    fire(
        p.pk,
        "return_for_revision",
        actor=officer,
        now=OLD_MAP_DAY + dt.timedelta(days=2),
        comment="Bổ sung báo giá",
    )
    p.refresh_from_db()
    assert (p.status, p.lodged_at) == ("drafted", OLD_MAP_DAY)
    # Lodged again under NĐ 235/2025, judged by NĐ 45/2012 (first lodged on 2/6/2025): still eligible.
    assert eligibility_problems(p, on=TODAY) == []
    fire(p.pk, "lodge", actor=w.user("applicant"), now=T0)
    p.refresh_from_db()
    assert (p.status, p.revision_round, p.lodged_at) == ("lodged", 1, OLD_MAP_DAY)
    # A new đề án in the same ward today is not.
    assert len(_refused(w, _placed(w, hanoi, "phường of a thị xã"))) == 1


def test_a_cleaner_production_establishment_has_no_location_limit(w, hanoi):
    p = _placed(w, hanoi, "phường")
    assert len(eligibility_problems(p, on=TODAY)) == 1
    for content_type in ("cleaner_production", "pollution_treatment"):
        assert eligibility_problems(_with(p, content_type=content_type), on=TODAY) == [], content_type


# --- 4. the sector -----------------------------------------------------------------------------------------------


def test_a_dossier_without_a_sector_of_the_list_is_refused(w):
    assert _refused(w, _with(complete_proposal(w), sector="")) == [
        "Chưa chọn ngành nghề của đề án trong danh mục ngành nghề được hưởng chính sách khuyến công (Nghị định "
        "45/2012/NĐ-CP Điều 5)."
    ]


# --- 5. fired-clay bricks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("technology", "named"),
    [
        ("hoffmann", "gạch nung bằng lò vòng (Hoffmann)"),
        ("manual_improved", "gạch nung bằng lò thủ công cải tiến"),
    ],
)
def test_no_support_for_bricks_from_hoffmann_or_improved_manual_kilns(w, technology, named):
    p = _with(complete_proposal(w), brick_kiln_technology=technology)
    assert _refused(w, p) == [
        f"Không hỗ trợ cơ sở sản xuất {named}: công nghệ gây ô nhiễm môi trường (Thông tư 46/2012/TT-BCT Điều 5); "
        "khuyến công ưu tiên sản xuất vật liệu xây không nung."
    ]


def test_unfired_bricks_and_tunnel_kilns_may_be_supported(w):
    _lodged(w, _with(complete_proposal(w), brick_kiln_technology="unfired"))
    _lodged(w, _with(complete_proposal(w), brick_kiln_technology="tunnel"))


# --- 6. the funding conditions -----------------------------------------------------------------------------------

COUNTERPART = (
    "Chưa cam kết bố trí đủ vốn đối ứng (320.000.000\u00a0₫, phần kinh phí không được khuyến công hỗ trợ): đánh "
    f"dấu cam kết ở mục “Đối tượng và điều kiện hỗ trợ” ({FUNDING_RULES})."
)
NO_OTHER_SUPPORT = (
    "Chưa cam kết không nhận hỗ trợ từ nguồn ngân sách nhà nước khác cho cùng nội dung chi: đánh dấu cam kết ở "
    f"mục “Đối tượng và điều kiện hỗ trợ” ({FUNDING_RULES})."
)


def test_the_counterpart_commitment_is_required(w):
    assert _refused(w, _with(complete_proposal(w), counterpart_committed=False)) == [COUNTERPART]


def test_the_declaration_of_no_other_state_support_is_required(w):
    assert _refused(w, _with(complete_proposal(w), no_other_state_support=False)) == [NO_OTHER_SUPPORT]


def test_a_fully_supported_dossier_has_no_counterpart_to_commit(w):
    p = _with(complete_proposal(w, support=100_000_000, total=100_000_000), content_type="fair_overseas")
    assert eligibility_problems(_with(p, counterpart_committed=False), on=TODAY) == []
    assert eligibility_problems(_with(p, no_other_state_support=False), on=TODAY) == [NO_OTHER_SUPPORT]


def test_every_problem_is_listed_at_once(w):
    union = _org(w, "Liên hiệp HTX Điều Bình Phước", "coop_union", "3800777001")
    p = _with(
        complete_proposal(w),
        beneficiary=union,
        sector="",
        brick_kiln_technology="hoffmann",
        counterpart_committed=False,
        no_other_state_support=False,
    )
    problems = _refused(w, p, now=BEFORE_ND235)
    assert len(problems) == 5
    assert problems[0].startswith("Liên hiệp hợp tác xã")
    assert problems[1].startswith("Chưa chọn ngành nghề")
    assert problems[2].startswith("Không hỗ trợ cơ sở sản xuất gạch nung bằng lò vòng")
    assert problems[3:] == [COUNTERPART, NO_OTHER_SUPPORT]


# --- the applicant fills them in, staff see them -----------------------------------------------------------------


def _editor_post(p: Proposal, **overrides) -> dict:
    b = p.budget_lines.get()
    w_ = p.work_items.get()
    data = {
        "title": p.title,
        "plan_year": str(p.plan_year),
        "funding_kind": p.funding_kind,
        "content_type": p.content_type,
        "sector": p.sector,
        "location_detail": "",
        "location": str(p.commune_id),
        "beneficiary_capital": "",
        "beneficiary_workers": "",
        "brick_kiln_technology": "none",
        **{f: getattr(p, f) for f in ("partners", "need", "objectives", "scale", "content_plan")},
        **{f: getattr(p, f) for f in ("budget_note", "organisation_plan", "effectiveness")},
        **{f"target_{t}": "0" for t in ("learners", "models", "fairs", "products")},
        "target_machines": "1",
        "wi-TOTAL_FORMS": "1",
        "wi-INITIAL_FORMS": "1",
        "wi-0-title": w_.title,
        "wi-0-starts_on": w_.starts_on.isoformat(),
        "wi-0-ends_on": w_.ends_on.isoformat(),
        "wi-0-responsible": w_.responsible,
        "bl-TOTAL_FORMS": "1",
        "bl-INITIAL_FORMS": "1",
        "bl-0-item": b.item,
        "bl-0-unit": b.unit,
        "bl-0-quantity": "1",
        "bl-0-unit_price": str(b.unit_price),
        "bl-0-national_amount": "",
        "bl-0-local_amount": str(b.local_amount),
        "bl-0-counterpart_amount": str(b.counterpart_amount),
    }
    data.update(overrides)
    return data


def test_the_portal_saves_the_declarations_and_lists_what_keeps_the_dossier_from_lodging(client, w):
    p = _with(complete_proposal(w), counterpart_committed=False, no_other_state_support=False)
    client.force_login(w.user("applicant"))
    url = reverse("portal:edit", args=[p.pk])
    page = client.get(url).content.decode()
    assert 'id="eligibility"' in page and 'name="no_other_state_support"' in page

    # Lodging without the commitments: saved, not lodged, each reason linked to the section.
    response = client.post(url, _editor_post(p, lodge="1", brick_kiln_technology="tunnel"))
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count('<a href="#eligibility">') == 2
    assert "Chưa cam kết không nhận hỗ trợ từ nguồn ngân sách nhà nước khác" in page
    p.refresh_from_db()
    assert (p.status, p.brick_kiln_technology) == ("drafted", "tunnel")

    post = _editor_post(
        p,
        save="1",
        beneficiary_capital="45.000.000.000",
        beneficiary_workers="120",
        brick_kiln_technology="unfired",
        counterpart_committed="on",
        no_other_state_support="on",
    )
    assert client.post(url, post).status_code == 302
    p.refresh_from_db()
    assert (
        p.beneficiary_capital,
        p.beneficiary_workers,
        p.brick_kiln_technology,
        p.counterpart_committed,
        p.no_other_state_support,
    ) == (45_000_000_000, 120, "unfired", True, True)
    edit = TransitionEvent.objects.filter(proposal=p, trigger="edit").latest("seq")
    assert edit.data == {
        "fields": [
            "beneficiary_capital",
            "beneficiary_workers",
            "brick_kiln_technology",
            "counterpart_committed",
            "no_other_state_support",
        ]
    }
    response = client.post(url, _editor_post(p, lodge="1", **{k: v for k, v in post.items() if k != "save"}))
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == "lodged"

    # The Sở's page of the đề án shows what was declared.
    client.force_login(w.user("appraiser"))
    page = client.get(reverse("proposals:detail", args=[p.pk])).content.decode()
    assert '<dd data-declared="beneficiary_capital">45.000.000.000\u00a0₫</dd>' in page
    assert '<dd data-declared="beneficiary_workers">120</dd>' in page
    assert '<dd data-declared="brick_kiln_technology">Sản xuất gạch không nung</dd>' in page
    assert '<dd data-declared="no_other_state_support">Đã cam kết</dd>' in page


def test_the_portal_refuses_a_negative_capital(client, w):
    p = complete_proposal(w)
    client.force_login(w.user("applicant"))
    response = client.post(
        reverse("portal:edit", args=[p.pk]), _editor_post(p, save="1", beneficiary_capital="-1")
    )
    assert response.status_code == 400
    p.refresh_from_db()
    assert p.beneficiary_capital is None


def test_the_api_reads_and_writes_the_declarations(w):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    p = _with(complete_proposal(w), no_other_state_support=False)
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=w.user('applicant'))[0].key}"
    )
    body = api.get(f"/api/proposals/{p.pk}/").json()
    assert {
        k: body[k] for k in ("beneficiary_capital", "brick_kiln_technology", "no_other_state_support")
    } == {
        "beneficiary_capital": None,
        "brick_kiln_technology": "none",
        "no_other_state_support": False,
    }
    response = api.patch(
        f"/api/proposals/{p.pk}/", {"no_other_state_support": True, "beneficiary_workers": 40}, format="json"
    )
    assert response.status_code == 200, response.content
    refused = api.patch(f"/api/proposals/{p.pk}/", {"beneficiary_capital": -5}, format="json")
    assert refused.status_code == 400 and "beneficiary_capital" in refused.json()["error"]["fields"]
    p.refresh_from_db()
    assert (p.no_other_state_support, p.beneficiary_workers, p.beneficiary_capital) == (True, 40, None)
    _lodged(w, p)
