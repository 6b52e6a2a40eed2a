"""The spending caps (mức chi) of TT 28/2018/TT-BTC and TTLT 26/2014 (domain.md §5.2, §5.4), tracker issue 29:
linkage clusters apart from associations (item 3), the caps that had no row at all (item 9), and the lodging
check that refuses a content type without a cap row."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from core.models import Organisation
from core.money import format_vnd
from workflow.models import Proposal, SupportCap
from workflow.models.choices import ContentType
from workflow.services.errors import GuardFailed
from workflow.services.transitions import fire
from workflow.validation import applicable_cap, cap_problems, cap_summary

from .world import T0, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 2)
MILLION = 1_000_000

# Content types with no cap in domain.md: lodging them waits until the province configures a row.
UNCONFIGURED = {ContentType.INTERNATIONAL, ContentType.DIGITAL}


@pytest.fixture
def w():
    return build_world()


def _as(p: Proposal, content_type: str, **fields) -> Proposal:
    """Chị Lan's complete đề án turned into another content type (the dossier stays complete)."""
    Proposal.objects.filter(pk=p.pk).update(content_type=content_type, **fields)
    p.refresh_from_db()
    return p


def _proposal(w, content_type: str, support: int, total: int, **fields) -> Proposal:
    return _as(complete_proposal(w, support=support, total=total), content_type, **fields)


# --- item 3: linkage clusters do not share the association cap -----------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "support", "total", "percent", "maximum"),
    [
        ("linkage_cluster", 150 * MILLION, 300 * MILLION, 50, 150 * MILLION),
        ("association", 70 * MILLION, 240 * MILLION, 30, 70 * MILLION),
        ("association_national", 100 * MILLION, 340 * MILLION, 30, 100 * MILLION),
    ],
)
def test_clusters_and_regional_and_national_associations_have_their_own_caps(
    w, content_type, support, total, percent, maximum
):
    p = _proposal(w, content_type, support, total)
    assert cap_problems(p, on=TODAY) == []
    s = cap_summary(p, on=TODAY)
    assert (s.percent_cap, s.max_amount, s.fits) == (percent, maximum, True)
    over = _proposal(w, content_type, support + MILLION, total + 10 * MILLION)
    [problem] = cap_problems(over, on=TODAY)
    assert f"vượt mức tối đa {format_vnd(maximum)}" in problem


def test_a_cluster_may_take_half_of_its_cost_an_association_less_than_a_third(w):
    cluster = _proposal(w, "linkage_cluster", 120 * MILLION, 240 * MILLION)
    assert cap_problems(cluster, on=TODAY) == []
    assert cap_summary(cluster, on=TODAY).percent_cap == 50
    association = _proposal(w, "association", 60 * MILLION, 180 * MILLION)
    [problem] = cap_problems(association, on=TODAY)
    assert (
        f"vượt 30 % tổng kinh phí đề án ({format_vnd(180 * MILLION)}), tức tối đa {format_vnd(54 * MILLION)}"
        in (problem)
    )


def test_a_regional_association_is_capped_at_70_million_not_100(w):
    p = _proposal(w, "association", 80 * MILLION, 300 * MILLION)
    [problem] = cap_problems(p, on=TODAY)
    assert f"vượt mức tối đa {format_vnd(70 * MILLION)}" in problem
    assert "70 triệu" in problem  # the row names its regulation


# --- item 9: the caps that were missing ------------------------------------------------------------------------


def test_a_domestic_fair_participant_gets_at_most_80_percent(w):
    p = _proposal(w, "fair", 80 * MILLION, 100 * MILLION)
    assert cap_problems(p, on=TODAY) == []
    over = _proposal(w, "fair", 81 * MILLION, 100 * MILLION)
    [problem] = cap_problems(over, on=TODAY)
    assert (
        f"vượt 80 % tổng kinh phí đề án ({format_vnd(100 * MILLION)}), tức tối đa {format_vnd(80 * MILLION)}"
        in (problem)
    )
    assert "thuê gian hàng" in problem


def test_a_domestic_fair_organiser_and_an_overseas_fair_may_be_fully_supported(w):
    for content_type in ("fair_organiser", "fair_overseas"):
        p = _proposal(w, content_type, 100 * MILLION, 100 * MILLION)
        assert cap_problems(p, on=TODAY) == []
        assert cap_summary(p, on=TODAY).percent_cap == 100


