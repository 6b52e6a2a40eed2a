"""A small province for workflow tests: units, one user per role in and out of scope, complete đề án.

Times are fixed and aware (Asia/Ho_Chi_Minh), passed into the services as ``now``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from core.calendar import VN_TZ
from core.models import AdministrativeUnit, EndorsementLevel, Organisation, User
from workflow.models import Attachment, BudgetLine, Proposal, WorkItem
from workflow.services.proposals import create_proposal
from workflow.services.transitions import fire

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)  # a Monday


def at(days: int = 0, hours: int = 0) -> dt.datetime:
    return T0 + dt.timedelta(days=days, hours=hours)


@dataclass
class World:
    province: AdministrativeUnit
    other_province: AdministrativeUnit
    district: AdministrativeUnit
    other_district: AdministrativeUnit
    commune: AdministrativeUnit
    org: Organisation
    other_org: Organisation
    users: dict[str, User] = field(default_factory=dict)

    def user(self, name: str) -> User:
        # A fresh instance: role names are cached per instance.
        return User.objects.get(username=name)


def _user(username: str, role: str | None, *, unit=None, org=None, superuser=False, phone="") -> User:
    user = User.objects.create_user(
        username=username,
        password="x-password-1",
        email=f"{username}@example.vn",
        unit=unit,
        organisation=org,
        phone=phone,
        is_superuser=superuser,
        first_name=username,
    )
    if role:
        # get_or_create: browser tests flush the database, and with it the groups the migration created.
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def _configuration_rows() -> None:
    """The migrations' configuration rows (support caps, required attachments, SLAs): a transactional test's
    flush removes them, and lodging refuses a content type with no cap in force."""
    from importlib import import_module

    from django.apps import apps

    from workflow.models import SupportCap

    if SupportCap.objects.exists():
        return
    for migration in ("0002_defaults", "0008_caps_tt28"):
        import_module(f"workflow.migrations.{migration}").seed(apps, None)


def build_world() -> World:
    _configuration_rows()
    province = AdministrativeUnit.objects.create(code="70", name="Tỉnh Bình Phước", level="province")
    other_province = AdministrativeUnit.objects.create(code="75", name="Tỉnh Đồng Nai", level="province")
    district = AdministrativeUnit.objects.create(
        code="696", name="Huyện Bù Đăng", level="district", parent=province
    )
    other_district = AdministrativeUnit.objects.create(
        code="692", name="Huyện Lộc Ninh", level="district", parent=province
    )
    commune = AdministrativeUnit.objects.create(
        code="25387", name="Xã Đức Liễu", level="commune", parent=district
    )
    org = Organisation.objects.create(
        name="Hộ kinh doanh Nguyễn Thị Lan",
        kind="household",
        tax_code="3800123456",
        address_unit=commune,
        representative="Nguyễn Thị Lan",
        phone="+84912345678",
        email="lan@example.vn",
    )
    other_org = Organisation.objects.create(
        name="HTX Điều Lộc Ninh",
        kind="cooperative",
        tax_code="3800654321",
        address_unit=other_district,
        representative="Trần Văn Bình",
        phone="+84987654321",
        email="htx@example.vn",
    )
    # The world's units carry no end date and its province endorses at the district, configured as a province
    # may have been before 1/7/2025 (core/succession.py): most tests are about the steps, not the map.
    EndorsementLevel.objects.create(
        province=province, level="district", effective_from=dt.date(2020, 1, 1), note="Thế giới kiểm thử"
    )
    w = World(province, other_province, district, other_district, commune, org, other_org)
    w.users = {
        "applicant": _user("applicant", "applicant", org=org, phone="+84912345678"),
        "applicant_other": _user("applicant_other", "applicant", org=other_org),
        "district": _user("district", "district_officer", unit=district, phone="+84911111111"),
        "district2": _user("district2", "district_officer", unit=district),
        "district_other": _user("district_other", "district_officer", unit=other_district),
        "appraiser": _user("appraiser", "appraiser", unit=province),
        "appraiser2": _user("appraiser2", "appraiser", unit=province),
        "appraiser_other": _user("appraiser_other", "appraiser", unit=other_province),
        "head": _user("head", "department_head", unit=province),
        "finance": _user("finance", "finance_officer", unit=province),
        "finance_other": _user("finance_other", "finance_officer", unit=other_province),
        "approver": _user("approver", "approver", unit=province),
        "approver_other": _user("approver_other", "approver", unit=other_province),
        "auditor": _user("auditor", "auditor", unit=province),
    }
    return w


def complete_proposal(
    w: World,
    *,
    support: int = 300_000_000,
    total: int = 620_000_000,
    org=None,
    district=None,
    now=T0,
    title="Hỗ trợ ứng dụng máy tách vỏ lụa hạt điều",
) -> Proposal:
    """Chị Lan's machinery đề án (journeys.md §1), complete and within the caps."""
    applicant = w.user("applicant") if org is None else User.objects.filter(organisation=org).first()
    p = create_proposal(
        actor=applicant,
        now=now,
        title=title,
        plan_year=2026,
        funding_kind="local",
        content_type="machinery",
        sector="a",
        province=w.province,
        district=district or w.district,
        commune=w.commune if district is None else None,
        partners="Đơn vị thụ hưởng: hộ kinh doanh; địa điểm: xã Đức Liễu",
        need="Nâng cao năng suất chế biến điều",
        objectives="Tăng năng suất 30 %",
        scale="01 máy tách vỏ lụa công suất 500 kg/giờ",
        content_plan="Mua sắm, lắp đặt, vận hành thử",
        organisation_plan="Hộ kinh doanh tự tổ chức",
        effectiveness="Giảm 5 lao động thủ công, tăng thu nhập",
        target_machines=1,
        counterpart_committed=True,
        no_other_state_support=True,
    )
    WorkItem.objects.create(
        proposal=p, title="Lắp đặt máy", starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 6, 30)
    )
    BudgetLine.objects.create(
        proposal=p,
        item="Máy tách vỏ lụa",
        unit="máy",
        quantity=1,
        unit_price=total,
        local_amount=support,
        counterpart_amount=total - support,
    )
    for kind in ("quote", "business_registration"):
        Attachment.objects.create(
            proposal=p,
            kind=kind,
            file=ContentFile(b"%PDF-1.4 test", name="x.pdf"),
            original_name=f"{kind}.pdf",
            mime_type="application/pdf",
            size=13,
            sha256="0" * 64,
            uploaded_by=applicant,
            uploaded_at=now,
        )
    return p


