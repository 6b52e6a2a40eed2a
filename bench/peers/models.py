"""The peer's tables: a đề án with a django-fsm-2 status, its tasks and its notifications. The transition log
is django-fsm-log's ``StateLog`` (one row per transition, written by its signal handler)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description


class PeerStatus(models.TextChoices):
    DRAFTED = "drafted", "Dự thảo"
    LODGED = "lodged", "Đã nộp"
    DISTRICT_SUBMITTED = "district_submitted", "Cấp xã đã xác nhận"
    APPRAISED = "appraised", "Đã thẩm định"
    FINANCE_VERIFIED = "finance_verified", "Sở Tài chính đã thẩm tra"
    APPROVED = "approved", "Đã phê duyệt"
    IMPLEMENTED = "implemented", "Đã nghiệm thu"
    SETTLED = "settled", "Đã quyết toán"
    STOPPED = "stopped", "Dừng thực hiện"
    REJECTED = "rejected", "Không hỗ trợ"
    WITHDRAWN = "withdrawn", "Đã rút"


def can_district_submit(proposal: PeerProposal, user) -> bool:
    """The district's officer endorses: the role, and the đề án lies in the officer's unit. The user's roles
    are those of the project's user model (its groups), read once per request as every staff view does."""
    return user.is_active and user.has_role("district_officer") and user.unit_id == proposal.district_id


class PeerProposal(FSMModelMixin, models.Model):
    tracking_code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=300)
    status = FSMField(default=PeerStatus.DRAFTED, choices=PeerStatus.choices, protected=True)
    province = models.ForeignKey("core.AdministrativeUnit", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(
        "core.AdministrativeUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lodged_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["district", "status"]), models.Index(fields=["province", "status"])]

    def __str__(self) -> str:
        return self.tracking_code

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=PeerStatus.LODGED,
        target=PeerStatus.DISTRICT_SUBMITTED,
        permission=can_district_submit,
    )
    def district_submit(self, by=None, description=None):
        """The district's officer endorses the lodged đề án and sends it to the Sở for appraisal."""


class PeerTask(models.Model):
    proposal = models.ForeignKey(PeerProposal, on_delete=models.CASCADE, related_name="tasks")
    role = models.CharField(max_length=20)
    unit = models.ForeignKey("core.AdministrativeUnit", on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=32, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["role", "unit", "completed_at"]),  # a unit's queue
            models.Index(fields=["assignee", "completed_at"]),  # my inbox
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.role}"


class PeerNotification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient_id}"
