"""The data each step records: appraisal, finance verification, approval decision, progress reports,
advances, acceptance and settlement. Written only by the services in workflow/services/."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .dossier import Proposal


class Appraisal(models.Model):
    """Phiếu thẩm định: the verdict and an opinion on each of the five contents of TT 36/2013 Điều 9."""

    class Verdict(models.TextChoices):
        PASS = "pass", _("Đạt")
        FAIL = "fail", _("Không đạt")

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="appraisals")
    revision_round = models.PositiveSmallIntegerField(_("lần"))
    verdict = models.CharField(_("kết luận"), max_length=4, choices=Verdict.choices)
    opinion_policy_fit = models.TextField(_("1. Sự phù hợp với nguyên tắc, nội dung, ngành nghề"))
    opinion_objectives_budget = models.TextField(
        _("2. Mục tiêu, sự cần thiết, hiệu quả; tính hợp lý của dự toán")
    )
    opinion_capacity = models.TextField(_("3. Năng lực của đơn vị thực hiện, phối hợp, thụ hưởng"))
    opinion_integration = models.TextField(_("4. Khả năng lồng ghép với chương trình khác"))
    opinion_dossier = models.TextField(_("5. Tính đầy đủ, phù hợp của hồ sơ"))
    score = models.PositiveSmallIntegerField(_("điểm"), null=True, blank=True)
    recommended_amount = models.BigIntegerField(_("kinh phí đề nghị hỗ trợ"))
    appraiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("phiếu thẩm định")
        verbose_name_plural = _("phiếu thẩm định")
        ordering = ["proposal", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(recommended_amount__gte=0), name="appraisal_amount_ge0"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="appraisal_score_le100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.get_verdict_display()}"


class FinanceVerification(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="finance_verifications")
    national_amount = models.BigIntegerField(_("khuyến công quốc gia"))
    local_amount = models.BigIntegerField(_("khuyến công địa phương"))
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("kết quả thẩm tra kinh phí")
        verbose_name_plural = _("kết quả thẩm tra kinh phí")
        ordering = ["proposal", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(national_amount__gte=0, local_amount__gte=0), name="verification_amounts_ge0"
            )
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.total}"

    @property
    def total(self) -> int:
        return self.national_amount + self.local_amount


class ApprovalDecision(models.Model):
    """One decision (quyết định) approving one or many đề án of a plan."""

    number = models.CharField(_("số quyết định"), max_length=50, unique=True)
    signed_on = models.DateField(_("ngày quyết định"))
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("quyết định phê duyệt")
        verbose_name_plural = _("quyết định phê duyệt")
        ordering = ["-signed_on"]

    def __str__(self) -> str:
        return f"{self.number} ({self.signed_on:%d/%m/%Y})"


class Approval(models.Model):
    decision = models.ForeignKey(ApprovalDecision, on_delete=models.PROTECT, related_name="approvals")
    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="approval")
    amount = models.BigIntegerField(_("kinh phí phê duyệt"))

    class Meta:
        verbose_name = _("đề án được phê duyệt")
        verbose_name_plural = _("đề án được phê duyệt")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="approval_amount_ge0")]

    def __str__(self) -> str:
        return f"{self.decision.number}: {self.proposal_id}"


class ProgressReport(models.Model):
    """Monthly progress report (Mẫu 3a), due before the 25th while the đề án is approved."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="progress_reports")
    period = models.DateField(_("tháng báo cáo"), help_text=_("Ngày đầu tháng."))
    percent_complete = models.PositiveSmallIntegerField(_("khối lượng hoàn thành (%)"))
    summary = models.TextField(_("tình hình thực hiện"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("báo cáo tiến độ")
        verbose_name_plural = _("báo cáo tiến độ")
        ordering = ["proposal", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "period"], name="one_report_per_month"),
            models.CheckConstraint(condition=Q(percent_complete__lte=100), name="report_percent_le100"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.period:%m/%Y}"


class Advance(models.Model):
    class State(models.TextChoices):
        REQUESTED = "requested", _("Đã đề nghị")
        PAID = "paid", _("Đã chi")
        REFUSED = "refused", _("Không chấp thuận")

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="advances")
    amount = models.BigIntegerField(_("số tiền"))
    state = models.CharField(_("tình trạng"), max_length=10, choices=State.choices, default=State.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("tạm ứng")
        verbose_name_plural = _("tạm ứng")
        ordering = ["proposal", "requested_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="advance_amount_gt0")]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.amount}"


class Acceptance(models.Model):
    """Biên bản nghiệm thu (Mẫu 5a/5b)."""

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="acceptance")
    accepted_on = models.DateField(_("ngày nghiệm thu"))
    results = models.TextField(_("kết quả so với mục tiêu"))
    settlement_due_on = models.DateField(_("hạn nộp hồ sơ quyết toán"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("biên bản nghiệm thu")
        verbose_name_plural = _("biên bản nghiệm thu")
        constraints = [
            models.CheckConstraint(
                condition=Q(settlement_due_on__gte=F("accepted_on")), name="acceptance_due_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.accepted_on:%d/%m/%Y}"


class Settlement(models.Model):
    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="settlement")
    national_amount = models.BigIntegerField(_("quyết toán nguồn quốc gia"))
    local_amount = models.BigIntegerField(_("quyết toán nguồn địa phương"))
    counterpart_amount = models.BigIntegerField(_("đối ứng đã chi"), default=0)
    advanced_amount = models.BigIntegerField(_("đã tạm ứng"))
    refund_amount = models.BigIntegerField(_("phải nộp trả"))
    payable_amount = models.BigIntegerField(_("còn được thanh toán"))
    by_volume_done = models.BooleanField(_("quyết toán theo khối lượng thực hiện"), default=False)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # A refund owed stays open until the Sở records that it was paid back (workflow/services/implementation.py).
    refunded_on = models.DateField(_("ngày nộp trả"), null=True, blank=True)
    refund_receipt = models.CharField(_("chứng từ nộp trả"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("quyết toán")
        verbose_name_plural = _("quyết toán")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    national_amount__gte=0,
                    local_amount__gte=0,
                    counterpart_amount__gte=0,
                    refund_amount__gte=0,
                    payable_amount__gte=0,
                ),
                name="settlement_amounts_ge0",
            ),
            models.CheckConstraint(
                condition=Q(refund_amount=0) | Q(payable_amount=0), name="settlement_refund_or_payable"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.national_amount + self.local_amount}"

    @property
    def total(self) -> int:
        return self.national_amount + self.local_amount


class NationalRecord(models.Model):
    """A document of the national track that is not the province's own decision: the Sở's letter sending the
    dossier to the Cục, the ministry's appraisal, the contract with the Cục, and the contract's liquidation.

    ``recorded`` tells who wrote it: the Cục's officer acting in the system (False) or the Sở recording the Cục's
    document (True, settings.KHUYENCONG["NATIONAL_MODE"] = "recorded"); the audit event is the same in both modes.
    The Minister's decision is an ApprovalDecision, as a province's is."""

    class Kind(models.TextChoices):
        LETTER = "letter", _("Công văn gửi hồ sơ Bộ Công Thương")
        MINISTRY_APPRAISAL = "ministry_appraisal", _("Kết quả thẩm định cấp Bộ")
        CONTRACT = "contract", _("Hợp đồng thực hiện đề án")
        LIQUIDATION = "liquidation", _("Biên bản thanh lý hợp đồng")

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="national_records")
    kind = models.CharField(_("loại văn bản"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("số văn bản"), max_length=50)
    signed_on = models.DateField(_("ngày văn bản"))
    amount = models.BigIntegerField(_("kinh phí"), null=True, blank=True)
    recorded = models.BooleanField(_("Sở ghi nhận văn bản của Bộ"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("văn bản khuyến công quốc gia")
        verbose_name_plural = _("văn bản khuyến công quốc gia")
        ordering = ["proposal", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="national_record_amount_ge0"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number} ({self.signed_on:%d/%m/%Y})"
