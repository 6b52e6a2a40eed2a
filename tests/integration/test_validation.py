"""The dossier checks before lodging (journeys.md §1): support caps and missing parts."""

import datetime as dt

import pytest

from core.money import format_vnd
from workflow.models import BudgetLine, Proposal, SupportCap
from workflow.validation import cap_problems, cap_summary, missing_parts

from .world import build_world, complete_proposal

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def w():
    return build_world()


def test_chi_lans_machinery_request_fits():
    w = build_world()
    p = complete_proposal(w, support=300_000_000, total=620_000_000)
    assert cap_problems(p, on=TODAY) == []
    s = cap_summary(p, on=TODAY)
    assert (s.percent_cap, s.max_amount, s.support, s.total, s.fits) == (
        50,
        300_000_000,
        300_000_000,
        620_000_000,
        True,
    )


def test_over_the_absolute_cap_names_the_cap_and_regulation(w):
    p = complete_proposal(w, support=310_000_000, total=620_000_000)
    assert cap_problems(p, on=TODAY) == [
        f"Kinh phí đề nghị hỗ trợ {format_vnd(310_000_000)} vượt mức tối đa {format_vnd(300_000_000)} cho nội dung "
        "“3. Ứng dụng máy móc thiết bị tiên tiến, chuyển giao công nghệ” (Thông tư 28/2018/TT-BTC Điều 8 khoản 4 "
        "(dây chuyền công nghệ: tối đa 1,5 lần))."
    ]


def test_a_production_line_lifts_the_cap_to_450_million(w):
    p = complete_proposal(w, support=450_000_000, total=1_000_000_000)
    assert len(cap_problems(p, on=TODAY)) == 1
    p.is_production_line = True
    p.save(update_fields=["is_production_line"])
    assert cap_problems(p, on=TODAY) == []
    assert cap_summary(p, on=TODAY).max_amount == 450_000_000


@pytest.mark.parametrize(
    ("content_type", "support", "total", "maximum", "label"),
    [
        (
            "demonstration",
            1_200_000_000,
            4_000_000_000,
            1_000_000_000,
            "3. Mô hình trình diễn kỹ thuật sản xuất sản phẩm mới, công nghệ mới",
        ),
        ("brand", 40_000_000, 100_000_000, 35_000_000, "4. Xây dựng, đăng ký thương hiệu"),
        (
            "ccn_infrastructure",
            7_000_000_000,
            9_000_000_000,
            6_000_000_000,
            "7. Đầu tư hạ tầng cụm công nghiệp",
        ),
    ],
)
def test_a_production_line_lifts_only_the_machinery_cap(w, content_type, support, total, maximum, label):
    """TT 28/2018 Điều 8 khoản 4: the 1.5× for a technology line belongs to the machinery line only."""
    p = complete_proposal(w, support=support, total=total)
    Proposal.objects.filter(pk=p.pk).update(content_type=content_type, is_production_line=True)
    p.refresh_from_db()
    [problem] = cap_problems(p, on=TODAY)
    assert f"vượt mức tối đa {format_vnd(maximum)} cho nội dung “{label}” (" in problem
    assert "hệ số ưu tiên" not in problem
    s = cap_summary(p, on=TODAY)
    assert (s.max_amount, s.multiplied, s.fits) == (maximum, False, False)


@pytest.mark.parametrize("flag", ["priority_area", "priority_sector"])
def test_a_priority_area_or_sector_still_lifts_every_cap(w, flag):
    p = complete_proposal(w, support=1_200_000_000, total=4_000_000_000)
    Proposal.objects.filter(pk=p.pk).update(content_type="demonstration", **{flag: True})
    p.refresh_from_db()
    assert cap_problems(p, on=TODAY) == []
    s = cap_summary(p, on=TODAY)
    assert (s.max_amount, s.multiplied, s.fits) == (1_500_000_000, True, True)


def test_a_priority_machinery_line_is_lifted_once_not_twice(w):
    p = complete_proposal(w, support=460_000_000, total=1_000_000_000)
    Proposal.objects.filter(pk=p.pk).update(is_production_line=True, priority_area=True)
    p.refresh_from_db()
    assert cap_summary(p, on=TODAY).max_amount == 450_000_000
    assert len(cap_problems(p, on=TODAY)) == 1


def test_the_fifty_percent_rule(w):
    p = complete_proposal(w, support=200_000_000, total=300_000_000)
    problems = cap_problems(p, on=TODAY)
    assert len(problems) == 1
    assert (
        f"vượt 50 % tổng kinh phí đề án ({format_vnd(300_000_000)}), tức tối đa {format_vnd(150_000_000)}"
        in problems[0]
    )


def test_province_cap_overrides_the_national_one_and_expired_caps_are_ignored(w):
    p = complete_proposal(w, support=300_000_000, total=620_000_000)
    SupportCap.objects.create(
        content_type="machinery",
        province=w.province,
        percent_cap=50,
        max_amount=250_000_000,
        regulation="NQ tỉnh",
        effective_from=dt.date(2026, 1, 1),
    )
    assert "vượt mức tối đa 250.000.000" in cap_problems(p, on=TODAY)[0]
    SupportCap.objects.filter(regulation="NQ tỉnh").update(effective_to=dt.date(2026, 2, 28))
    assert cap_problems(p, on=TODAY) == []


def test_missing_parts_lists_exactly_what_is_missing(w):
    p = complete_proposal(w)
    assert missing_parts(p) == []
    p.objectives = " "
    p.save(update_fields=["objectives"])
    p.work_items.all().delete()
    BudgetLine.objects.filter(proposal=p).delete()
    p.attachments.filter(kind="quote").delete()
    parts = missing_parts(p)
    assert [(m.code, m.anchor) for m in parts] == [
        ("objectives", "section-objectives"),
        ("work_items", "work-items"),
        ("budget", "budget"),
        ("attachment-quote", "attachment-quote"),
    ]
    assert parts[0].message == "Chưa có mục “3. Mục tiêu”."
    assert parts[3].message == "Thiếu tài liệu đính kèm: Báo giá, thông số kỹ thuật máy móc thiết bị."
