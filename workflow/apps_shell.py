"""The staff back office as viewflow Applications (the app shell only; see docs/adr/0001).

``GatedApplication`` is the gate of every application of the site. Viewflow's SiteMiddleware answers a bare
403 to a user the application's ``permission`` does not admit, before any view runs: an applicant asking a
staff page about another organisation's đề án, or a staff member asking the portal about one, was told "403"
where the views answer 404 for a đề án the user may not see (and for an id that does not exist). The gate
answers instead, inside each URL of the application (viewflow's check is not reached: see
``_get_resolver_extra``):

* a visitor who is not signed in: 403, as before (nothing is looked up);
* a signed-in user the application does not admit, on a URL that names a đề án (or its task or attachment,
  ``subject`` of the view): 404 when that đề án is not in the application's scope for the user, exactly as for
  an id that does not exist; 403 with the reason when the user may see the đề án but the page is not for
  their role;
* on a URL that names no đề án: 403 with the reason;
* a view with ``answers_outsiders = True`` (the staff action page) answers everyone signed in itself, with the
  reason from the permissions (``permissions.can_fire``).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from .permissions import visible_proposals
from .views import advances as av
from .views import proposals as pv
from .views import tasks as tv
from .views.common import forbidden, is_staff, proposal_id_of


class GatedApplication(Application):
    """An Application whose refusals tell nothing about a đề án the user may not see (see the module)."""

    # Why the application refuses a signed-in user it does not admit (shown on the 403 page).
    refusal = _("Trang này không dành cho vai trò của bạn.")

    def scope(self, user):
        """The đề án the application shows to ``user`` (who may still not be admitted to its pages)."""
        return visible_proposals(user)

    def _get_resolver_extra(self):
        # No "app" key: viewflow's SiteMiddleware would refuse with its bare 403 before the gate below runs.
        # The gate puts the application on request.resolver_match itself, where the templates read it.
        return {"viewset": self}

    def _create_url_pattern(self, value):
        pattern = super()._create_url_pattern(value)
        if isinstance(pattern, URLPattern):
            return URLPattern(
                pattern.pattern, self._gated(pattern.callback), pattern.default_args, pattern.name
            )
        return pattern

    def _gated(self, view):
        view_class = getattr(view, "view_class", None)
        subject = getattr(view_class, "subject", None)
        answers_outsiders = getattr(view_class, "answers_outsiders", False)

        @wraps(view)
        def gate(request, *args, **kwargs):
            if request.resolver_match is not None:
                request.resolver_match.app = self
            user = request.user
            if not self.has_view_permission(user):
                if not user.is_authenticated:
                    raise PermissionDenied
                if not answers_outsiders:
                    return self.refuse(request, subject, kwargs)
            return view(request, *args, **kwargs)

        return gate

    def refuse(self, request, subject, kwargs):
        kind, keyword = subject if subject else (None, None)
        if kind is not None and keyword in kwargs:
            proposal_id = proposal_id_of(kind, kwargs[keyword])
            if proposal_id is None or not self.scope(request.user).filter(pk=proposal_id).exists():
                raise Http404
        return forbidden(request, self.refusal)


STAFF_ONLY = _("Trang này chỉ dành cho cán bộ xử lý đề án; tài khoản của bạn không có vai trò cán bộ.")


class TasksApp(GatedApplication):
    title = _("Công việc")
    icon = "inbox"
    app_name = "tasks"
    menu_template_name = "workflow/app_menu_tasks.html"
    permission = staticmethod(is_staff)
    refusal = STAFF_ONLY

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
    advances_path = path("tam-ung/", av.AdvancesView.as_view(), name="advances")
    advance_decide_path = path("tam-ung/<int:pk>/", av.AdvanceDecideView.as_view(), name="advance_decide")


class ProposalsApp(GatedApplication):
    title = _("Đề án")
    icon = "folder"
    app_name = "proposals"
    menu_template_name = "workflow/app_menu_proposals.html"
    permission = staticmethod(is_staff)
    refusal = STAFF_ONLY

    index_path = path("", pv.ProposalListView.as_view(), name="index")
    detail_path = path("<int:pk>/", pv.ProposalDetailView.as_view(), name="detail")
    action_path = path("<int:pk>/thao-tac/<str:trigger>/", pv.ActionView.as_view(), name="action")
    refund_path = path("<int:pk>/nop-tra/", pv.RefundView.as_view(), name="refund")
    attachment_path = path("tai-lieu/<int:pk>/", pv.AttachmentDownloadView.as_view(), name="attachment")
