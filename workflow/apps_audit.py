"""The auditor console and the leaders' dashboards as viewflow Applications of the staff site."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from .views import audit as av
from .views import dashboards as dv


class AuditApp(Application):
    title = _("Thanh tra, kiểm tra")
    icon = "policy"
    app_name = "audit"
    menu_template_name = "audit/app_menu.html"
    permission = staticmethod(av.may_audit)

    index_path = path("", av.EventListView.as_view(), name="index")
    timeline_path = path("de-an/<int:pk>/", av.TimelineView.as_view(), name="timeline")
    verify_path = path("xac-minh/", av.VerifyView.as_view(), name="verify")
    export_path = path("xuat/<str:fmt>/", av.ExportView.as_view(), name="export")


class DashboardApp(Application):
    title = _("Thống kê, báo cáo")
    icon = "insights"
    app_name = "dashboards"
    menu_template_name = "dashboards/app_menu.html"
    permission = staticmethod(dv.may_lead)

    index_path = path("", dv.DashboardView.as_view(), name="index")
    plan_path = path("ke-hoach-nam/", dv.AnnualPlanView.as_view(), name="annual_plan")
    quarterly_path = path("bao-cao-quy/", dv.QuarterlyReportView.as_view(), name="quarterly")
