"""The audit trail: one hash-chained, append-only row per transition or action on a đề án."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import AdministrativeUnit

from .dossier import Proposal

GENESIS = "0" * 64


class TransitionEvent(models.Model):
    class Kind(models.TextChoices):
        TRANSITION = "transition", _("Chuyển trạng thái")
        ACTION = "action", _("Thao tác")

    # NULL: an action that concerns no single đề án (a delegation); those rows form their own chain.
    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("đề án"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    seq = models.PositiveIntegerField(_("số thứ tự"))
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    trigger = models.CharField(_("thao tác"), max_length=32)
    from_status = models.CharField(_("từ trạng thái"), max_length=20)
    to_status = models.CharField(_("sang trạng thái"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("thay mặt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField(_("vai trò"), max_length=20, blank=True)
    unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("thời điểm"))
    comment = models.TextField(_("ý kiến"), blank=True)
    data = models.JSONField(_("dữ liệu bước"), default=dict, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Not a column: the applicant's PIN, set on the event that fire() returns for its receipt (declared only).
    receipt_pin: str

    class Meta:
        verbose_name = _("nhật ký xử lý")
        verbose_name_plural = _("nhật ký xử lý")
        ordering = ["proposal", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "seq"], name="event_seq_unique"),
            models.UniqueConstraint(
                fields=["seq"], condition=models.Q(proposal__isnull=True), name="event_system_seq_unique"
            ),
        ]
        indexes = [models.Index(fields=["created_at"]), models.Index(fields=["actor", "created_at"])]

    def __str__(self) -> str:
        return f"{self.proposal_id}#{self.seq} {self.trigger} {self.from_status}→{self.to_status}"

    def compute_hash(self) -> str:
        return event_hash({f: getattr(self, f) for f in HASHED_FIELDS})


# The columns the hash covers, in the order verify_audit reads them.
HASHED_FIELDS = (
    "proposal_id",
    "seq",
    "kind",
    "trigger",
    "from_status",
    "to_status",
    "actor_id",
    "on_behalf_of_id",
    "role",
    "unit_id",
    "created_at",
    "comment",
    "data",
    "ip",
    "prev_hash",
)


# What json.dumps(…, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":")) builds on
# every call, built once: verification hashes every row of the trail.
_CANONICAL = DjangoJSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def event_hash(row: dict) -> str:
    """SHA-256 over the canonical JSON of a row (every recorded field, fixed order and encoding)."""
    body = dict(row)
    body["created_at"] = row["created_at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    return hashlib.sha256(_CANONICAL.encode(body).encode()).hexdigest()
