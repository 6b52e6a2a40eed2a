"""Tasks (who owes the next action on a đề án, by when), per-status deadlines, and delegation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import AdministrativeUnit
from core.roles import Role
from workflow.lifecycle import Sla, Status

from .dossier import Proposal


class SlaPolicy(models.Model):
    """The deadline of the task a status opens. Seeded from the lifecycle table; provinces edit it in admin."""

    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, unique=True)
    kind = models.CharField(_("cách tính"), max_length=14, choices=Sla.choices)
    days = models.PositiveSmallIntegerField(_("số ngày"), default=0)
    note = models.CharField(_("căn cứ / ghi chú"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("thời hạn xử lý")
        verbose_name_plural = _("thời hạn xử lý")
        ordering = ["status"]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.days} {self.get_kind_display()}"


class Task(models.Model):
    class Outcome(models.TextChoices):
        DONE = "done", _("Đã xử lý")
        CANCELLED = "cancelled", _("Đã hủy")

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("đề án"), on_delete=models.CASCADE, related_name="tasks"
    )
    status = models.CharField(_("bước"), max_length=20, choices=Status.choices)
    role = models.CharField(_("vai trò xử lý"), max_length=20, choices=Role.choices)
    # Who holds it: a unit's queue (staff, by role), or the implementing organisation (the applicant's own
    # obligations, e.g. the settlement dossier within 15 days of acceptance).
    unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("đơn vị xử lý"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("tổ chức thực hiện"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người xử lý"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    claimed_at = models.DateTimeField(_("nhận việc lúc"), null=True, blank=True)
    created_at = models.DateTimeField(_("giao lúc"))
    due_at = models.DateTimeField(_("hạn xử lý"), null=True, blank=True)
    completed_at = models.DateTimeField(_("hoàn thành lúc"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người hoàn thành"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome = models.CharField(_("kết quả"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("nhiệm vụ")
        verbose_name_plural = _("nhiệm vụ")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal"], condition=Q(completed_at__isnull=True), name="one_open_task_per_proposal"
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(completed_at__gte=F("created_at")),
                name="task_completed_after_created",
            ),
            # A unit's queue, the implementing organisation, or the ministry's Cục (its one national queue).
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(organisation__isnull=False) | Q(role=Role.MINISTRY),
                name="task_has_a_holder",
            ),
        ]
        indexes = [
            # The queue: unassigned open tasks of a role in a unit, by deadline.
            models.Index(
                fields=["role", "unit", "due_at", "id"],
                condition=Q(completed_at__isnull=True, assignee__isnull=True),
                name="task_queue_idx",
            ),
            # The inbox: my open tasks by deadline.
            models.Index(
                fields=["assignee", "due_at", "id"],
                condition=Q(completed_at__isnull=True),
                name="task_inbox_idx",
            ),
            # The archive: what I completed, newest first.
            models.Index(
                fields=["completed_by", "-completed_at", "-id"],
                condition=Q(completed_at__isnull=False),
                name="task_archive_idx",
            ),
            # The reminder sweep: open tasks by deadline.
            models.Index(fields=["due_at"], condition=Q(completed_at__isnull=True), name="task_open_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.get_status_display()} ({self.get_role_display()})"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None


class Delegation(models.Model):
    """While ``delegator`` is away, ``substitute`` may act for them; the audit row records "on behalf of"."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ủy quyền"),
        on_delete=models.CASCADE,
        related_name="delegations_given",
    )
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người được ủy quyền"),
        on_delete=models.CASCADE,
        related_name="delegations_received",
    )
    starts_on = models.DateField(_("từ ngày"))
    ends_on = models.DateField(_("đến hết ngày"))
    created_at = models.DateTimeField(_("tạo lúc"))
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("ủy quyền xử lý")
        verbose_name_plural = _("ủy quyền xử lý")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="delegation_dates_ordered"),
            models.CheckConstraint(condition=~Q(delegator=F("substitute")), name="delegation_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.substitute} ({self.starts_on:%d/%m/%Y}–{self.ends_on:%d/%m/%Y})"
