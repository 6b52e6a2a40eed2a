"""The roles of the system. Each role is a Django group of the same name (created by a migration)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Đơn vị đề nghị / thực hiện đề án")
    DISTRICT_OFFICER = "district_officer", _("Cán bộ cấp huyện / xã")
    APPRAISER = "appraiser", _("Chuyên viên thẩm định Sở Công Thương")
    DEPARTMENT_HEAD = "department_head", _("Lãnh đạo đơn vị")
    FINANCE_OFFICER = "finance_officer", _("Cán bộ Sở Tài chính")
    APPROVER = "approver", _("Lãnh đạo phê duyệt")
    AUDITOR = "auditor", _("Thanh tra / kiểm tra")
    # The ministry's Cục (khuyến công quốc gia): reads the national đề án of every province and their reports.
    MINISTRY = "ministry_officer", _("Cán bộ Cục, Bộ Công Thương")
    ADMINISTRATOR = "administrator", _("Quản trị hệ thống")


STAFF_ROLES = frozenset(
    {
        Role.DISTRICT_OFFICER,
        Role.APPRAISER,
        Role.DEPARTMENT_HEAD,
        Role.FINANCE_OFFICER,
        Role.APPROVER,
        Role.AUDITOR,
        Role.MINISTRY,
        Role.ADMINISTRATOR,
    }
)