def test_at_most_two_overseas_fairs_a_year_per_establishment(w):
    first, second = (
        drive(w, _proposal(w, "fair_overseas", 50 * MILLION, 50 * MILLION), "lodge") for _ in range(2)
    )
    assert (first.status, second.status) == ("lodged", "lodged")
    third = _proposal(w, "fair_overseas", 50 * MILLION, 50 * MILLION)
    [problem] = cap_problems(third, on=TODAY)
    assert problem == (
        "Cơ sở “Hộ kinh doanh Nguyễn Thị Lan” đã có 2 đề án nội dung “4. Tổ chức, tham gia hội chợ triển lãm ở "
        "nước ngoài” trong năm kế hoạch 2026; tối đa 2 lần mỗi năm cho một cơ sở (Thông tư 28/2018/TT-BTC Điều 8 "
        "khoản 6; Thông tư 46/2012/TT-BCT Điều 4: tối đa 2 lần/năm cho một cơ sở)."
    )
    with pytest.raises(GuardFailed, match="tối đa 2 lần mỗi năm"):
        fire(third.pk, "lodge", actor=w.user("applicant"), now=T0)

    # Not counted: a withdrawn or rejected đề án, another plan year, another establishment.
    Proposal.objects.filter(pk=first.pk).update(status="withdrawn")
    assert cap_problems(third, on=TODAY) == []
    Proposal.objects.filter(pk=first.pk).update(status="rejected")
    assert cap_problems(third, on=TODAY) == []
    Proposal.objects.filter(pk=first.pk).update(status="lodged", plan_year=2027)
    assert cap_problems(third, on=TODAY) == []
    Proposal.objects.filter(pk=first.pk).update(plan_year=2026)
    assert len(cap_problems(third, on=TODAY)) == 1
    Proposal.objects.filter(pk=third.pk).update(beneficiary=w.other_org)
    third.refresh_from_db()
    assert cap_problems(third, on=TODAY) == []


def test_the_yearly_count_is_configuration(w):
    for _ in range(2):
        drive(w, _proposal(w, "fair_overseas", 50 * MILLION, 50 * MILLION), "lodge")
    third = _proposal(w, "fair_overseas", 50 * MILLION, 50 * MILLION)
    assert len(cap_problems(third, on=TODAY)) == 1
    SupportCap.objects.create(
        content_type="fair_overseas",
        province=w.province,
        percent_cap=100,
        max_per_year=3,
        regulation="NQ tỉnh",
        effective_from=dt.date(2026, 1, 1),
    )
    assert cap_problems(third, on=TODAY) == []


def test_a_group_fair_of_the_trung_tam_is_not_counted_against_the_trung_tam(w):
    trung_tam = Organisation.objects.create(
        name="Trung tâm Khuyến công tỉnh Bình Phước",
        kind="public_service",
        tax_code="3800111222",
        address_unit=w.commune,
        representative="Lê Văn Tâm",
        phone="+84913000111",
        email="ttkc@example.vn",
    )
    for _ in range(3):
        p = _proposal(
            w, "fair_overseas", 50 * MILLION, 50 * MILLION, implementing_org=trung_tam, is_group=True
        )
        Proposal.objects.filter(pk=p.pk).update(status="lodged")
    fourth = _proposal(
        w, "fair_overseas", 50 * MILLION, 50 * MILLION, implementing_org=trung_tam, is_group=True
    )
    assert cap_problems(fourth, on=TODAY) == []


@pytest.mark.parametrize(
    ("content_type", "maximum"),
    [("typical_product_region", 200 * MILLION), ("typical_product_nation", 400 * MILLION)],
)
def test_product_award_rounds(w, content_type, maximum):
    p = _proposal(w, content_type, maximum, maximum + 50 * MILLION)
    assert cap_problems(p, on=TODAY) == []
    over = _proposal(w, content_type, maximum + MILLION, maximum + 50 * MILLION)
    [problem] = cap_problems(over, on=TODAY)
    assert f"vượt mức tối đa {format_vnd(maximum)}" in problem
    assert "Thông tư 28/2018/TT-BTC" in problem


def test_a_provincial_award_round_has_an_editable_default(w):
    cap = applicable_cap(_proposal(w, "typical_product", 1, 1), on=TODAY)
    assert (cap.max_amount, cap.province) == (200 * MILLION, None)
    assert "HĐND tỉnh" in cap.regulation


