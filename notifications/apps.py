from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Thông báo")

    def ready(self) -> None:
        from core.config_cache import watch

        from .models import MessageTemplate

        watch(MessageTemplate, "message_templates")
