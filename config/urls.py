from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from viewflow.contrib.auth import AuthViewset
from viewflow.urls import Application, Site, route

from core.views import HomeView
from core.views_registration import ActivateView, MembersView, SignupView
from workflow.apps_audit import AuditApp, DashboardApp
from workflow.apps_shell import ProposalsApp, TasksApp
from workflow.portal_shell import PortalApp
from workflow.views.portal import RoundDiffView
from workflow.views.public import PublicLookupJsonView, PublicLookupView


class HomeApp(Application):
    title = _("Trang chủ")
    icon = "home"
    app_name = "home"
    index_path = path("", HomeView.as_view(), name="index")
    menu_template_name = None  # one page, no sub-menu (viewflow would print a "No viewsets found" warning)


class StaffSite(Site):
    home_path = route("trang-chu/", HomeApp())
    tasks_path = route("cong-viec/", TasksApp())
    proposals_path = route("de-an/", ProposalsApp())
    audit_path = route("kiem-tra/", AuditApp())
    dashboards_path = route("thong-ke/", DashboardApp())
    portal_path = route("don-vi/", PortalApp())


site = StaffSite(title=_("Khuyến công"))

admin.site.site_header = _("Quản trị hệ thống khuyến công")
admin.site.site_title = _("Khuyến công")

urlpatterns = [
    path("accounts/", AuthViewset(with_profile_view=False).urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("workflow.api.urls")),
    path("tra-cuu/", PublicLookupView.as_view(), name="public_lookup"),
    path("tra-cuu/json/", PublicLookupJsonView.as_view(), name="public_lookup_json"),
    path("dang-ky/", SignupView.as_view(), name="signup"),
    path("dang-ky/xac-nhan/<uidb64>/<token>/", ActivateView.as_view(), name="signup_activate"),
    path("thanh-vien/", MembersView.as_view(), name="members"),
    # The diff between lodging rounds, for reviewers (linked from the staff đề án page) and the applicant.
    path("de-an/<int:pk>/so-sanh/", RoundDiffView.as_view(), name="proposal_diff"),
    path("", site.urls),
]

# A database or cache that cannot be reached is a 503 with Retry-After; a value the database refused, a 400.
handler500 = "core.errors.server_error"
