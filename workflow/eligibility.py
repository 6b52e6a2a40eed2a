"""Who and where khuyến công may support, and the funding conditions, checked when a đề án is lodged
(domain.md §4.2, §2.2 "Funding conditions").

Pure reads; every message is a sentence the applicant can act on. The rules are those in force on the day of the
**first** lodging: Nghị định 45/2012/NĐ-CP (with Thông tư 46/2012/TT-BCT) until 14/10/2025, Nghị định
235/2025/NĐ-CP from 15/10/2025. A đề án returned for revision and lodged again keeps the rules of its first lodging
(``Proposal.lodged_at``): it was prepared and reviewed under them, and a change of rules while it is under review
neither admits nor excludes it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _

from core.calendar import VN_TZ
from core.models import Organisation
from core.money import format_vnd
from core.places import PlaceKind, is_centrally_run_city, place_kind
from workflow.models import Proposal
from workflow.models.choices import BrickKilnTechnology, ContentType, Sector
from workflow.validation import supported_establishment

ND235_FROM = dt.date(2025, 10, 15)  # Nghị định 235/2025/NĐ-CP in force; Nghị định 45/2012/NĐ-CP before

Kind = Organisation.Kind
RURAL_INDUSTRY = (Kind.SME, Kind.COOPERATIVE_GROUP, Kind.COOPERATIVE, Kind.HOUSEHOLD)
# NĐ 235/2025 adds unions of cooperatives to the rural industrial establishments NĐ 45/2012 Điều 2 named.
RURAL_INDUSTRY_ND235 = (*RURAL_INDUSTRY, Kind.COOPERATIVE_UNION)

# A public service unit (the Trung tâm Khuyến công …) implements đề án but is not a rural industrial
# establishment, so it is not the beneficiary of support given to a cơ sở. NĐ 45/2012 Điều 2 (and NĐ 235/2025)
# also count those who manage and provide khuyến công services: where the đề án is such a service — training and
# information for the public, the programme's management and overhead, fairs and award rounds the unit organises,
# international cooperation, a CCN's detailed plan — the unit may itself be named the beneficiary.
SERVICE_CONTENT_TYPES = frozenset(
    {
        ContentType.TRAINING,
        ContentType.MANAGEMENT,
        ContentType.MEDIA,
        ContentType.CAPACITY,
        ContentType.OVERHEAD_AGENCY,
        ContentType.OVERHEAD_UNIT,
        ContentType.FAIR_ORGANISER,
        ContentType.TYPICAL_PRODUCT,
        ContentType.TYPICAL_PRODUCT_REGION,
        ContentType.TYPICAL_PRODUCT_NATION,
        ContentType.INTERNATIONAL,
        ContentType.CCN_PLANNING,
    }
)

# Establishments applying cleaner production (and treating their pollution) have no size or location limit
# (NĐ 45/2012 Điều 2; TT 46/2012 Điều 3; domain.md §4.2).
CLEANER_PRODUCTION_CONTENT_TYPES = frozenset(
    {ContentType.CLEANER_PRODUCTION, ContentType.POLLUTION_TREATMENT}
)

# TT 46/2012/TT-BCT Điều 5: no support for fired-clay bricks from polluting kilns.
EXCLUDED_KILNS = frozenset({BrickKilnTechnology.HOFFMANN, BrickKilnTechnology.MANUAL_IMPROVED})

FUNDING_CONDITIONS = "Thông tư 28/2018/TT-BTC, Thông tư liên tịch 26/2014/TTLT-BTC-BCT Điều 7"


def rules_day(proposal: Proposal, *, on: dt.date) -> dt.date:
    """The day whose rules apply: the first lodging's (Vietnam time), else ``on`` (the lodging under way)."""
    if proposal.lodged_at is not None:
        return proposal.lodged_at.astimezone(VN_TZ).date()
    return on