def test_management_overhead_of_the_agency_is_at_most_1_5_percent_of_the_years_funds(w):
    # The year's local khuyến công funds in the province: two lodged đề án, 300 + 200 million.
    drive(w, complete_proposal(w, support=300 * MILLION, total=620 * MILLION, title="Máy 1"), "lodge")
    drive(w, complete_proposal(w, support=200 * MILLION, total=500 * MILLION, title="Máy 2"), "lodge")
    complete_proposal(w, support=100 * MILLION, total=400 * MILLION, title="Bản nháp")  # not counted
    p = _proposal(w, "overhead_agency", 7_500_000, 7_500_000)
    assert cap_problems(p, on=TODAY) == []
    s = cap_summary(p, on=TODAY)
    assert (s.percent_cap, s.basis, s.fits) == (Decimal("1.5"), 500 * MILLION, True)
    p.budget_lines.update(local_amount=7_600_000, unit_price=7_600_000)
    [problem] = cap_problems(p, on=TODAY)
    assert problem == (
        f"Kinh phí đề nghị hỗ trợ {format_vnd(7_600_000)} vượt 1,5 % tổng kinh phí khuyến công của tỉnh trong năm "
        f"kế hoạch, cùng nguồn ({format_vnd(500 * MILLION)}), tức tối đa {format_vnd(7_500_000)} cho nội dung "
        "“9. Chi quản lý chương trình, kế hoạch khuyến công của cơ quan quản lý” (TTLT 26/2014/TTLT-BTC-BCT: cơ "
        "quan quản lý chi tối đa 1,5 % kinh phí khuyến công hằng năm; chưa xác nhận thay đổi ở TT 28/2018)."
    )


def test_management_overhead_of_the_unit_is_at_most_2_5_percent_of_its_estimates(w):
    drive(w, complete_proposal(w, support=300 * MILLION, total=620 * MILLION), "lodge")
    other = complete_proposal(w, support=100 * MILLION, total=200 * MILLION, org=w.other_org, title="Khác")
    fire(other.pk, "lodge", actor=w.user("applicant_other"), now=T0)  # another unit's đề án: not counted
    p = _proposal(w, "overhead_unit", 15_500_000, 15_500_000)
    assert cap_problems(p, on=TODAY) == []
    assert cap_summary(p, on=TODAY).basis == 620 * MILLION
    p.budget_lines.update(local_amount=15_600_000, unit_price=15_600_000)
    [problem] = cap_problems(p, on=TODAY)
    assert (
        f"vượt 2,5 % tổng dự toán các đề án của đơn vị thực hiện trong năm kế hoạch ({format_vnd(620 * MILLION)})"
        in (problem)
    )


def test_relocation_interest_support(w):
    assert cap_problems(_proposal(w, "relocation_interest", 500 * MILLION, MILLION * 1000), on=TODAY) == []
    [half] = cap_problems(_proposal(w, "relocation_interest", 300 * MILLION, 500 * MILLION), on=TODAY)
    assert "vượt 50 % tổng kinh phí đề án" in half
    [most] = cap_problems(_proposal(w, "relocation_interest", 510 * MILLION, 1100 * MILLION), on=TODAY)
    assert f"vượt mức tối đa {format_vnd(500 * MILLION)}" in most
    assert "lãi suất vốn vay" in most


# --- item 9: no cap row, no lodging ------------------------------------------------------------------------------


def test_a_content_type_without_a_cap_row_is_refused_with_a_message_to_configure_one(w):
    p = _proposal(w, "training", 100 * MILLION, 120 * MILLION)
    assert cap_problems(p, on=TODAY) == []  # a row exists: training is paid by the general norms
    SupportCap.objects.filter(content_type="training").delete()
    assert cap_summary(p, on=TODAY) is None
    message = (
        "Chưa có mức hỗ trợ tối đa cho nội dung “1. Đào tạo nghề, truyền nghề” (nguồn Khuyến công địa phương) "
        "có hiệu lực ngày 02/03/2026; đề nghị quản trị hệ thống cấu hình mức chi hỗ trợ (Quản trị → Mức chi hỗ trợ)."
    )
    assert cap_problems(p, on=TODAY) == [message]
    with pytest.raises(GuardFailed) as refused:
        fire(p.pk, "lodge", actor=w.user("applicant"), now=T0)
    assert message in refused.value.problems
    p.refresh_from_db()
    assert p.status == "drafted"


