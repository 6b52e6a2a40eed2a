from django.contrib import admin

from .models import Outbox


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ["created_at", "template", "recipient", "channel", "state", "attempts", "sent_at"]
    list_filter = ["state", "channel", "template"]
    search_fields = ["idempotency_key", "recipient__username"]
    readonly_fields = [f.name for f in Outbox._meta.fields]
