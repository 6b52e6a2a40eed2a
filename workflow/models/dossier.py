"""The dossier of a đề án (TT 36/2013 Điều 5): eight sections, work items, budget lines in three funding
sources, attachments; and the configuration it is checked against (support caps, required attachments)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import AdministrativeUnit, Organisation
from workflow.lifecycle import Status

from .choices import AttachmentKind, BrickKilnTechnology, CapBasis, ContentType, FundingKind, Sector


class Proposal(models.Model):
    tracking_code = models.CharField(_("mã hồ sơ"), max_length=20, unique=True, editable=False)
    pin_hash = models.CharField(_("mã PIN (băm)"), max_length=128, blank=True, editable=False)
    title = models.CharField(_("tên đề án"), max_length=300)
    plan_year = models.PositiveSmallIntegerField(_("năm kế hoạch"))
    funding_kind = models.CharField(_("nguồn khuyến công"), max_length=10, choices=FundingKind.choices)
    content_type = models.CharField(_("nội dung hoạt động"), max_length=24, choices=ContentType.choices)
    sector = models.CharField(_("ngành nghề"), max_length=2, choices=Sector.choices)
    is_pilot = models.BooleanField(_("đề án điểm"), default=False)
    is_group = models.BooleanField(_("đề án nhóm"), default=False)
    priority_area = models.BooleanField(_("địa bàn ưu tiên"), default=False)
    priority_sector = models.BooleanField(_("ngành nghề ưu tiên"), default=False)
    is_production_line = models.BooleanField(_("dây chuyền công nghệ"), default=False)

    implementing_org = models.ForeignKey(
        Organisation,
        verbose_name=_("đơn vị thực hiện"),
        on_delete=models.PROTECT,
        related_name="implemented_proposals",
    )
    beneficiary = models.ForeignKey(
        Organisation,
        verbose_name=_("đơn vị thụ hưởng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="benefiting_proposals",
    )
    province = models.ForeignKey(
        AdministrativeUnit, verbose_name=_("tỉnh"), on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("huyện"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    commune = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("xã"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    location_detail = models.CharField(_("địa điểm thực hiện"), max_length=255, blank=True)

    # What the applicant declares for the eligibility check at lodging (workflow/eligibility.py): the size of the
    # supported enterprise, the brick-kiln exclusion (TT 46/2012 Điều 5) and the funding conditions (TTLT 26/2014,
    # TT 28/2018 Điều 7).
    beneficiary_capital = models.BigIntegerField(
        _("tổng nguồn vốn của cơ sở thụ hưởng (đồng)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Theo bảng cân đối kế toán gần nhất; kê khai khi cơ sở là doanh nghiệp."),
    )
    beneficiary_workers = models.PositiveIntegerField(
        _("số lao động bình quân năm của cơ sở thụ hưởng"),
        null=True,
        blank=True,
        help_text=_("Kê khai khi cơ sở là doanh nghiệp (cần tổng nguồn vốn hoặc số lao động)."),
    )
    brick_kiln_technology = models.CharField(
        _("sản xuất gạch đất sét nung"),
        max_length=16,
        choices=BrickKilnTechnology.choices,
        default=BrickKilnTechnology.NONE,
    )
    counterpart_committed = models.BooleanField(
        _("cam kết bố trí đủ vốn đối ứng (phần kinh phí không được khuyến công hỗ trợ)"), default=False
    )
    no_other_state_support = models.BooleanField(
        _("cam kết không nhận hỗ trợ từ nguồn ngân sách nhà nước khác cho cùng nội dung chi"), default=False
    )

    # The eight sections of TT 36/2013 Điều 5 (5 and 6 are also the work items and budget lines).
    partners = models.TextField(_("1. Đơn vị phối hợp, thụ hưởng, địa điểm"), blank=True)
    need = models.TextField(_("2. Sự cần thiết và căn cứ"), blank=True)
    objectives = models.TextField(_("3. Mục tiêu"), blank=True)
    scale = models.TextField(_("4. Quy mô và điểm nổi bật"), blank=True)
    content_plan = models.TextField(_("5. Nội dung và tiến độ"), blank=True)
    budget_note = models.TextField(_("6. Thuyết minh dự toán"), blank=True)
    organisation_plan = models.TextField(_("7. Tổ chức thực hiện"), blank=True)
    effectiveness = models.TextField(_("8. Hiệu quả"), blank=True)

    # Expected results (indicators of the quarterly report, domain.md §7).
    target_learners = models.PositiveIntegerField(_("số học viên"), default=0)
    target_models = models.PositiveIntegerField(_("số mô hình"), default=0)
    target_machines = models.PositiveIntegerField(_("số cơ sở được hỗ trợ máy móc"), default=0)
    target_fairs = models.PositiveIntegerField(_("số hội chợ"), default=0)
    target_products = models.PositiveIntegerField(_("số sản phẩm được công nhận"), default=0)

    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFTED)
    status_changed_at = models.DateTimeField(_("đổi trạng thái lúc"), null=True, blank=True)
    revision_round = models.PositiveSmallIntegerField(_("lần bổ sung"), default=0)
    # The review status a return for revision came from: the resubmission goes back to that reviewer.
    returned_from = models.CharField(_("trả lại từ bước"), max_length=20, choices=Status.choices, blank=True)
    lodged_at = models.DateTimeField(_("nộp lần đầu lúc"), null=True, blank=True)
    # The whole review's deadline (sum of the review steps' SLAs from the last lodging): "dossier late"
    # is told apart from "step late" in the inboxes.
    dossier_due_at = models.DateTimeField(_("hạn giải quyết hồ sơ"), null=True, blank=True)

    # Amounts decided by others (integer đồng), written only by the transition and step services.
    recommended_amount = models.BigIntegerField(
        _("kinh phí đề nghị hỗ trợ sau thẩm định"), null=True, blank=True
    )
    verified_amount = models.BigIntegerField(_("kinh phí Sở Tài chính thẩm tra"), null=True, blank=True)
    approved_amount = models.BigIntegerField(_("kinh phí được phê duyệt"), null=True, blank=True)
    advanced_amount = models.BigIntegerField(_("đã tạm ứng"), default=0)
    settled_amount = models.BigIntegerField(_("kinh phí quyết toán"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ngày tạo"))
    updated_at = models.DateTimeField(_("cập nhật"))

    class Meta:
        verbose_name = _("đề án khuyến công")
        verbose_name_plural = _("đề án khuyến công")
        ordering = ["-plan_year", "tracking_code"]
        permissions = [("act_on_proposal", _("Thao tác trên đề án như đơn vị đề nghị"))]
        indexes = [
            models.Index(fields=["province", "status"]),
            models.Index(fields=["district", "status"]),
            models.Index(fields=["commune", "status"]),
            models.Index(fields=["implementing_org", "status"]),
            models.Index(fields=["plan_year", "content_type"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(plan_year__gte=2000, plan_year__lte=2100), name="proposal_plan_year"
            ),
            models.CheckConstraint(
                condition=Q(recommended_amount__isnull=True) | Q(recommended_amount__gte=0),
                name="proposal_recommended_ge0",
            ),
            models.CheckConstraint(
                condition=Q(beneficiary_capital__isnull=True) | Q(beneficiary_capital__gte=0),
                name="proposal_beneficiary_capital_ge0",
            ),
            models.CheckConstraint(
                condition=Q(verified_amount__isnull=True)
                | (Q(verified_amount__gte=0) & Q(verified_amount__lte=F("recommended_amount"))),
                name="proposal_verified_le_recommended",
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | (Q(approved_amount__gte=0) & Q(approved_amount__lte=F("verified_amount"))),
                name="proposal_approved_le_verified",
            ),
            models.CheckConstraint(
                condition=Q(advanced_amount__gte=0)
                & (Q(advanced_amount=0) | Q(advanced_amount__lte=F("approved_amount"))),
                name="proposal_advanced_le_approved",
            ),
            models.CheckConstraint(
                condition=Q(settled_amount__isnull=True)
                | (Q(settled_amount__gte=0) & Q(settled_amount__lte=F("approved_amount"))),
                name="proposal_settled_le_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} — {self.title}"

    @property
    def endorsing_unit_id(self) -> int | None:
        return self.district_id or self.commune_id

    @property
    def public_status(self) -> str:
        from workflow.lifecycle import PUBLIC_NAMES

        return str(PUBLIC_NAMES[self.status])


class WorkItem(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="work_items")
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    title = models.CharField(_("nội dung công việc"), max_length=255)
    starts_on = models.DateField(_("bắt đầu"))
    ends_on = models.DateField(_("kết thúc"))
    responsible = models.CharField(_("đơn vị / người thực hiện"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("nội dung công việc")
        verbose_name_plural = _("nội dung và tiến độ")
        ordering = ["proposal", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="work_item_dates_ordered")
        ]

    def __str__(self) -> str:
        return self.title


class BudgetLine(models.Model):
    """One line of the dự toán (Mẫu 1): amounts in integer đồng for each funding source."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="budget_lines")
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    item = models.CharField(_("nội dung chi"), max_length=255)
    unit = models.CharField(_("đơn vị tính"), max_length=40, blank=True)
    quantity = models.DecimalField(_("số lượng"), max_digits=12, decimal_places=2, default=1)
    unit_price = models.BigIntegerField(_("đơn giá"), default=0)
    national_amount = models.BigIntegerField(_("khuyến công quốc gia"), default=0)
    local_amount = models.BigIntegerField(_("khuyến công địa phương"), default=0)
    counterpart_amount = models.BigIntegerField(_("đối ứng và nguồn khác"), default=0)

    class Meta:
        verbose_name = _("dòng dự toán")
        verbose_name_plural = _("dự toán kinh phí")
        ordering = ["proposal", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    national_amount__gte=0, local_amount__gte=0, counterpart_amount__gte=0, unit_price__gte=0
                ),
                name="budget_line_amounts_ge0",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="budget_line_quantity_gt0"),
        ]

    def __str__(self) -> str:
        return self.item

    @property
    def support(self) -> int:
        return self.national_amount + self.local_amount

    @property
    def total(self) -> int:
        return self.national_amount + self.local_amount + self.counterpart_amount


