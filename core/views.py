from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from .roles import Role

# role → the pages its people start from (URL name, label)
SHORTCUTS = [
    ({Role.APPLICANT}, "portal:index", _("Hồ sơ đề án của đơn vị")),
    (
        {Role.DISTRICT_OFFICER, Role.APPRAISER, Role.DEPARTMENT_HEAD, Role.FINANCE_OFFICER, Role.APPROVER},
        "tasks:inbox",
        _("Việc của tôi"),
    ),
    (
        {Role.DISTRICT_OFFICER, Role.APPRAISER, Role.DEPARTMENT_HEAD, Role.FINANCE_OFFICER, Role.APPROVER},
        "tasks:queue",
        _("Việc chờ nhận của đơn vị"),
    ),
    ({Role.AUDITOR}, "audit:index", _("Nhật ký xử lý và kiểm tra")),
    ({Role.DEPARTMENT_HEAD, Role.APPROVER}, "dashboards:index", _("Thống kê và báo cáo")),
    ({Role.ADMINISTRATOR}, "admin:index", _("Quản trị hệ thống")),
]


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        labels = dict(Role.choices)
        roles = self.request.user.role_names
        context["roles"] = [labels[name] for name in sorted(roles) if name in labels]
        shortcuts = []
        for needed, url_name, label in SHORTCUTS:
            if roles & {str(r) for r in needed}:
                try:
                    shortcuts.append((reverse(url_name), label))
                except NoReverseMatch:  # an app that is not installed in this deployment
                    continue
        context["shortcuts"] = shortcuts
        return context
