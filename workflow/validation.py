"""Dossier checks before lodging: what is missing, and whether the requested support fits the caps.

Pure reads; every message is a sentence an applicant can act on. The caps are the SupportCap rows (admin →
Mức chi hỗ trợ; defaults in migrations 0002 and 0008, docs/configuration.md): a content type with no row in force
is refused until one is configured.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.core.exceptions import ValidationError
from django.db.models import F, Field, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.models import Organisation
from core.money import format_vnd
from workflow.lifecycle import Status
from workflow.models import AttachmentRequirement, BudgetLine, Proposal, SupportCap
from workflow.models.choices import AttachmentKind, CapBasis, ContentType, FundingKind

SECTIONS = (
    ("partners", "section-partners"),
    ("need", "section-need"),
    ("objectives", "section-objectives"),
    ("scale", "section-scale"),
    ("content_plan", "section-content-plan"),
    ("organisation_plan", "section-organisation-plan"),
    ("effectiveness", "section-effectiveness"),
)


# The database's check constraint "proposal_plan_year" (workflow/models/dossier.py): a year outside it would be
# a server error when stored, or the constraint's English name shown to the user.
PLAN_YEAR_MIN, PLAN_YEAR_MAX = 2000, 2100


def validate_plan_year(value) -> None:
    """For the portal's forms and the API's serializer."""
    if value is not None and not PLAN_YEAR_MIN <= value <= PLAN_YEAR_MAX:
        raise ValidationError(
            _("Năm kế hoạch phải từ %(min)d đến %(max)d."),
            code="plan_year",
            params={"min": PLAN_YEAR_MIN, "max": PLAN_YEAR_MAX},
        )


@dataclass(frozen=True)
class MissingPart:
    code: str
    message: str
    anchor: str


@dataclass(frozen=True)
class CapSummary:
    content_type_label: str
    regulation: str
    percent_cap: int | Decimal | None
    max_amount: int | None  # after the priority multiplier
    multiplied: bool
    support: int
    total: int
    fits: bool  # the amounts only; the yearly number of đề án per cơ sở is checked by cap_problems
    basis: int  # what percent_cap is taken of: ``total`` unless the cap says otherwise (CapBasis)
    basis_label: str


# TT 28/2018/TT-BTC Điều 8 khoản 4: a technology line (dây chuyền công nghệ) lifts the machinery cap by up to 1.5×
# (300 → 450 trđ); on any other content the flag lifts nothing. Priority areas and sectors lift every cap.
PRODUCTION_LINE_CONTENT_TYPES = frozenset({ContentType.MACHINERY})

# Đề án that count towards a year's money and a cơ sở's yearly number: lodged or further, not refused or withdrawn.
NOT_COUNTED = (Status.DRAFTED, Status.REJECTED, Status.WITHDRAWN)


def applicable_cap(proposal: Proposal, *, on: dt.date) -> SupportCap | None:
    """The cap in force on ``on``: the province's own row wins over the national row."""
    caps = (
        SupportCap.objects.filter(content_type=proposal.content_type, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .filter(Q(funding_kind="") | Q(funding_kind=proposal.funding_kind))
        .filter(Q(province__isnull=True) | Q(province_id=proposal.province_id))
        .order_by(
            "province_id", "-effective_from"
        )  # NULL (national) sorts last in PostgreSQL ascending order
    )
    rows = list(caps)
    provincial = [c for c in rows if c.province_id is not None]
    chosen = provincial or rows
    return chosen[0] if chosen else None


def _amounts(proposal: Proposal) -> tuple[int, int]:
    support = total = 0
    for line in proposal.budget_lines.all():
        support += line.national_amount + line.local_amount
        total += line.national_amount + line.local_amount + line.counterpart_amount
    return support, total


def _counted_others(proposal: Proposal):
    return (
        Proposal.objects.filter(plan_year=proposal.plan_year)
        .exclude(status__in=NOT_COUNTED)
        .exclude(pk=proposal.pk)
    )


def _basis(proposal: Proposal, cap: SupportCap, total: int) -> int:
    """The amount ``cap.percent_cap`` is taken of. For the overhead lines, the year's money of the other đề án;
    the overhead đề án themselves (any content type capped on such a basis) are not part of it."""
    if cap.percent_basis == CapBasis.PROJECT:
        return total
    overhead = SupportCap.objects.exclude(percent_basis=CapBasis.PROJECT).values("content_type")
    others = _counted_others(proposal).exclude(content_type__in=overhead)
    if cap.percent_basis == CapBasis.PROVINCE_YEAR:
        column = "national_amount" if proposal.funding_kind == FundingKind.NATIONAL else "local_amount"
        lines = BudgetLine.objects.filter(proposal__in=others.filter(province_id=proposal.province_id))
        return lines.aggregate(s=Coalesce(Sum(column), 0))["s"]
    lines = BudgetLine.objects.filter(
        proposal__in=others.filter(implementing_org_id=proposal.implementing_org_id)
    )
    return lines.aggregate(
        s=Coalesce(Sum(F("national_amount") + F("local_amount") + F("counterpart_amount")), 0)
    )["s"]


def percent_of(amount: int, pct: int | Decimal) -> int:
    """``pct`` % of ``amount`` in whole đồng, rounded down (the most a percentage cap allows)."""
    return int(amount * pct // 100)


def percent_text(pct: int | Decimal) -> str:
    """50 → "50", Decimal("1.5") → "1,5" (Vietnamese decimal comma)."""
    return str(pct).replace(".", ",")


def _summary(proposal: Proposal, cap: SupportCap) -> CapSummary:
    support, total = _amounts(proposal)
    line = proposal.is_production_line and proposal.content_type in PRODUCTION_LINE_CONTENT_TYPES
    multiplied = bool(proposal.priority_area or proposal.priority_sector or line)
    max_amount = cap.max_amount
    if max_amount is not None and multiplied:
        max_amount = max_amount * cap.priority_multiplier_percent // 100
    basis = _basis(proposal, cap, total) if cap.percent_cap is not None else total
    fits = (cap.percent_cap is None or support <= percent_of(basis, cap.percent_cap)) and (
        max_amount is None or support <= max_amount
    )
    return CapSummary(
        proposal.get_content_type_display(),
        cap.regulation,
        cap.percent_cap,
        max_amount,
        multiplied,
        support,
        total,
        fits,
        basis,
        str(CapBasis(cap.percent_basis).label),
    )


def cap_summary(proposal: Proposal, *, on: dt.date) -> CapSummary | None:
    cap = applicable_cap(proposal, on=on)
    return None if cap is None else _summary(proposal, cap)


def supported_establishment(proposal: Proposal) -> Organisation | None:
    """The cơ sở a đề án supports: its beneficiary, else the implementing unit when it is the cơ sở itself; None
    for a group đề án (beneficiaries fixed later) or one run by a public service unit (the Trung tâm)."""
    if proposal.beneficiary_id:
        return proposal.beneficiary
    org = proposal.implementing_org
    if proposal.is_group or org.kind == Organisation.Kind.PUBLIC_SERVICE:
        return None
    return org


def _yearly_count_problem(proposal: Proposal, cap: SupportCap) -> str | None:
    if cap.max_per_year is None:
        return None
    org = supported_establishment(proposal)
    if org is None:
        return None
    count = (
        _counted_others(proposal)
        .filter(content_type=proposal.content_type)
        .filter(Q(beneficiary=org) | Q(beneficiary__isnull=True, is_group=False, implementing_org=org))
        .count()
    )
    if count < cap.max_per_year:
        return None
    return _(
        "Cơ sở “%(org)s” đã có %(count)d đề án nội dung “%(content)s” trong năm kế hoạch %(year)d; tối đa "
        "%(max)d lần mỗi năm cho một cơ sở (%(regulation)s)."
    ) % {
        "org": org.name,
        "count": count,
        "content": proposal.get_content_type_display(),
        "year": proposal.plan_year,
        "max": cap.max_per_year,
        "regulation": cap.regulation,
    }


def cap_problems(proposal: Proposal, *, on: dt.date) -> list[str]:
    """What keeps the requested support from lodging: over a cap, over the yearly number, or no cap at all (a
    content type is lodged only against a cap the province has configured, even one without a ceiling)."""
    cap = applicable_cap(proposal, on=on)
    if cap is None:
        return [
            _(
                "Chưa có mức hỗ trợ tối đa cho nội dung “%(content)s” (nguồn %(funding)s) có hiệu lực ngày "
                "%(date)s; đề nghị quản trị hệ thống cấu hình mức chi hỗ trợ (Quản trị → Mức chi hỗ trợ)."
            )
            % {
                "content": proposal.get_content_type_display(),
                "funding": proposal.get_funding_kind_display(),
                "date": on.strftime("%d/%m/%Y"),
            }
        ]
    s = _summary(proposal, cap)
    problems = []
    if s.percent_cap is not None and s.support > percent_of(s.basis, s.percent_cap):
        values = {
            "support": format_vnd(s.support),
            "pct": percent_text(s.percent_cap),
            "total": format_vnd(s.basis),
            "limit": format_vnd(percent_of(s.basis, s.percent_cap)),
            "content": s.content_type_label,
            "regulation": s.regulation,
        }
        if cap.percent_basis == CapBasis.PROJECT:
            message = _(
                "Kinh phí đề nghị hỗ trợ %(support)s vượt %(pct)s %% tổng kinh phí đề án (%(total)s), tức tối đa "
                "%(limit)s cho nội dung “%(content)s” (%(regulation)s)."
            )
        else:
            values["basis"] = s.basis_label
            message = _(
                "Kinh phí đề nghị hỗ trợ %(support)s vượt %(pct)s %% %(basis)s (%(total)s), tức tối đa %(limit)s "
                "cho nội dung “%(content)s” (%(regulation)s)."
            )
        problems.append(message % values)
    if s.max_amount is not None and s.support > s.max_amount:
        problems.append(
            _(
                "Kinh phí đề nghị hỗ trợ %(support)s vượt mức tối đa %(max)s cho nội dung “%(content)s”%(extra)s "
                "(%(regulation)s)."
            )
            % {
                "support": format_vnd(s.support),
                "max": format_vnd(s.max_amount),
                "content": s.content_type_label,
                "extra": _(", đã tính hệ số ưu tiên") if s.multiplied else "",
                "regulation": s.regulation,
            }
        )
    count_problem = _yearly_count_problem(proposal, cap)
    if count_problem:
        problems.append(count_problem)
    return problems


def missing_parts(proposal: Proposal) -> list[MissingPart]:
    missing = []
    for field, anchor in SECTIONS:
        if not str(getattr(proposal, field) or "").strip():
            label = cast(Field, Proposal._meta.get_field(field)).verbose_name  # a section: a text field
            missing.append(MissingPart(field, _("Chưa có mục “%(section)s”.") % {"section": label}, anchor))
    if not proposal.commune_id and not proposal.district_id:
        missing.append(
            MissingPart("location", _("Chưa chọn địa bàn thực hiện (xã hoặc huyện)."), "section-location")
        )
    if not proposal.work_items.exists():
        missing.append(MissingPart("work_items", _("Chưa có nội dung công việc và tiến độ."), "work-items"))
    support, total = _amounts(proposal)
    if total <= 0:
        missing.append(MissingPart("budget", _("Chưa có dòng dự toán kinh phí nào."), "budget"))
    have = set(proposal.attachments.values_list("kind", flat=True))
    required = AttachmentRequirement.objects.filter(
        Q(content_type="") | Q(content_type=proposal.content_type)
    )
    labels = dict(AttachmentKind.choices)
    for kind in sorted(set(required.values_list("kind", flat=True)) - have):
        missing.append(
            MissingPart(
                f"attachment-{kind}",
                _("Thiếu tài liệu đính kèm: %(kind)s.") % {"kind": labels[kind]},
                f"attachment-{kind}",
            )
        )
    return missing
