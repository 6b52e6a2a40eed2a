"""Shared reference data: administrative units, organisations, users, the working-day calendar."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .roles import Role
from .validators import normalise_vn_mobile, validate_tax_code, validate_vn_mobile


class AdministrativeUnit(models.Model):
    """A province, district or commune with its validity dates (the 2025 reform ends districts on 30/6/2025)."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Tỉnh / thành phố")
        DISTRICT = "district", _("Huyện / quận / thị xã")
        COMMUNE = "commune", _("Xã / phường / đặc khu")

    code = models.CharField(_("mã"), max_length=16, unique=True)
    name = models.CharField(_("tên"), max_length=120)
    level = models.CharField(_("cấp"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị kế thừa"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predecessors",
    )

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="unit_validity_ordered",
            ),
            models.CheckConstraint(
                condition=Q(level="province") | Q(parent__isnull=False), name="unit_has_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def province(self) -> AdministrativeUnit:
        unit = self
        while unit.parent_id is not None:
            unit = unit.parent  # type: ignore[assignment]
        return unit


class Organisation(models.Model):
    """An applicant, beneficiary or implementing unit (rural industrial establishment, Trung tâm Khuyến công…)."""

    class Kind(models.TextChoices):
        SME = "sme", _("Doanh nghiệp nhỏ và vừa")
        COOPERATIVE_GROUP = "coop_group", _("Tổ hợp tác")
        COOPERATIVE = "cooperative", _("Hợp tác xã")
        COOPERATIVE_UNION = "coop_union", _("Liên hiệp hợp tác xã")
        HOUSEHOLD = "household", _("Hộ kinh doanh")
        PUBLIC_SERVICE = "public_service", _("Đơn vị sự nghiệp công lập")

    name = models.CharField(_("tên tổ chức"), max_length=255)
    kind = models.CharField(_("loại hình"), max_length=20, choices=Kind.choices)
    tax_code = models.CharField(_("mã số thuế"), max_length=16, unique=True, validators=[validate_tax_code])
    address_unit = models.ForeignKey(
        AdministrativeUnit, verbose_name=_("địa bàn"), on_delete=models.PROTECT, related_name="organisations"
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    representative = models.CharField(_("người đại diện"), max_length=120)
    phone = models.CharField(_("số di động"), max_length=20, validators=[validate_vn_mobile])
    email = models.EmailField(_("thư điện tử"))
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("tổ chức")
        verbose_name_plural = _("tổ chức")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_code})"

    def clean(self) -> None:
        if self.phone:
            self.phone = normalise_vn_mobile(self.phone)


class User(AbstractUser):
    """A person. Staff belong to a unit (their territorial scope); applicants belong to an organisation."""

    unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("đơn vị công tác"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("tổ chức"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    phone = models.CharField(_("số di động"), max_length=20, blank=True, validators=[validate_vn_mobile])

    class Meta(AbstractUser.Meta):
        # The stubs type AbstractUser.Meta's names as str; Django's own are lazy translations too.
        verbose_name = _("người dùng")  # type: ignore[assignment]
        verbose_name_plural = _("người dùng")  # type: ignore[assignment]
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.display_name(self.username, self.first_name, self.last_name)

    def get_full_name(self) -> str:
        """Vietnamese order: family and middle names (last_name) before the given name (first_name)."""
        return f"{self.last_name} {self.first_name}".strip()

    @staticmethod
    def display_name(username: str, first_name: str, last_name: str) -> str:
        """How a person is named on a page: the full name, else the user name (``str(user)``)."""
        return f"{last_name} {first_name}".strip() or username

    @cached_property
    def role_names(self) -> frozenset[str]:
        if not self.is_active:
            return frozenset()
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, role: Role | str) -> bool:
        return str(role) in self.role_names


class CalendarOverride(models.Model):
    """An administrator's correction of the working-day calendar (a swapped working Saturday, an extra day off)."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Ngày nghỉ")
        WORKING_DAY = "working_day", _("Ngày làm việc")

    date = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices)
    reason = models.CharField(_("lý do"), max_length=255)

    class Meta:
        verbose_name = _("điều chỉnh lịch làm việc")
        verbose_name_plural = _("điều chỉnh lịch làm việc")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {self.get_kind_display()}"


# The two-level local government (Luật Tổ chức chính quyền địa phương 2025): districts end on 30/6/2025.
TWO_LEVEL_FROM = dt.date(2025, 7, 1)


class EndorsementLevel(models.Model):
    """Which level endorses a lodged đề án in a province, from a date. Where no row is in force the rule of the
    day applies: the district before 1/7/2025, afterwards ``KHUYENCONG["ENDORSEMENT_LEVEL"]`` (the commune by
    default). A district is only ever given a task while it exists (core/succession.py)."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("Cấp huyện (trước 1/7/2025)")
        COMMUNE = "commune", _("Cấp xã (Phòng Kinh tế)")

    province = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("tỉnh"),
        on_delete=models.CASCADE,
        limit_choices_to={"level": "province"},
        related_name="endorsement_levels",
    )
    level = models.CharField(_("cấp xác nhận"), max_length=10, choices=Level.choices)
    effective_from = models.DateField(_("áp dụng từ ngày"))
    note = models.CharField(_("căn cứ"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("cấp xác nhận đề án")
        verbose_name_plural = _("cấp xác nhận đề án")
        ordering = ["province", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["province", "effective_from"], name="endorsement_level_one_per_day"
            ),
            models.CheckConstraint(
                condition=Q(level="commune") | Q(effective_from__lt=TWO_LEVEL_FROM),
                name="endorsement_level_no_district_after_reform",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province} — {self.get_level_display()} ({self.effective_from:%d/%m/%Y})"
