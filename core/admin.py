from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AdministrativeUnit, CalendarOverride, Organisation, User


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "valid_from", "valid_to", "successor"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent", "successor"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "tax_code", "address_unit", "representative", "phone"]
    list_filter = ["kind"]
    search_fields = ["name", "tax_code"]
    raw_id_fields = ["address_unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    # Django's UserAdmin has fieldsets; ModelAdmin's (the stubs' type for it) may be None.
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Đơn vị"), {"fields": ("unit", "organisation", "phone")}),
    )
    list_display = ["username", "first_name", "last_name", "unit", "organisation", "is_active"]
    list_filter = ["groups", "is_active", "is_staff"]
    raw_id_fields = ["unit", "organisation"]


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "reason"]
    list_filter = ["kind"]
    date_hierarchy = "date"
