from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Danh mục chung")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .config_cache import watch
        from .db import use_c_timestamptz_loader
        from .models import AdministrativeUnit, CalendarOverride, EndorsementLevel
        from .pages import watch as watch_writes

        watch(CalendarOverride, "calendar")
        watch(AdministrativeUnit, "unit_names", "unit_children", "unit_facts", "unit_predecessors")
        watch(EndorsementLevel, "endorsement_levels")
        connection_created.connect(use_c_timestamptz_loader, dispatch_uid="core.c_timestamptz_loader")
        # Every write through Django ends the kept pages (core/pages.py).
        connection_created.connect(watch_writes, dispatch_uid="core.pages.watch")