private_storage = FileSystemStorage(location=settings.MEDIA_ROOT, base_url=None)


def attachment_storage() -> FileSystemStorage:
    """The private storage, named by this function in migrations: the location (PRIVATE_MEDIA_ROOT, different on
    each machine) stays out of them."""
    return private_storage


def _attachment_path(instance: Attachment, filename: str) -> str:
    # Generated name: the user's file name is kept only as metadata, never as a path.
    return f"attachments/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("loại tài liệu"), max_length=32, choices=AttachmentKind.choices)
    file = models.FileField(_("tệp"), storage=attachment_storage, upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255)
    mime_type = models.CharField(_("kiểu nội dung"), max_length=100)
    size = models.PositiveIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("tải lên lúc"))

    class Meta:
        verbose_name = _("tài liệu đính kèm")
        verbose_name_plural = _("tài liệu đính kèm")
        ordering = ["proposal", "kind", "id"]

    def __str__(self) -> str:
        return self.original_name


class AttachmentRequirement(models.Model):
    """Attachments a dossier of a content type must carry before it can be lodged (TT 36 Phụ lục 2)."""

    content_type = models.CharField(
        _("nội dung hoạt động"),
        max_length=24,
        choices=ContentType.choices,
        blank=True,
        help_text=_("Để trống: áp dụng cho mọi nội dung."),
    )
    kind = models.CharField(_("loại tài liệu"), max_length=32, choices=AttachmentKind.choices)

    class Meta:
        verbose_name = _("tài liệu bắt buộc")
        verbose_name_plural = _("tài liệu bắt buộc")
        ordering = ["content_type", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "kind"], name="attachment_requirement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_content_type_display() or '*'}: {self.get_kind_display()}"


