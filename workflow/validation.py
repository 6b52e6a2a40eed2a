"""Dossier checks before lodging: what is missing, and whether the requested support fits the caps.

Pure reads; every message is a sentence an applicant can act on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from core.money import format_vnd
from workflow.models import AttachmentRequirement, Proposal, SupportCap
from workflow.models.choices import AttachmentKind

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
    percent_cap: int | None
    max_amount: int | None  # after the priority multiplier
    multiplied: bool
    support: int
    total: int
    fits: bool


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
    return (provincial or rows or [None])[0]


def _amounts(proposal: Proposal) -> tuple[int, int]:
    support = total = 0
    for line in proposal.budget_lines.all():
        support += line.national_amount + line.local_amount
        total += line.national_amount + line.local_amount + line.counterpart_amount
    return support, total


def cap_summary(proposal: Proposal, *, on: dt.date) -> CapSummary | None:
    cap = applicable_cap(proposal, on=on)
    if cap is None:
        return None
    support, total = _amounts(proposal)
    multiplied = proposal.priority_area or proposal.priority_sector or proposal.is_production_line
    max_amount = cap.max_amount
    if max_amount is not None and multiplied:
        max_amount = max_amount * cap.priority_multiplier_percent // 100
    fits = (cap.percent_cap is None or support * 100 <= cap.percent_cap * total) and (
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
    )


def cap_problems(proposal: Proposal, *, on: dt.date) -> list[str]:
    s = cap_summary(proposal, on=on)
    if s is None or s.fits:
        return []
    problems = []
    if s.percent_cap is not None and s.support * 100 > s.percent_cap * s.total:
        problems.append(
            _(
                "Kinh phí đề nghị hỗ trợ %(support)s vượt %(pct)s %% tổng kinh phí đề án (%(total)s), tức tối đa "
                "%(limit)s cho nội dung “%(content)s” (%(regulation)s)."
            )
            % {
                "support": format_vnd(s.support),
                "pct": s.percent_cap,
                "total": format_vnd(s.total),
                "limit": format_vnd(s.percent_cap * s.total // 100),
                "content": s.content_type_label,
                "regulation": s.regulation,
            }
        )
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
    return problems


def missing_parts(proposal: Proposal) -> list[MissingPart]:
    missing = []
    for field, anchor in SECTIONS:
        if not str(getattr(proposal, field) or "").strip():
            label = Proposal._meta.get_field(field).verbose_name
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
