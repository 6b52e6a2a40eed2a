from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("Đề án khuyến công")

    def ready(self) -> None:
        from core.config_cache import watch

        from . import checks  # noqa: F401  (registers the lifecycle system checks)
        from .models import SlaPolicy

        watch(SlaPolicy, "sla_policies")
