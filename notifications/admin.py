from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Delivery, MessageTemplate, Outbox, Preference
from .rendering import masked, render
from .services import requeue


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "subject_vi", "always_immediate", "is_active", "updated_at"]
    list_filter = ["is_active", "always_immediate"]
    search_fields = ["code", "name", "subject_vi", "body_vi", "sms_vi"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "is_active", "always_immediate", "updated_at"]}),
        (_("Tiếng Việt"), {"fields": ["subject_vi", "body_vi", "sms_vi"]}),
        (
            _("Tiếng Anh (để trống thì dùng bản tiếng Việt)"),
            {"fields": ["subject_en", "body_en", "sms_en"], "classes": ["collapse"]},
        ),
    ]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "sms", "frequency", "language"]
    list_filter = ["frequency", "email", "sms", "language"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email", "user__phone"]
    raw_id_fields = ["user"]


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "template",
        "recipient",
        "channel",
        "state",
        "digest",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["state", "channel", "digest", "template"]
    search_fields = [
        "idempotency_key",
        "recipient__username",
        "recipient__email",
        "recipient__phone",
        "last_error",
    ]
    date_hierarchy = "created_at"
    readonly_fields = [
        *(f.name for f in Outbox._meta.fields if f.name != "context"),
        "shown_context",
        "preview",
    ]
    exclude = ["context"]
    actions = ["requeue_failed"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("nội dung"))
    def shown_context(self, obj):
        return masked(obj.context)

    @admin.display(description=_("xem trước"))
    def preview(self, obj):
        r = render(obj.template, masked(obj.context), recipient_name=str(obj.recipient))
        return f"{r.subject}\n\n{r.body}\nSMS: {r.sms}"

    @admin.action(description=_("Gửi lại các tin gửi lỗi đã chọn"))
    def requeue_failed(self, request, queryset):
        count = requeue(queryset.values_list("pk", flat=True), now=timezone.now())
        self.message_user(
            request,
            ngettext(
                "Đã đưa %(count)d tin vào hàng gửi lại.", "Đã đưa %(count)d tin vào hàng gửi lại.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log: every attempt, searchable by person, address, text and error."""

    list_display = ["attempted_at", "recipient", "channel", "address", "subject", "outcome"]
    list_filter = ["outcome", "channel"]
    search_fields = [
        "recipient__username",
        "recipient__first_name",
        "recipient__last_name",
        "address",
        "subject",
        "body",
        "error",
        "messages__idempotency_key",
    ]
    date_hierarchy = "attempted_at"
    readonly_fields = [f.name for f in Delivery._meta.fields] + ["messages"]
    list_select_related = ["recipient"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
