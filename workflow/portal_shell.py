"""The applicant portal as a viewflow Application of the site (the app shell only; see docs/adr/0001)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.roles import Role

from .apps_shell import GatedApplication
from .services import portal as portal_services
from .views import portal as v


def _is_applicant(user) -> bool:
    return user.is_authenticated and user.has_role(Role.APPLICANT) and bool(user.organisation_id)


class PortalApp(GatedApplication):
    title = _("Đơn vị đề nghị")
    icon = "storefront"
    app_name = "portal"
    menu_template_name = "portal/app_menu.html"
    permission = staticmethod(_is_applicant)
    refusal = _("Trang này chỉ dành cho tài khoản của đơn vị đề nghị.")

    def scope(self, user):
        # The organisation's own đề án: for anyone the portal does not admit (staff), none — every portal
        # URL naming a đề án or one of its files is a 404 for them.
        return portal_services.own_proposals(user)

    index_path = path("", v.PortalIndexView.as_view(), name="index")
    start_path = path("lap-moi/", v.ProposalStartView.as_view(), name="start")
    detail_path = path("<int:pk>/", v.ProposalStatusView.as_view(), name="detail")
    edit_path = path("<int:pk>/soan-thao/", v.DossierEditView.as_view(), name="edit")
    upload_path = path("<int:pk>/tai-lieu/", v.AttachmentUploadView.as_view(), name="upload")
    remove_path = path(
        "<int:pk>/tai-lieu/<int:attachment_pk>/xoa/",
        v.AttachmentDeleteView.as_view(),
        name="remove_attachment",
    )
    download_path = path(
        "tai-lieu/<int:attachment_pk>/", v.AttachmentDownloadView.as_view(), name="attachment"
    )
    receipt_path = path("<int:pk>/bien-nhan/", v.ReceiptView.as_view(), name="receipt")
    withdraw_path = path("<int:pk>/rut-ho-so/", v.WithdrawView.as_view(), name="withdraw")
    report_path = path("<int:pk>/bao-cao-tien-do/", v.ProgressReportView.as_view(), name="progress_report")
    advance_path = path("<int:pk>/tam-ung/", v.AdvanceRequestView.as_view(), name="advance")
    completion_path = path(
        "<int:pk>/bao-cao-hoan-thanh/", v.CompletionReportView.as_view(), name="completion"
    )
    settlement_path = path("<int:pk>/quyet-toan/", v.SettlementDossierView.as_view(), name="settlement")
