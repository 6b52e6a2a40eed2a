"""Where a đề án is: a province, and under it a district (records of before 1/7/2025) and/or a commune.

The units decide which officers see and endorse the đề án, so the three must describe one place: the district
lies in the province, the commune in the district (or directly in the province, for a commune of today's
two-level map or a đề án without a district). ``check_address`` is the one check every path calls (the
dossier services behind the API, the portal and the demo; the admin shows đề án read-only); the database
repeats it in a trigger (workflow migration 0002 ``proposal_address_consistent``) for writes that bypass them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import AdministrativeUnit


def _unit(value) -> AdministrativeUnit | None:
    if value is None or isinstance(value, AdministrativeUnit):
        return value
    return AdministrativeUnit.objects.filter(pk=value).first()


def check_address(*, province, district, commune) -> None:
    """Raise ``ValidationError`` (messages per field, in Vietnamese) unless the units describe one place.
    Each argument is a unit, its id or None."""
    province, district, commune = _unit(province), _unit(district), _unit(commune)
    errors: dict[str, str] = {}
    if province is None or province.level != AdministrativeUnit.Level.PROVINCE:
        errors["province"] = _("Cần chọn một tỉnh, thành phố.")
    if district is not None:
        if district.level != AdministrativeUnit.Level.DISTRICT:
            errors["district"] = _("“%(name)s” không phải là một huyện, quận, thị xã.") % {
                "name": district.name
            }
        elif province is not None and district.parent_id != province.pk:
            errors["district"] = _("%(district)s không thuộc %(province)s.") % {
                "district": district.name,
                "province": province.name,
            }
    if commune is not None:
        parent = commune.parent
        if commune.level != AdministrativeUnit.Level.COMMUNE:
            errors["commune"] = _("“%(name)s” không phải là một xã, phường, đặc khu.") % {
                "name": commune.name
            }
        elif parent is not None and parent.level == AdministrativeUnit.Level.DISTRICT:
            # A commune of the old map: its district must be the đề án's district.
            if district is None or parent.pk != district.pk:
                errors["commune"] = _("%(commune)s thuộc %(parent)s, không thuộc huyện đã chọn.") % {
                    "commune": commune.name,
                    "parent": parent.name,
                }
        elif district is not None:
            errors["commune"] = _("%(commune)s không thuộc %(district)s.") % {
                "commune": commune.name,
                "district": district.name,
            }
        elif province is not None and commune.parent_id != province.pk:
            errors["commune"] = _("%(commune)s không thuộc %(province)s.") % {
                "commune": commune.name,
                "province": province.name,
            }
    if errors:
        raise ValidationError(errors)
