"""The auditor console and the leaders' dashboards as viewflow Applications of the staff site."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from .apps_shell import GatedApplication
from .views import audit as av
from .views import dashboards as dv


class AuditApp(GatedApplication):
    title = _("Thanh tra, kiểm tra")
    icon = "policy"
    app_name = "audit"
    menu_template_name = "audit/app_menu.html"
    permission = staticmethod(av.may_audit)
    refusal = _("Trang này chỉ dành cho thanh tra, kiểm tra.")

    index_path = path("", av.EventListView.as_view(), name="index")
    timeline_path = path("de-an/<int:pk>/", av.TimelineView.as_view(), name="timeline")
    verify_path = path("xac-minh/", av.VerifyView.as_view(), name="verify")
    export_path = path("xuat/<str:fmt>/", av.ExportView.as_view(), name="export")


class DashboardApp(GatedApplication):
    title = _("Thống kê, báo cáo")
    icon = "insights"
    app_name = "dashboards"
    menu_template_name = "dashboards/app_menu.html"
    permission = staticmethod(dv.may_lead)
    refusal = _("Trang này chỉ dành cho lãnh đạo Sở Công Thương và lãnh đạo phê duyệt.")

    index_path = path("", dv.DashboardView.as_view(), name="index")
    plan_path = path("ke-hoach-nam/", dv.AnnualPlanView.as_view(), name="annual_plan")
    quarterly_path = path("bao-cao-quy/", dv.QuarterlyReportView.as_view(), name="quarterly")
