from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Danh mục chung")

    def ready(self) -> None:
        from .config_cache import watch
        from .models import AdministrativeUnit, CalendarOverride

        watch(CalendarOverride, "calendar")
        watch(AdministrativeUnit, "unit_names", "unit_children")