def test_an_expired_or_other_provinces_row_is_no_row(w):
    p = _proposal(w, "international", 10 * MILLION, 20 * MILLION)
    assert len(cap_problems(p, on=TODAY)) == 1
    SupportCap.objects.create(
        content_type="international",
        province=w.other_province,
        regulation="NQ tỉnh khác",
        effective_from=dt.date(2025, 1, 1),
    )
    SupportCap.objects.create(
        content_type="international",
        province=w.province,
        regulation="NQ cũ",
        effective_from=dt.date(2024, 1, 1),
        effective_to=dt.date(2025, 12, 31),
    )
    assert "Chưa có mức hỗ trợ tối đa" in cap_problems(p, on=TODAY)[0]
    SupportCap.objects.create(
        content_type="international",
        province=w.province,
        regulation="NQ tỉnh",
        effective_from=dt.date(2026, 1, 1),
    )
    assert cap_problems(p, on=TODAY) == []


def test_every_content_type_has_a_national_cap_row_except_those_the_province_must_set(w):
    probe = Proposal(funding_kind="local", province=w.province)
    missing = set()
    for content_type in ContentType.values:
        probe.content_type = content_type
        if applicable_cap(probe, on=TODAY) is None:
            missing.add(content_type)
    assert missing == UNCONFIGURED


def test_every_default_row_names_its_source(w):
    from workflow.models.choices import CapBasis

    for cap in SupportCap.objects.filter(province=None):
        assert cap.regulation.strip(), cap.content_type
        assert cap.percent_basis in CapBasis.values


# --- the data migration --------------------------------------------------------------------------------------------


def test_the_migration_is_idempotent_and_keeps_what_the_admin_edited():
    migration = importlib.import_module("workflow.migrations.0008_caps_tt28")
    before = sorted(SupportCap.objects.values_list("content_type", "percent_cap", "max_amount", "regulation"))
    migration.seed(apps, None)
    after = sorted(SupportCap.objects.values_list("content_type", "percent_cap", "max_amount", "regulation"))
    assert after == before
    SupportCap.objects.filter(content_type="association", province=None).update(max_amount=80 * MILLION)
    SupportCap.objects.filter(content_type="fair", province=None).update(percent_cap=70)
    migration.seed(apps, None)
    assert SupportCap.objects.get(content_type="association", province=None).max_amount == 80 * MILLION
    assert SupportCap.objects.get(content_type="fair", province=None).percent_cap == 70


def test_the_association_row_of_0002_is_corrected_to_the_regional_cap():
    migration = importlib.import_module("workflow.migrations.0008_caps_tt28")
    row = SupportCap.objects.get(content_type="association", province=None)
    SupportCap.objects.filter(pk=row.pk).update(
        max_amount=100 * MILLION, regulation="TTLT 26/2014/TTLT-BTC-BCT (chưa xác nhận thay đổi ở TT 28/2018)"
    )
    migration.seed(apps, None)
    row.refresh_from_db()
    assert (row.percent_cap, row.max_amount) == (30, 70 * MILLION)
    assert "70 triệu" in row.regulation


# --- the admin ---------------------------------------------------------------------------------------------------


def test_the_admin_lists_and_adds_a_provincial_cap_with_a_decimal_percentage(w):
    from django.test import Client

    from core.models import User

    admin = User.objects.create_superuser(username="root", password="x-password-1", email="r@example.vn")
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/workflow/supportcap/?percent_basis__exact=province_year").content.decode()
    assert "9. Chi quản lý chương trình, kế hoạch khuyến công của cơ quan quản lý" in page
    assert "1,5" in page
    response = client.post(
        "/admin/workflow/supportcap/add/",
        {
            "content_type": "overhead_unit",
            "funding_kind": "local",
            "province": w.province.pk,
            "percent_cap": "2.25",
            "percent_basis": "unit_year",
            "max_amount": "",
            "max_per_year": "",
            "priority_multiplier_percent": "100",
            "regulation": "NQ HĐND tỉnh",
            "effective_from": "2026-01-01",
            "effective_to": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = SupportCap.objects.get(regulation="NQ HĐND tỉnh")
    assert (row.percent_cap, row.percent_basis) == (Decimal("2.25"), "unit_year")
    p = _proposal(w, "overhead_unit", 1, 1)
    assert applicable_cap(p, on=TODAY) == row