APPRAISAL = {
    "verdict": "pass",
    "opinions": {
        "policy_fit": "Phù hợp",
        "objectives_budget": "Hợp lý",
        "capacity": "Đủ năng lực",
        "integration": "Không trùng lặp",
        "dossier": "Đầy đủ",
    },
    "score": 85,
    "recommended_amount": 280_000_000,
}


# What the unit spent per source, with one voucher per source (the settle step then settles these amounts).
SETTLEMENT_DOSSIER = {"national": 0, "local": 275_000_000, "counterpart": 340_000_000}


def file_settlement(proposal: Proposal, applicant: User, now, *, national: int, local: int, counterpart: int):
    """The implementing unit's settlement dossier (portal service): the vouchers add up to each source."""
    from workflow.services.portal import VoucherData, submit_settlement_dossier

    day = now.astimezone(VN_TZ).date()
    vouchers = [
        VoucherData(f"PC-{source}", day, f"Chi {source}", source, amount)
        for source, amount in (("national", national), ("local", local), ("counterpart", counterpart))
        if amount
    ]
    return submit_settlement_dossier(
        proposal.pk,
        actor=applicant,
        now=now,
        national_spent=national,
        local_spent=local,
        counterpart_spent=counterpart,
        vouchers=vouchers,
    )


def drive(w: World, proposal: Proposal, until: str, *, start=T0) -> Proposal:
    """Fire the main path up to (and including) the trigger ``until``."""
    steps = [
        ("lodge", "applicant", {}, ""),
        ("district_submit", "district", {}, "Đề nghị Sở xem xét hỗ trợ"),
        ("appraise", "appraiser", APPRAISAL, ""),
        ("verify_finance", "finance", {"national_amount": 0, "local_amount": 280_000_000}, ""),
        (
            "approve",
            "approver",
            {"decision_number": "123/QĐ-UBND", "decision_date": "2026-03-20", "amount": 280_000_000},
            "",
        ),
        ("accept", "appraiser", {"accepted_on": "2026-06-30", "results": "Máy vận hành đạt công suất"}, ""),
        ("file_settlement", "applicant", SETTLEMENT_DOSSIER, ""),
        (
            "settle",
            "appraiser",
            {"national_amount": 0, "local_amount": 275_000_000, "counterpart_amount": 340_000_000},
            "",
        ),
    ]
    offsets = {
        "lodge": 0,
        "district_submit": 2,
        "appraise": 8,
        "verify_finance": 12,
        "approve": 18,
        "accept": 120,
        "file_settlement": 126,
        "settle": 130,
    }
    for trigger, who, data, comment in steps:
        now = start + dt.timedelta(days=offsets[trigger])
        if trigger == "file_settlement":  # the unit files its dossier in the portal, which fires the step
            file_settlement(proposal, w.user(who), now, **data)
        else:
            fire(proposal.pk, trigger, actor=w.user(who), now=now, data=data, comment=comment)
        if trigger == until:
            break
    proposal.refresh_from_db()
    return proposal
