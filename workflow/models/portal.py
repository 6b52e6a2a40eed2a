"""What the applicant files through the portal after approval: the completion report (leading to acceptance)
and the settlement dossier (actual spending by funding source and the voucher list, TT 36/2013 Đ19, Mẫu 7/8a).
Written only by workflow/services/portal.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import FundingSource
from .dossier import Proposal


class CompletionReport(models.Model):
    """Báo cáo hoàn thành: the implementing unit tells the Sở the work is done and asks for acceptance."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("đề án"), on_delete=models.PROTECT, related_name="completion_reports"
    )
    finished_on = models.DateField(_("ngày hoàn thành"))
    results = models.TextField(_("kết quả đạt được so với mục tiêu"))
    percent_complete = models.PositiveSmallIntegerField(_("khối lượng hoàn thành (%)"), default=100)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("gửi lúc"))

    class Meta:
        verbose_name = _("báo cáo hoàn thành")
        verbose_name_plural = _("báo cáo hoàn thành")
        ordering = ["proposal", "-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(percent_complete__lte=100), name="completion_percent_le100"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.finished_on:%d/%m/%Y}"


class SettlementDossier(models.Model):
    """Hồ sơ quyết toán of the implementing unit: what was actually spent from each source (Mẫu 7)."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("đề án"), on_delete=models.PROTECT, related_name="settlement_dossiers"
    )
    national_spent = models.BigIntegerField(_("đã chi nguồn khuyến công quốc gia"), default=0)
    local_spent = models.BigIntegerField(_("đã chi nguồn khuyến công địa phương"), default=0)
    counterpart_spent = models.BigIntegerField(_("đã chi vốn đối ứng và nguồn khác"), default=0)
    note = models.TextField(_("thuyết minh"), blank=True)
    due_on = models.DateField(_("hạn nộp"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("gửi lúc"))

    class Meta:
        verbose_name = _("hồ sơ quyết toán")
        verbose_name_plural = _("hồ sơ quyết toán")
        ordering = ["proposal", "-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(national_spent__gte=0, local_spent__gte=0, counterpart_spent__gte=0),
                name="settlement_dossier_amounts_ge0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.submitted_at:%d/%m/%Y}"

    @property
    def support_spent(self) -> int:
        return self.national_spent + self.local_spent

    @property
    def total_spent(self) -> int:
        return self.national_spent + self.local_spent + self.counterpart_spent


class Voucher(models.Model):
    """One line of the voucher list (bảng kê chứng từ, Mẫu 8a/8b)."""

    dossier = models.ForeignKey(SettlementDossier, on_delete=models.CASCADE, related_name="vouchers")
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    number = models.CharField(_("số chứng từ"), max_length=60)
    issued_on = models.DateField(_("ngày chứng từ"))
    description = models.CharField(_("nội dung chi"), max_length=255)
    source = models.CharField(_("nguồn kinh phí"), max_length=12, choices=FundingSource.choices)
    amount = models.BigIntegerField(_("số tiền"))

    class Meta:
        verbose_name = _("chứng từ")
        verbose_name_plural = _("bảng kê chứng từ")
        ordering = ["dossier", "position", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="voucher_amount_gt0")]

    def __str__(self) -> str:
        return f"{self.number} ({self.issued_on:%d/%m/%Y})"
