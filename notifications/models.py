"""The outbox (every message the system owes someone, written in the same transaction as its cause), the
message templates, each user's preferences and the delivery log."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")


class Language(models.TextChoices):
    VI = "vi", _("Tiếng Việt")
    EN = "en", _("English")


class MessageTemplate(models.Model):
    """The text of one event's message. Django template syntax over the outbox row's context.

    Vietnamese is required; English is used for users who chose English, falling back to Vietnamese when blank.
    """

    code = models.CharField(_("mã sự kiện"), max_length=64, unique=True)
    name = models.CharField(_("tên"), max_length=120)
    subject_vi = models.CharField(_("tiêu đề thư (tiếng Việt)"), max_length=200)
    body_vi = models.TextField(_("nội dung thư (tiếng Việt)"))
    sms_vi = models.CharField(_("nội dung SMS (tiếng Việt)"), max_length=480)
    subject_en = models.CharField(_("tiêu đề thư (tiếng Anh)"), max_length=200, blank=True)
    body_en = models.TextField(_("nội dung thư (tiếng Anh)"), blank=True)
    sms_en = models.CharField(_("nội dung SMS (tiếng Anh)"), max_length=480, blank=True)
    always_immediate = models.BooleanField(
        _("luôn gửi ngay"),
        default=False,
        help_text=_(
            "Gửi ngay cả khi người nhận chọn nhận bản tổng hợp hằng ngày (ví dụ: biên nhận hồ sơ có mã PIN)."
        ),
    )
    is_active = models.BooleanField(
        _("đang dùng"), default=True, help_text=_("Bỏ chọn để ngừng tạo tin cho sự kiện này.")
    )
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("mẫu tin nhắn")
        verbose_name_plural = _("mẫu tin nhắn")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Preference(models.Model):
    """How one user wants to hear from the system. No row means: email and SMS, immediately, in Vietnamese."""

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("Gửi ngay từng tin")
        DAILY = "daily", _("Tổng hợp một lần mỗi ngày")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email = models.BooleanField(_("nhận qua thư điện tử"), default=True)
    sms = models.BooleanField(_("nhận qua SMS"), default=True)
    frequency = models.CharField(
        _("tần suất"), max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    language = models.CharField(_("ngôn ngữ"), max_length=2, choices=Language.choices, default=Language.VI)

    class Meta:
        verbose_name = _("tùy chọn nhận thông báo")
        verbose_name_plural = _("tùy chọn nhận thông báo")
        ordering = ["user"]

    def __str__(self) -> str:
        return str(self.user)


class Outbox(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi lỗi, không thử lại")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.CASCADE,
        related_name="outbox",
    )
    channel = models.CharField(_("kênh"), max_length=8, choices=Channel.choices)
    template = models.CharField(_("mẫu tin"), max_length=64)
    context = models.JSONField(_("nội dung"), default=dict)
    idempotency_key = models.CharField(max_length=200, unique=True)
    digest = models.BooleanField(_("gửi trong bản tổng hợp"), default=False)
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


class Delivery(models.Model):
    """One attempt to send one message (or one daily digest of several outbox rows) through one channel."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Đã gửi")
        RETRY = "retry", _("Lỗi, sẽ thử lại")
        FAILED = "failed", _("Lỗi, không thử lại")

    attempted_at = models.DateTimeField(_("gửi lúc"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người nhận"), on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(_("kênh"), max_length=8, choices=Channel.choices)
    address = models.CharField(_("địa chỉ nhận"), max_length=254)
    subject = models.CharField(_("tiêu đề"), max_length=255, blank=True)
    body = models.TextField(_("nội dung"))
    outcome = models.CharField(_("kết quả"), max_length=8, choices=Outcome.choices)
    error = models.TextField(_("lỗi"), blank=True)
    messages = models.ManyToManyField(Outbox, verbose_name=_("tin trong lần gửi"), related_name="deliveries")

    class Meta:
        verbose_name = _("lần gửi")
        verbose_name_plural = _("nhật ký gửi tin")
        ordering = ["-attempted_at", "-id"]
        indexes = [models.Index(fields=["recipient", "-attempted_at"])]

    def __str__(self) -> str:
        return f"{self.attempted_at:%d/%m/%Y %H:%M} {self.get_channel_display()} → {self.address}"
