"""Advances per track and content type, decided by the body holding the budget (domain.md §6.1):

* local (TTLT 26/2014 Đ8.2.b): at most 70 % of the approved support before acceptance, paid by the Sở Tài chính;
* national (TT 36/2013 Đ13 as amended by TT 17/2018): 30 % for CCN works after >50 % of the work is done, 70 % for
  demonstration models and machinery after >70 % of the investment, 70 % for the other contents, 100 % for
  enterprise set-up once accepted; after nghiệm thu cơ sở the rest up to 100 % (Đ14); paid by the ministry side.

National đề án are put in their implementing status ("contracted") directly: these tests are about the advance
rules, not the national lifecycle that leads there.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from core.models import User
from workflow.advances import NATIONAL_GROUP, check_advance_rules
from workflow.models import Advance, ContentType, Proposal, TransitionEvent
from workflow.services.errors import GuardFailed, NotAllowedFromStatus, NotPermitted
from workflow.services.implementation import decide_advance, request_advance, submit_progress_report
from workflow.services.proposals import create_proposal

from .world import at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db

APPROVED = 1_000_000_000
NBSP = "\u00a0"
NATIONAL_BASIS = "TT 36/2013/TT-BCT Điều 13, sửa đổi bởi TT 17/2018/TT-BCT"


@pytest.fixture
def w():
    return build_world()


def national(w, content_type: str, *, status: str = "contracted") -> Proposal:
    """A national đề án of ``content_type``, approved for 1.000.000.000 đ and in ``status``."""
    p = create_proposal(
        actor=w.user("applicant"),
        now=at(0),
        title=f"Đề án khuyến công quốc gia ({content_type})",
        plan_year=2026,
        funding_kind="national",
        content_type=content_type,
        sector="a",
        province=w.province,
        district=w.district,
        commune=w.commune,
    )
    Proposal.objects.filter(pk=p.pk).update(
        status=status, recommended_amount=APPROVED, verified_amount=APPROVED, approved_amount=APPROVED
    )
    p.refresh_from_db()
    return p


def report(p: Proposal, w, percent: int, *, month: int = 3) -> None:
    submit_progress_report(
        p.pk,
        actor=w.user("applicant"),
        now=at(40),
        period=dt.date(2026, month, 1),
        percent_complete=percent,
        summary=f"Hoàn thành {percent} %",
    )


def ask(p: Proposal, w, amount: int) -> Advance:
    return request_advance(p.pk, actor=w.user("applicant"), now=at(41), amount=amount)


def refused(p: Proposal, w, amount: int) -> str:
    with pytest.raises(GuardFailed) as exc:
        ask(p, w, amount)
    return str(exc.value)


def over_limit(pct: int, limit: str, committed: str = "0", left: str | None = None) -> str:
    return (
        f"Tổng tạm ứng không được vượt {pct} % kinh phí được phê duyệt 1.000.000.000{NBSP}₫, tức {limit}{NBSP}₫. "
        f"Đã đề nghị {committed}{NBSP}₫; có thể đề nghị thêm tối đa {left or limit}{NBSP}₫."
    )


def ministry_officer() -> User:
    user = User.objects.create_user(username="cuc", password="x-password-1", email="cuc@example.vn")
    user.groups.add(Group.objects.get_or_create(name="ministry_officer")[0])
    return User.objects.get(pk=user.pk)


# --- local track --------------------------------------------------------------------------------------------------


def test_local_advances_stop_at_70_percent_of_the_approved_support(w):
    p = drive(w, complete_proposal(w), "approve")  # approved 280.000.000
    with pytest.raises(GuardFailed) as exc:
        request_advance(p.pk, actor=w.user("applicant"), now=at(20), amount=196_000_001)
    assert str(exc.value) == (
        f"Tổng tạm ứng không được vượt 70 % kinh phí được phê duyệt 280.000.000{NBSP}₫, tức 196.000.000{NBSP}₫. "
        f"Đã đề nghị 0{NBSP}₫; có thể đề nghị thêm tối đa 196.000.000{NBSP}₫."
    )
    assert not p.advances.exists()
    assert (
        request_advance(p.pk, actor=w.user("applicant"), now=at(20), amount=196_000_000).amount == 196_000_000
    )


def test_local_advance_refused_after_acceptance(w):
    p = drive(w, complete_proposal(w), "accept")
    with pytest.raises(NotAllowedFromStatus):
        request_advance(p.pk, actor=w.user("applicant"), now=at(130), amount=1_000)
    assert not p.advances.exists()


# --- national track, by group -------------------------------------------------------------------------------------


def test_national_ccn_infrastructure_waits_for_half_the_work_then_30_percent(w):
    p = national(w, ContentType.CCN_INFRASTRUCTURE)
    assert refused(p, w, 1_000) == (
        "Chưa đủ điều kiện tạm ứng: đề án này chỉ được tạm ứng sau khi đã hoàn thành trên 50 % khối lượng công "
        f"việc được hỗ trợ ({NATIONAL_BASIS}), theo báo cáo tiến độ hằng tháng; đề án chưa có báo cáo tiến độ nào."
    )
    report(p, w, 50)
    assert refused(p, w, 1_000) == (
        "Chưa đủ điều kiện tạm ứng: đề án này chỉ được tạm ứng sau khi đã hoàn thành trên 50 % khối lượng công "
        f"việc được hỗ trợ ({NATIONAL_BASIS}). Báo cáo tiến độ gần nhất (tháng 03/2026) ghi 50 %; hãy gửi báo "
        "cáo tiến độ khi đã vượt mức này."
    )
    assert not p.advances.exists()
    report(p, w, 55, month=4)
    assert refused(p, w, 300_000_001) == over_limit(30, "300.000.000")
    assert ask(p, w, 300_000_000).state == Advance.State.REQUESTED


def test_national_ccn_pollution_system_is_a_ccn_work(w):
    p = national(w, ContentType.CCN_POLLUTION)
    report(p, w, 51)
    assert refused(p, w, 300_000_001) == over_limit(30, "300.000.000")


def test_national_demonstration_model_waits_for_70_percent_of_the_investment_then_70_percent(w):
    p = national(w, ContentType.DEMONSTRATION)
    report(p, w, 70)
    assert refused(p, w, 1_000) == (
        "Chưa đủ điều kiện tạm ứng: đề án này chỉ được tạm ứng sau khi đã thực hiện trên 70 % giá trị đầu tư "
        f"({NATIONAL_BASIS}). Báo cáo tiến độ gần nhất (tháng 03/2026) ghi 70 %; hãy gửi báo cáo tiến độ khi "
        "đã vượt mức này."
    )
    report(p, w, 71, month=4)
    assert refused(p, w, 700_000_001) == over_limit(70, "700.000.000")
    assert ask(p, w, 700_000_000).amount == 700_000_000


def test_the_latest_progress_report_counts_not_the_best(w):
    p = national(w, ContentType.MACHINERY)
    report(p, w, 80, month=2)
    report(p, w, 60, month=3)  # a correction downwards
    assert "ghi 60 %" in refused(p, w, 1_000)


def test_national_training_gets_70_percent_on_the_contract(w):
    p = national(w, ContentType.TRAINING)
    assert refused(p, w, 700_000_001) == over_limit(70, "700.000.000")
    first = ask(p, w, 400_000_000)
    assert refused(p, w, 300_000_001) == over_limit(70, "700.000.000", "400.000.000", "300.000.000")
    # A refused advance frees its share.
    decide_advance(first.pk, actor=w.user("appraiser"), now=at(42), pay=False, note="Thiếu kế hoạch")
    assert ask(p, w, 700_000_000).amount == 700_000_000


def test_enterprise_setup_is_advanced_in_full_only_after_acceptance(w):
    p = national(w, ContentType.ENTERPRISE_SETUP)
    assert refused(p, w, 1_000) == (
        "Hỗ trợ thành lập doanh nghiệp chỉ được tạm ứng sau khi đề án đã được nghiệm thu và doanh nghiệp đã "
        f"đăng ký kinh doanh ({NATIONAL_BASIS})."
    )
    Proposal.objects.filter(pk=p.pk).update(status="implemented")
    assert refused(p, w, APPROVED + 1) == over_limit(100, "1.000.000.000")
    assert ask(p, w, APPROVED).amount == APPROVED


def test_national_remaining_amount_after_acceptance_up_to_100_percent(w):
    p = national(w, ContentType.FAIR)
    first = ask(p, w, 700_000_000)
    decide_advance(first.pk, actor=w.user("appraiser"), now=at(42), pay=True)
    Proposal.objects.filter(pk=p.pk).update(status="implemented")  # nghiệm thu cơ sở
    assert refused(p, w, 300_000_001) == over_limit(100, "1.000.000.000", "700.000.000", "300.000.000")
    rest = ask(p, w, 300_000_000)
    decide_advance(rest.pk, actor=w.user("appraiser"), now=at(43), pay=True)
    p.refresh_from_db()
    assert p.advanced_amount == APPROVED


@pytest.mark.parametrize("status", ["approved", "ministry_appraised", "settlement_filed"])
def test_national_advance_refused_outside_the_contract_and_acceptance(w, status):
    p = national(w, ContentType.TRAINING, status=status)
    with pytest.raises(NotAllowedFromStatus):
        ask(p, w, 1_000)
    assert not p.advances.exists()


def test_every_content_type_has_an_advance_group():
    assert set(NATIONAL_GROUP) == set(ContentType.values)
    assert check_advance_rules() == []


def test_a_broken_advance_configuration_fails_the_system_check(settings):
    rules = dict(settings.KHUYENCONG["NATIONAL_ADVANCES"])
    del rules["ccn"]
    settings.KHUYENCONG = {
        **settings.KHUYENCONG,
        "NATIONAL_ADVANCES": rules | {"standard": {"percent": 170}},
        "ADVANCE_DECIDER": {"local": "finance_officer", "national": "the_cuc"},
    }
    assert [e.id for e in check_advance_rules()] == ["workflow.E020", "workflow.E021", "workflow.E023"]


# --- who pays -----------------------------------------------------------------------------------------------------


def test_the_finance_officer_pays_a_local_advance(w):
    p = drive(w, complete_proposal(w), "approve")
    advance = request_advance(p.pk, actor=w.user("applicant"), now=at(20), amount=100_000_000)
    with pytest.raises(NotPermitted) as exc:
        decide_advance(advance.pk, actor=w.user("appraiser"), now=at(21), pay=True)
    assert str(exc.value) == "Chỉ cán bộ Sở Tài chính của tỉnh mới duyệt chi tạm ứng của đề án này."
    with pytest.raises(NotPermitted):
        decide_advance(advance.pk, actor=w.user("finance_other"), now=at(21), pay=True)
    decide_advance(advance.pk, actor=w.user("finance"), now=at(21), pay=True)
    event = TransitionEvent.objects.get(proposal=p, trigger="advance_paid")
    assert (event.role, event.actor.username, event.unit_id) == ("finance_officer", "finance", w.province.pk)


def test_the_finance_officer_does_not_pay_a_national_advance(w):
    p = national(w, ContentType.TRAINING)
    advance = ask(p, w, 100_000_000)
    with pytest.raises(NotPermitted) as exc:
        decide_advance(advance.pk, actor=w.user("finance"), now=at(42), pay=True)
    assert str(exc.value) == (
        "Chỉ chuyên viên thẩm định Sở Công Thương của tỉnh mới duyệt chi tạm ứng của đề án này."
    )
    advance.refresh_from_db()
    p.refresh_from_db()
    assert (advance.state, p.advanced_amount) == (Advance.State.REQUESTED, 0)
    assert not TransitionEvent.objects.filter(
        proposal=p, trigger__in=["advance_paid", "advance_refused"]
    ).exists()


def test_recorded_mode_the_so_records_the_cucs_payment(w):
    p = national(w, ContentType.TRAINING)
    advance = ask(p, w, 100_000_000)
    with pytest.raises(NotPermitted):
        decide_advance(advance.pk, actor=w.user("appraiser_other"), now=at(42), pay=True)
    decide_advance(advance.pk, actor=w.user("appraiser"), now=at(42), pay=True, note="UNC 15/QĐ-CCT")
    advance.refresh_from_db()
    p.refresh_from_db()
    assert (advance.state, advance.decided_by.username, p.advanced_amount) == (
        "paid",
        "appraiser",
        100_000_000,
    )
    event = TransitionEvent.objects.get(proposal=p, trigger="advance_paid")
    assert (event.role, event.unit_id, event.data["amount"]) == ("appraiser", w.province.pk, 100_000_000)


def test_in_system_mode_the_cuc_pays_and_the_so_does_not(w, settings):
    settings.KHUYENCONG = {**settings.KHUYENCONG, "NATIONAL_MODE": "in_system"}
    cuc = ministry_officer()
    p = national(w, ContentType.TRAINING)
    advance = ask(p, w, 100_000_000)
    with pytest.raises(NotPermitted) as exc:
        decide_advance(advance.pk, actor=w.user("appraiser"), now=at(42), pay=True)
    assert str(exc.value) == "Chỉ cán bộ Cục, Bộ Công Thương mới duyệt chi tạm ứng của đề án này."
    decide_advance(advance.pk, actor=cuc, now=at(42), pay=False, note="Chưa đủ chứng từ")
    advance.refresh_from_db()
    assert (advance.state, advance.decided_by_id) == ("refused", cuc.pk)
    event = TransitionEvent.objects.get(proposal=p, trigger="advance_refused")
    assert (event.role, event.unit_id, event.comment) == ("ministry_officer", None, "Chưa đủ chứng từ")


def test_the_decider_is_configurable_per_track(w, settings):
    settings.KHUYENCONG = {
        **settings.KHUYENCONG,
        "ADVANCE_DECIDER": {"local": "appraiser", "national": "ministry_side"},
    }
    p = drive(w, complete_proposal(w), "approve")
    advance = request_advance(p.pk, actor=w.user("applicant"), now=at(20), amount=100_000_000)
    with pytest.raises(NotPermitted):
        decide_advance(advance.pk, actor=w.user("finance"), now=at(21), pay=True)
    decide_advance(advance.pk, actor=w.user("appraiser"), now=at(21), pay=True)
    assert TransitionEvent.objects.get(proposal=p, trigger="advance_paid").role == "appraiser"


# --- the applicant's page -----------------------------------------------------------------------------------------


@pytest.fixture
def lan(w):
    client = Client()
    client.force_login(w.user("applicant"))
    return client


def test_the_advance_page_shows_the_rate_the_limit_and_what_is_not_met(w, lan):
    p = national(w, ContentType.CCN_INFRASTRUCTURE)
    page = lan.get(reverse("portal:advance", args=[p.pk])).content.decode()
    assert (
        f"Tổng các lần tạm ứng không vượt 30 % kinh phí được phê duyệt (1.000.000.000{NBSP}₫), tức "
        f"300.000.000{NBSP}₫." in page
    )
    assert (
        "Điều kiện: chỉ được tạm ứng sau khi đã hoàn thành trên 50 % khối lượng công việc được hỗ trợ."
        in page
    )
    assert f"Căn cứ: {NATIONAL_BASIS}." in page
    assert 'id="blocked"' in page and "đề án chưa có báo cáo tiến độ nào" in page
    r = lan.post(reverse("portal:advance", args=[p.pk]), {"amount": "100.000.000"})
    assert r.status_code == 400 and not p.advances.exists()
    assert "đề án chưa có báo cáo tiến độ nào" in r.content.decode()

    report(p, w, 60)
    page = lan.get(reverse("portal:advance", args=[p.pk])).content.decode()
    assert 'id="blocked"' not in page
    r = lan.post(reverse("portal:advance", args=[p.pk]), {"amount": "300.000.000"})
    assert r.status_code == 302 and p.advances.get().amount == 300_000_000


def test_the_local_advance_page_cites_the_local_rule(w, lan):
    p = drive(w, complete_proposal(w), "approve")
    page = lan.get(reverse("portal:advance", args=[p.pk])).content.decode()
    assert "Tổng các lần tạm ứng không vượt 70 % kinh phí được phê duyệt" in page
    assert "Căn cứ: TTLT 26/2014/TTLT-BTC-BCT Điều 8 khoản 2 điểm b." in page
    assert "Điều kiện:" not in page and 'id="blocked"' not in page
