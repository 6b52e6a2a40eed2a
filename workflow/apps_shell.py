"""The staff back office as viewflow Applications (the app shell only; see docs/adr/0001)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from core.roles import STAFF_ROLES

from .views import proposals as pv
from .views import tasks as tv


def _is_staff(user) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(STAFF_ROLES & user.role_names))


class TasksApp(Application):
    title = _("Công việc")
    icon = "inbox"
    app_name = "tasks"
    menu_template_name = "workflow/app_menu_tasks.html"
    permission = staticmethod(_is_staff)

    index_path = path("", tv.InboxView.as_view(), name="index")
    inbox_path = path("cua-toi/", tv.InboxView.as_view(), name="inbox")
    queue_path = path("hang-cho/", tv.QueueView.as_view(), name="queue")
    archive_path = path("da-xu-ly/", tv.ArchiveView.as_view(), name="archive")
    claim_path = path("<int:pk>/nhan/", tv.TaskVerbView.as_view(verb="claim"), name="claim")
    release_path = path("<int:pk>/tra-lai/", tv.TaskVerbView.as_view(verb="release"), name="release")
    bulk_claim_path = path("nhan-nhieu/", tv.TaskVerbView.as_view(verb="claim"), name="bulk_claim")
    reassign_path = path("<int:pk>/giao-lai/", tv.ReassignView.as_view(), name="reassign")
    delegate_path = path("uy-quyen/", tv.DelegateView.as_view(), name="delegate")
    batch_path = path("hang-loat/<str:trigger>/", pv.BatchView.as_view(), name="batch")


class ProposalsApp(Application):
    title = _("Đề án")
    icon = "folder"
    app_name = "proposals"
    menu_template_name = "workflow/app_menu_proposals.html"
    permission = staticmethod(_is_staff)

    index_path = path("", pv.ProposalListView.as_view(), name="index")
    detail_path = path("<int:pk>/", pv.ProposalDetailView.as_view(), name="detail")
    action_path = path("<int:pk>/thao-tac/<str:trigger>/", pv.ActionView.as_view(), name="action")
    attachment_path = path("tai-lieu/<int:pk>/", pv.AttachmentDownloadView.as_view(), name="attachment")