def eligibility_problems(proposal: Proposal, *, on: dt.date) -> list[str]:
    """Every reason the đề án may not be supported under the rules of its first lodging (``on`` for a first
    lodging): the beneficiary's kind and size, the place, the sector, the brick-kiln exclusion and the funding
    conditions the applicant commits to."""
    new_rules = rules_day(proposal, on=on) >= ND235_FROM
    org = supported_establishment(proposal)
    problems: list[str] = []
    if org is not None:
        problems += _kind_problems(proposal, org, new_rules=new_rules)
        problems += _size_problems(proposal, org)
    problems += _location_problems(proposal, new_rules=new_rules)
    if proposal.sector not in Sector.values:
        problems.append(
            _(
                "Chưa chọn ngành nghề của đề án trong danh mục ngành nghề được hưởng chính sách khuyến công "
                "(Nghị định 45/2012/NĐ-CP Điều 5)."
            )
        )
    if proposal.brick_kiln_technology in EXCLUDED_KILNS:
        label = str(BrickKilnTechnology(proposal.brick_kiln_technology).label)
        problems.append(
            _(
                "Không hỗ trợ cơ sở sản xuất %(technology)s: công nghệ gây ô nhiễm môi trường (Thông tư "
                "46/2012/TT-BCT Điều 5); khuyến công ưu tiên sản xuất vật liệu xây không nung."
            )
            % {"technology": label[:1].lower() + label[1:]}
        )
    problems += _funding_condition_problems(proposal)
    return problems


def _eligible_kinds(new_rules: bool) -> tuple[str, ...]:
    return RURAL_INDUSTRY_ND235 if new_rules else RURAL_INDUSTRY


def _kinds_text(new_rules: bool) -> str:
    return ", ".join(str(Kind(k).label).lower() for k in _eligible_kinds(new_rules))


def _kind_problems(proposal: Proposal, org: Organisation, *, new_rules: bool) -> list[str]:
    if org.kind in _eligible_kinds(new_rules):
        return []
    if org.kind == Kind.PUBLIC_SERVICE:
        if proposal.content_type in SERVICE_CONTENT_TYPES:
            return []
        return [
            _(
                "“%(org)s” là đơn vị sự nghiệp công lập, không phải đối tượng thụ hưởng của nội dung "
                "“%(content)s”: chỉ hỗ trợ trực tiếp cho %(kinds)s. Hãy ghi đơn vị thụ hưởng là cơ sở được hỗ trợ."
            )
            % {
                "org": org.name,
                "content": proposal.get_content_type_display(),
                "kinds": _kinds_text(new_rules),
            }
        ]
    if org.kind == Kind.COOPERATIVE_UNION:
        return [
            _(
                "Liên hiệp hợp tác xã “%(org)s” chưa là đối tượng được hỗ trợ theo Nghị định 45/2012/NĐ-CP, áp "
                "dụng cho đề án nộp lần đầu trước ngày 15/10/2025; liên hiệp hợp tác xã được hỗ trợ từ ngày "
                "15/10/2025 (Nghị định 235/2025/NĐ-CP)."
            )
            % {"org": org.name}
        ]
    return [
        _("“%(org)s” (%(kind)s) không phải đối tượng được hỗ trợ: chỉ hỗ trợ %(kinds)s.")
        % {"org": org.name, "kind": org.get_kind_display(), "kinds": _kinds_text(new_rules)}
    ]


def _size_problems(proposal: Proposal, org: Organisation) -> list[str]:
    """An enterprise is supported only while small or medium: total capital or yearly average workers within
    settings.KHUYENCONG's limits, either suffices (NĐ 45/2012 Điều 2; domain.md §2.2)."""
    if org.kind != Kind.SME or proposal.content_type in CLEANER_PRODUCTION_CONTENT_TYPES:
        return []
    max_capital = settings.KHUYENCONG["SME_MAX_CAPITAL"]
    max_workers = settings.KHUYENCONG["SME_MAX_WORKERS"]
    capital, workers = proposal.beneficiary_capital, proposal.beneficiary_workers
    limits = {"org": org.name, "capital": format_vnd(max_capital), "workers": max_workers}
    if capital is None and workers is None:
        return [
            _(
                "Chưa kê khai tổng nguồn vốn hoặc số lao động bình quân năm của doanh nghiệp “%(org)s”: cần ít "
                "nhất một trong hai để xác định doanh nghiệp nhỏ và vừa (tổng nguồn vốn không quá %(capital)s "
                "hoặc không quá %(workers)d lao động)."
            )
            % limits
        ]
    if (capital is not None and capital <= max_capital) or (workers is not None and workers <= max_workers):
        return []
    declared = []
    if capital is not None:
        declared.append(_("tổng nguồn vốn %(amount)s") % {"amount": format_vnd(capital)})
    if workers is not None:
        declared.append(_("%(n)d lao động bình quân năm") % {"n": workers})
    return [
        _(
            "Doanh nghiệp “%(org)s” không phải doanh nghiệp nhỏ và vừa theo số liệu kê khai (%(declared)s): cần "
            "tổng nguồn vốn không quá %(capital)s hoặc không quá %(workers)d lao động bình quân năm."
        )
        % {**limits, "declared": "; ".join(declared)}
    ]


