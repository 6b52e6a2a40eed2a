"""factory-boy factories for the core and workflow models, shared by every test suite.

Times are fixed and aware (``FIXED_NOW``, Asia/Ho_Chi_Minh); amounts are integer đồng. Each factory builds a
valid row with the fewest related rows it needs; pass keyword arguments to override.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import factory
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from core.calendar import VN_TZ
from core.models import AdministrativeUnit, Organisation, User
from workflow.models import Attachment, BudgetLine, Proposal, WorkItem

FIXED_NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)  # a Monday
PDF = b"%PDF-1.4\n% khuyen cong test\n"


class ProvinceFactory(factory.django.DjangoModelFactory):
    """A province (level "province", no parent); reused by code."""

    class Meta:
        model = AdministrativeUnit
        django_get_or_create = ("code",)

    code = "70"
    name = "Tỉnh Bình Phước"
    level = AdministrativeUnit.Level.PROVINCE


class DistrictFactory(factory.django.DjangoModelFactory):
    """A district of a province (valid until 30/6/2025, as every district)."""

    class Meta:
        model = AdministrativeUnit

    code = factory.Sequence(lambda n: f"9{n:03d}")
    name = factory.Sequence(lambda n: f"Huyện Thử Nghiệm {n}")
    level = AdministrativeUnit.Level.DISTRICT
    parent = factory.SubFactory(ProvinceFactory)
    valid_to = dt.date(2025, 6, 30)


class CommuneFactory(factory.django.DjangoModelFactory):
    """A commune of a district."""

    class Meta:
        model = AdministrativeUnit

    code = factory.Sequence(lambda n: f"8{n:05d}")
    name = factory.Sequence(lambda n: f"Xã Thử Nghiệm {n}")
    level = AdministrativeUnit.Level.COMMUNE
    parent = factory.SubFactory(DistrictFactory)


class OrganisationFactory(factory.django.DjangoModelFactory):
    """An applicant organisation with a valid 10-digit tax code and a Vietnamese mobile number."""

    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Hợp tác xã Thử Nghiệm {n}")
    kind = Organisation.Kind.COOPERATIVE
    tax_code = factory.Sequence(lambda n: f"38{n:08d}")
    address_unit = factory.SubFactory(CommuneFactory)
    representative = "Nguyễn Văn An"
    phone = factory.Sequence(lambda n: f"+8491{n % 10_000_000:07d}")
    email = factory.Sequence(lambda n: f"org{n}@example.vn")


class UserFactory(factory.django.DjangoModelFactory):
    """A user; ``roles=["appraiser", …]`` adds the role groups (created by core/0002_roles, or here)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "An"
    last_name = "Nguyễn Văn"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.vn")
    password = factory.django.Password("khuyencong-test")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*(Group.objects.get_or_create(name=str(name))[0] for name in extracted))


class ProposalFactory(factory.django.DjangoModelFactory):
    """A drafted machinery đề án of an organisation in a commune of a district; sections filled in."""

    class Meta:
        model = Proposal

    tracking_code = factory.Sequence(lambda n: f"KC2026-T{n:05d}")
    title = factory.Sequence(lambda n: f"Hỗ trợ ứng dụng máy tách vỏ lụa hạt điều {n}")
    plan_year = 2026
    funding_kind = "local"
    content_type = "machinery"
    sector = "a"
    implementing_org = factory.SubFactory(OrganisationFactory)
    commune = factory.SubFactory(CommuneFactory)
    district = factory.LazyAttribute(lambda p: p.commune.parent)
    province = factory.LazyAttribute(lambda p: p.district.parent)
    partners = "Đơn vị thụ hưởng: hộ kinh doanh chế biến điều"
    need = "Nâng cao năng suất chế biến hạt điều"
    objectives = "Tăng năng suất 30 %"
    scale = "01 máy công suất 500 kg/giờ"
    content_plan = "Mua sắm, lắp đặt, vận hành thử"
    organisation_plan = "Đơn vị tự tổ chức thực hiện"
    effectiveness = "Giảm lao động thủ công, tăng thu nhập"
    # The declarations lodging checks (workflow/eligibility.py); the implementing cooperative needs no size.
    counterpart_committed = True
    no_other_state_support = True
    created_by = factory.SubFactory(UserFactory)
    created_at = FIXED_NOW
    updated_at = FIXED_NOW


class WorkItemFactory(factory.django.DjangoModelFactory):
    """One work item (nội dung và tiến độ), April to June 2026."""

    class Meta:
        model = WorkItem

    proposal = factory.SubFactory(ProposalFactory)
    title = "Lắp đặt và vận hành thử máy"
    starts_on = dt.date(2026, 4, 1)
    ends_on = dt.date(2026, 6, 30)


class BudgetLineFactory(factory.django.DjangoModelFactory):
    """One budget line: 300,000,000 local support and 320,000,000 counterpart (620,000,000 in all)."""

    class Meta:
        model = BudgetLine

    proposal = factory.SubFactory(ProposalFactory)
    item = "Máy tách vỏ lụa hạt điều"
    unit = "máy"
    quantity = 1
    unit_price = 620_000_000
    national_amount = 0
    local_amount = 300_000_000
    counterpart_amount = 320_000_000


class AttachmentFactory(factory.django.DjangoModelFactory):
    """A small PDF attachment (a supplier's quote by default) uploaded by the đề án's creator."""

    class Meta:
        model = Attachment

    proposal = factory.SubFactory(ProposalFactory)
    kind = "quote"
    file = factory.LazyFunction(lambda: ContentFile(PDF, name="tai-lieu.pdf"))
    original_name = factory.LazyAttribute(lambda a: f"{a.kind}.pdf")
    mime_type = "application/pdf"
    size = len(PDF)
    sha256 = hashlib.sha256(PDF).hexdigest()
    uploaded_by = factory.LazyAttribute(lambda a: a.proposal.created_by)
    uploaded_at = FIXED_NOW
