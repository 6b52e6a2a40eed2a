"""The outbox: every message the system owes someone, written in the same transaction as its cause."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")


class Outbox(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi lỗi, không thử lại")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người nhận"), on_delete=models.CASCADE,
                                  related_name="outbox")
    channel = models.CharField(_("kênh"), max_length=8, choices=Channel.choices)
    template = models.CharField(_("mẫu tin"), max_length=64)
    context = models.JSONField(_("nội dung"), default=dict)
    idempotency_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(_("tình trạng"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    next_attempt_at = models.DateTimeField(_("gửi lần tới"), null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"))
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("tin chờ gửi")
        verbose_name_plural = _("hộp thư đi")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="outbox_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient_id} ({self.channel})"