def _location_problems(proposal: Proposal, *, new_rules: bool) -> list[str]:
    """The inner city of a centrally-run city is not supported.

    From 15/10/2025 (NĐ 235/2025): communes, wards and special zones of a province; communes and special zones,
    not wards, of a centrally-run city. Before (NĐ 45/2012 Điều 2): huyện, thị xã, thị trấn, xã, and wards of
    grade-2 and grade-3 cities. The unit data holds no city grade, so the old rule is simplified to: a ward of a
    centrally-run city is refused unless it lies in a thị xã (Sơn Tây of Hà Nội, the thị xã of Huế); a ward of a
    province's city is accepted, grade 1 included. Under both rules a đề án placed only in a quận (made of a
    centrally-run city's wards) is refused."""
    if proposal.content_type in CLEANER_PRODUCTION_CONTENT_TYPES or not is_centrally_run_city(
        proposal.province
    ):
        return []
    commune, district = proposal.commune, proposal.district
    if commune is not None:
        if place_kind(commune) is not PlaceKind.WARD:
            return []
        if not new_rules and place_kind(district) is PlaceKind.TOWN:
            return []
        place = commune
    elif district is not None and place_kind(district) is PlaceKind.URBAN_DISTRICT:
        place = district
    else:
        return []
    if new_rules:
        rule = _(
            "từ ngày 15/10/2025 khuyến công hỗ trợ cơ sở ở xã, phường, đặc khu của tỉnh và ở xã, đặc khu của "
            "thành phố trực thuộc trung ương, không hỗ trợ phường của thành phố trực thuộc trung ương (Nghị định "
            "235/2025/NĐ-CP)"
        )
    else:
        rule = _(
            "trước ngày 15/10/2025 khuyến công hỗ trợ cơ sở ở huyện, thị xã, thị trấn, xã và phường của thành "
            "phố loại 2, loại 3, không hỗ trợ nội thành thành phố trực thuộc trung ương (Nghị định 45/2012/NĐ-CP)"
        )
    return [
        _(
            "Địa bàn %(place)s, %(province)s không được hỗ trợ: %(rule)s. Nếu cơ sở sản xuất ở nơi khác, hãy "
            "chọn đúng địa bàn thực hiện."
        )
        % {"place": place.name, "province": proposal.province.name, "rule": rule}
    ]


def _funding_condition_problems(proposal: Proposal) -> list[str]:
    """TT 28/2018/TT-BTC and TTLT 26/2014 Điều 7: the beneficiary has invested or commits its share, and the same
    cost item receives no other state support. The counterpart commitment is asked only of a đề án with
    counterpart money in its budget: a content supported in full (an overseas fair, a training course) has no
    share to commit."""
    problems = []
    counterpart = sum(line.counterpart_amount for line in proposal.budget_lines.all())
    if counterpart > 0 and not proposal.counterpart_committed:
        problems.append(
            _(
                "Chưa cam kết bố trí đủ vốn đối ứng (%(amount)s, phần kinh phí không được khuyến công hỗ trợ): "
                "đánh dấu cam kết ở mục “Đối tượng và điều kiện hỗ trợ” (%(regulation)s)."
            )
            % {"amount": format_vnd(counterpart), "regulation": FUNDING_CONDITIONS}
        )
    if not proposal.no_other_state_support:
        problems.append(
            _(
                "Chưa cam kết không nhận hỗ trợ từ nguồn ngân sách nhà nước khác cho cùng nội dung chi: đánh dấu "
                "cam kết ở mục “Đối tượng và điều kiện hỗ trợ” (%(regulation)s)."
            )
            % {"regulation": FUNDING_CONDITIONS}
        )
    return problems
