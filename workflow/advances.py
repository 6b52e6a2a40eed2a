"""Advances (tạm ứng) per track and content type (domain.md §6.1): the share of the approved support a đề án may
have advanced, the condition the law puts before it, and the role that pays it (the body holding the budget).

The rates, thresholds and deciders are configuration (settings.KHUYENCONG: ``ADVANCE_CAP_PERCENT``,
``NATIONAL_ADVANCES``, ``NATIONAL_ADVANCE_AFTER_ACCEPTANCE_PERCENT``, ``ADVANCE_DECIDER``), read at every call;
which content type falls in which group of TT 36/2013 Điều 13 is the law's reading and lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.translation import gettext as _

from core.roles import Role
from workflow.lifecycle import MINISTRY_SIDE, Status, implementing_status, ministry_side_role
from workflow.models import ContentType, ProgressReport, Proposal

# The groups of TT 36/2013 Điều 13 (as amended by TT 17/2018): each has a rule in KHUYENCONG["NATIONAL_ADVANCES"].
CCN = "ccn"  # 30 %, after >50 % of the supported work is done
INVESTMENT = "investment"  # 70 %, after >70 % of the investment value is done
STANDARD = "standard"  # 70 % on the contract and the implementation plan
ENTERPRISE_SETUP = "enterprise_setup"  # 100 %, after acceptance and business registration
GROUPS = (CCN, INVESTMENT, STANDARD, ENTERPRISE_SETUP)

C = ContentType
# Every content type's group on the national track. Local đề án have one rule for all (TTLT 26/2014 Đ8.2.b).
NATIONAL_GROUP: dict[str, str] = {
    # Đ13 70 % list: training (file: contract + Mẫu 11 training plan); consultancy, training courses, workshops,
    # forums, study tours.
    C.TRAINING: STANDARD,
    C.MANAGEMENT: STANDARD,
    # Đ13: enterprise set-up support is advanced in full once accepted and the enterprise is registered.
    C.ENTERPRISE_SETUP: ENTERPRISE_SETUP,
    # Đ13: demonstration models and machinery / technology transfer: 70 % after >70 % of the investment value.
    C.DEMONSTRATION: INVESTMENT,
    # A demonstration model at an efficient existing cơ sở is still a demonstration model (NĐ 45 Đ4.3).
    C.REPLICATION_MODEL: INVESTMENT,
    C.MACHINERY: INVESTMENT,
    # Ambiguous: the 70 % list names "SXSH assessment" (an adviser's report), not a pilot cleaner-production
    # model. The pilot is a model built with equipment at a cơ sở (NĐ 45 Đ4.3 lists it with the demonstration
    # models), so it waits for >70 % of its investment like them.
    C.CLEANER_PRODUCTION: INVESTMENT,
    # Ambiguous: award rounds are not named in Đ13; they are events organised on a contract and a plan, like
    # fairs, with no investment to measure, so the 70 % rule of the other contents.
    C.TYPICAL_PRODUCT: STANDARD,
    C.TYPICAL_PRODUCT_REGION: STANDARD,
    C.TYPICAL_PRODUCT_NATION: STANDARD,
    # Đ13 70 % list: fairs and fair participation (domestic and overseas); showrooms; brand registration.
    C.FAIR: STANDARD,
    C.FAIR_ORGANISER: STANDARD,
    C.FAIR_OVERSEAS: STANDARD,
    C.BRAND: STANDARD,
    C.CONSULTANCY: STANDARD,
    # Đ13 70 % list: TV/radio, databases and websites, leaflets.
    C.MEDIA: STANDARD,
    # Đ13 70 % list: associations, enterprise linkage clusters, CCN detailed planning.
    C.ASSOCIATION: STANDARD,
    C.ASSOCIATION_NATIONAL: STANDARD,
    C.LINKAGE_CLUSTER: STANDARD,
    C.CCN_PLANNING: STANDARD,
    # Đ13 (TT 17/2018): pollution systems at a cơ sở go with the machinery (70 % after >70 % of the investment);
    # CCN infrastructure and the repair/upgrade of a CCN's pollution system: 30 % after >50 % of the work.
    C.POLLUTION_TREATMENT: INVESTMENT,
    C.CCN_POLLUTION: CCN,
    C.CCN_INFRASTRUCTURE: CCN,
    # Ambiguous: an interest subsidy on relocation loans is not named in Đ13; it has no works to measure, so the
    # rule of the other contents (the Cục may set another, TT 36 Đ16).
    C.RELOCATION_INTEREST: STANDARD,
    C.INTERNATIONAL: STANDARD,
    # Ambiguous: digital transformation (NĐ 235/2025) came after TT 36; mostly consultancy and training, so the
    # rule of the other contents. A đề án that is mainly equipment is a machinery đề án.
    C.DIGITAL: STANDARD,
    C.CAPACITY: STANDARD,
    C.OVERHEAD_AGENCY: STANDARD,
    C.OVERHEAD_UNIT: STANDARD,
}

LOCAL_BASIS = "TTLT 26/2014/TTLT-BTC-BCT Điều 8 khoản 2 điểm b"
NATIONAL_BASIS = "TT 36/2013/TT-BCT Điều 13, sửa đổi bởi TT 17/2018/TT-BCT"
REMAINDER_BASIS = "TT 36/2013/TT-BCT Điều 14"


def national_rule(content_type: str) -> dict:
    return settings.KHUYENCONG["NATIONAL_ADVANCES"][NATIONAL_GROUP.get(content_type, STANDARD)]


@dataclass(frozen=True)
class AdvanceTerms:
    """What a đề án may have advanced now: ``percent`` of the approved support, ``limit`` in đồng, on the law
    ``basis``; ``condition`` is what the law asks first ("" when nothing beyond the contract), ``unmet`` why no
    advance may be asked now ("" when one may)."""

    percent: int
    limit: int
    basis: str
    condition: str = ""
    unmet: str = ""


def _condition(content_type: str) -> str:
    rule = national_rule(content_type)
    group = NATIONAL_GROUP.get(content_type, STANDARD)
    if rule.get("after_acceptance"):
        return _("sau khi đề án đã được nghiệm thu và doanh nghiệp đã đăng ký kinh doanh")
    if rule.get("progress_over") is None:
        return ""
    if group == INVESTMENT:
        return _("sau khi đã thực hiện trên %(pct)s %% giá trị đầu tư") % {"pct": rule["progress_over"]}
    return _("sau khi đã hoàn thành trên %(pct)s %% khối lượng công việc được hỗ trợ") % {
        "pct": rule["progress_over"]
    }


_UNREAD: Any = object()


def advance_terms(proposal: Proposal, *, latest_report: ProgressReport | None = _UNREAD) -> AdvanceTerms:
    """The advance terms of ``proposal`` in its current status. ``latest_report`` (None: there is none) is read
    when not given."""
    approved = proposal.approved_amount or 0
    if proposal.funding_kind != "national":
        pct = settings.KHUYENCONG["ADVANCE_CAP_PERCENT"]
        unmet = ""
        if proposal.status != implementing_status(proposal.funding_kind):
            unmet = _("Chỉ thực hiện được khi đề án đã được phê duyệt và đang thực hiện.")
        return AdvanceTerms(pct, approved * pct // 100, LOCAL_BASIS, unmet=unmet)

    rule = national_rule(proposal.content_type)
    condition = _condition(proposal.content_type)
    if proposal.status == Status.IMPLEMENTED:
        # After nghiệm thu cơ sở: the rest, up to the after-acceptance share (or the group's own, if larger).
        pct = max(settings.KHUYENCONG["NATIONAL_ADVANCE_AFTER_ACCEPTANCE_PERCENT"], rule["percent"])
        basis = NATIONAL_BASIS if rule.get("after_acceptance") else REMAINDER_BASIS
        return AdvanceTerms(pct, approved * pct // 100, basis, condition)
    pct = rule["percent"]
    unmet = _national_unmet(proposal, rule, condition, latest_report)
    return AdvanceTerms(pct, approved * pct // 100, NATIONAL_BASIS, condition, unmet)


def _national_unmet(proposal: Proposal, rule: dict, condition: str, report: ProgressReport | None) -> str:
    """Why a national đề án not yet accepted may not ask for an advance now ("" when it may)."""
    if proposal.status != implementing_status(proposal.funding_kind):
        return _(
            "Chỉ đề nghị tạm ứng được khi đề án đã ký hợp đồng và đang thực hiện, hoặc sau khi đã nghiệm thu cơ sở."
        )
    if rule.get("after_acceptance"):
        return _("Hỗ trợ thành lập doanh nghiệp chỉ được tạm ứng %(condition)s (%(basis)s).") % {
            "condition": condition,
            "basis": NATIONAL_BASIS,
        }
    if rule.get("progress_over") is None:
        return ""
    if report is _UNREAD:
        report = proposal.progress_reports.order_by("-period").first()
    if report is None:
        return _(
            "Chưa đủ điều kiện tạm ứng: đề án này chỉ được tạm ứng %(condition)s (%(basis)s), theo báo cáo "
            "tiến độ hằng tháng; đề án chưa có báo cáo tiến độ nào."
        ) % {"condition": condition, "basis": NATIONAL_BASIS}
    if report.percent_complete <= rule["progress_over"]:
        return _(
            "Chưa đủ điều kiện tạm ứng: đề án này chỉ được tạm ứng %(condition)s (%(basis)s). Báo cáo tiến độ "
            "gần nhất (tháng %(month)s) ghi %(done)s %%; hãy gửi báo cáo tiến độ khi đã vượt mức này."
        ) % {
            "condition": condition,
            "basis": NATIONAL_BASIS,
            "month": report.period.strftime("%m/%Y"),
            "done": report.percent_complete,
        }
    return ""


def decider_role(track: str) -> str:
    """The role that pays or refuses an advance of a đề án of ``track``: the body holding the budget (local: the
    Sở Tài chính via the KBNN; national: the Cục, or the Sở Công Thương recording the Cục's payment)."""
    value = settings.KHUYENCONG["ADVANCE_DECIDER"].get(track, MINISTRY_SIDE if track == "national" else "")
    return ministry_side_role() if value == MINISTRY_SIDE else str(value)


def check_advance_rules() -> list[checks.CheckMessage]:
    """The advance configuration is complete and sane (registered in workflow/checks.py)."""
    errors: list[checks.CheckMessage] = []
    kc = settings.KHUYENCONG
    rules = kc.get("NATIONAL_ADVANCES", {})
    percents = [("ADVANCE_CAP_PERCENT", kc.get("ADVANCE_CAP_PERCENT"))]
    percents.append(
        ("NATIONAL_ADVANCE_AFTER_ACCEPTANCE_PERCENT", kc.get("NATIONAL_ADVANCE_AFTER_ACCEPTANCE_PERCENT"))
    )
    for group in GROUPS:
        rule = rules.get(group)
        if not isinstance(rule, dict):
            errors.append(checks.Error(f"NATIONAL_ADVANCES has no rule for {group!r}.", id="workflow.E020"))
            continue
        percents.append((f"NATIONAL_ADVANCES[{group!r}]['percent']", rule.get("percent")))
        if rule.get("progress_over") is not None:
            percents.append((f"NATIONAL_ADVANCES[{group!r}]['progress_over']", rule.get("progress_over")))
    for name, value in percents:
        if not isinstance(value, int) or not 0 <= value <= 100:
            errors.append(
                checks.Error(f"{name} must be a whole percent 0–100, not {value!r}.", id="workflow.E021")
            )
    missing = set(ContentType.values) - set(NATIONAL_GROUP)
    if missing:
        errors.append(
            checks.Error(f"Content types with no advance group: {sorted(missing)}.", id="workflow.E022")
        )
    valid = set(Role.values) | {MINISTRY_SIDE}
    for track in ("local", "national"):
        value = kc.get("ADVANCE_DECIDER", {}).get(track)
        if value not in valid:
            errors.append(
                checks.Error(
                    f"ADVANCE_DECIDER[{track!r}] must be a role or 'ministry_side', not {value!r}.",
                    id="workflow.E023",
                )
            )
    return errors