def _whole(value):
    """50.00 → 50 (an int, as the percentage always was), 1.50 → Decimal("1.5")."""
    if value is None or isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() else value.normalize()


class PercentField(models.DecimalField):
    """A percentage with up to two decimals (the 1,5 % and 2,5 % overhead caps). Read back as an int when whole, so
    arithmetic on whole percentages (50, 80 …) stays in integer đồng."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return _whole(value)

    def to_python(self, value):
        return _whole(super().to_python(value))


class SupportCap(models.Model):
    """A spending cap (mức chi): a percentage (of the đề án's total cost, or of the year's money for the overhead
    lines), an absolute amount per đề án, and/or a number of đề án a year per cơ sở. A content type without a cap
    in force cannot be lodged (workflow/validation.py)."""

    content_type = models.CharField(_("nội dung hoạt động"), max_length=24, choices=ContentType.choices)
    funding_kind = models.CharField(
        _("nguồn"),
        max_length=10,
        choices=FundingKind.choices,
        blank=True,
        help_text=_("Để trống: áp dụng cho cả hai nguồn."),
    )
    province = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("tỉnh"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Để trống: mức chi quốc gia."),
    )
    percent_cap = PercentField(
        _("tỷ lệ hỗ trợ tối đa (%)"),
        null=True,
        blank=True,
        help_text=_("Có thể có phần lẻ, ví dụ 1,5. Để trống: không giới hạn theo tỷ lệ."),
    )
    percent_basis = models.CharField(
        _("tỷ lệ tính trên"),
        max_length=16,
        choices=CapBasis.choices,
        default=CapBasis.PROJECT,
        help_text=_(
            "Tổng kinh phí đề án; hoặc, cho chi quản lý, kinh phí khuyến công năm của tỉnh hay dự toán các đề án "
            "của đơn vị thực hiện trong năm (tính trên các đề án đã nộp, trừ bị từ chối và đã rút)."
        ),
    )
    max_amount = models.BigIntegerField(_("mức hỗ trợ tối đa (đồng)"), null=True, blank=True)
    max_per_year = models.PositiveSmallIntegerField(
        _("số đề án tối đa mỗi năm cho một cơ sở"),
        null=True,
        blank=True,
        help_text=_(
            "Để trống: không giới hạn. Đếm các đề án cùng nội dung, cùng năm kế hoạch của cùng cơ sở thụ hưởng "
            "(đã nộp trở đi, trừ bị từ chối và đã rút)."
        ),
    )
    priority_multiplier_percent = models.PositiveSmallIntegerField(
        _("hệ số ưu tiên (%)"),
        default=150,
        help_text=_(
            "Nhân mức hỗ trợ tối đa khi đề án thuộc địa bàn hoặc ngành nghề ưu tiên (mọi nội dung), hoặc là dây "
            "chuyền công nghệ (chỉ nội dung máy móc thiết bị, TT 28/2018 Điều 8 khoản 4): tối đa 1,5 lần."
        ),
    )
    regulation = models.CharField(_("căn cứ"), max_length=255)
    effective_from = models.DateField(_("hiệu lực từ"))
    effective_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)

    class Meta:
        verbose_name = _("mức chi hỗ trợ")
        verbose_name_plural = _("mức chi hỗ trợ")
        ordering = ["content_type", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent_cap__isnull=True) | Q(percent_cap__gte=0, percent_cap__lte=100),
                name="cap_percent_le_100",
            ),
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gte=0), name="cap_max_ge0"
            ),
            models.CheckConstraint(
                condition=Q(priority_multiplier_percent__gte=100), name="cap_multiplier_ge_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_content_type_display()} ({self.regulation})"
