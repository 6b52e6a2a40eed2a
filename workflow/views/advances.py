"""The advances (tạm ứng) awaiting the body holding the budget: the list of requested advances the signed-in officer
may decide, and the decision (pay or refuse) through ``implementation.decide_advance``.

Who decides is ``advances.decider_role`` of the đề án's track (settings.KHUYENCONG["ADVANCE_DECIDER"]): local, the
Sở Tài chính; national, the ministry side (the Cục's officer for every province, or the Sở Công Thương's
appraiser recording the Cục's payment). An officer other than the Cục's decides only in their own territory.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet, Sum
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core.money import format_vnd
from core.roles import Role
from workflow.advances import advance_terms, decider_role
from workflow.models import Advance, FundingKind, ProgressReport, Proposal
from workflow.permissions import in_unit, unit_filter, visible_proposals
from workflow.services.errors import NotPermitted, WorkflowError

from .common import StaffMixin, client_ip, forbidden

MAX_ROWS = 300


def _decider_of(user, track: str) -> str:
    """The decider role of ``track`` if ``user`` holds it, else ""."""
    role = decider_role(track)
    return role if role and user.is_authenticated and user.has_role(role) else ""


def decides_advances(user) -> bool:
    """Does ``user`` hold the role that pays or refuses the advances of some track (the menu's link)."""
    return any(_decider_of(user, track) for track in FundingKind.values)


def may_decide(user, proposal: Proposal) -> bool:
    """May ``user`` pay or refuse the advances of ``proposal`` (as ``decide_advance`` checks)."""
    role = _decider_of(user, proposal.funding_kind)
    return bool(role) and (role == Role.MINISTRY or in_unit(user.unit, proposal))


def decidable_proposals(user) -> QuerySet[Proposal]:
    """The đề án whose advances ``user`` decides: in their scope, of a track whose decider role they hold, in
    their territory unless they are the Cục's officer (every province)."""
    cond = Q(pk__in=[])
    for track in FundingKind.values:
        role = _decider_of(user, track)
        if role == Role.MINISTRY:
            cond |= Q(funding_kind=track)
        elif role:
            cond |= Q(funding_kind=track) & unit_filter(user.unit)
    return visible_proposals(user).filter(cond)


def pending_advances(user) -> QuerySet[Advance]:
    return (
        Advance.objects.filter(state=Advance.State.REQUESTED, proposal__in=decidable_proposals(user))
        .select_related("proposal")
        .order_by("requested_at", "pk")
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("pay", "pay"), ("refuse", "refuse")])
    note = forms.CharField(label=gettext_lazy("Ghi chú"), required=False, max_length=2000)


def _rows(advances: list[Advance]) -> list[dict]:
    """Each advance with the advance terms of its đề án and what is already advanced or committed."""
    ids = {a.proposal_id for a in advances}
    committed = dict(
        Advance.objects.filter(proposal_id__in=ids)
        .exclude(state=Advance.State.REFUSED)
        .values("proposal_id")
        .annotate(total=Sum("amount"))
        .values_list("proposal_id", "total")
    )
    national = {a.proposal_id for a in advances if a.proposal.funding_kind == FundingKind.NATIONAL}
    latest: dict[int, ProgressReport] = {}
    for report in ProgressReport.objects.filter(proposal_id__in=national).order_by("proposal_id", "-period"):
        latest.setdefault(report.proposal_id, report)
    terms: dict[int, object] = {}
    rows = []
    for a in advances:
        p = a.proposal
        if p.pk not in terms:
            terms[p.pk] = advance_terms(p, latest_report=latest.get(p.pk))
        rows.append({"a": a, "p": p, "terms": terms[p.pk], "committed": committed.get(p.pk, 0)})
    return rows


NOT_A_DECIDER = gettext_lazy(
    "Trang này chỉ dành cho cán bộ duyệt chi tạm ứng (vai trò được giao duyệt chi tạm ứng của đề án)."
)


class _AdvancesPage(StaffMixin, View):
    template_name = "workflow/advances.html"

    def page(self, request, *, status: int = 200, error: str = "", failed: int | None = None, note: str = ""):
        if not decides_advances(request.user):
            return forbidden(request, str(NOT_A_DECIDER))
        advances = list(pending_advances(request.user)[:MAX_ROWS])
        context = {
            "rows": _rows(advances),
            "truncated": len(advances) == MAX_ROWS,
            "error": error,
            "failed": failed,
            "note": note,
        }
        return render(request, self.template_name, context, status=status)


class AdvancesView(_AdvancesPage):
    """Đề nghị tạm ứng chờ duyệt: the requested advances the officer decides."""

    def get(self, request):
        return self.page(request)


class AdvanceDecideView(_AdvancesPage):
    """Pay (“Chi tạm ứng”) or refuse (“Không chấp thuận”, with the reason) one requested advance."""

    subject = ("advance", "pk")

    def post(self, request, pk):
        user = request.user
        advance = (
            Advance.objects.select_related("proposal")
            .filter(pk=pk, proposal__in=visible_proposals(user))
            .first()
        )
        if advance is None:
            raise Http404
        p = advance.proposal
        if not may_decide(user, p):
            # Refused before the form is read, with the reason the service gives.
            role = decider_role(p.funding_kind)
            who = str(Role(role).label) if role in Role.values else role
            who = who[:1].lower() + who[1:]
            if role == Role.MINISTRY:
                reason = _("Chỉ %(role)s mới duyệt chi tạm ứng của đề án này.") % {"role": who}
            else:
                reason = _("Chỉ %(role)s của tỉnh mới duyệt chi tạm ứng của đề án này.") % {"role": who}
            return forbidden(request, reason)
        form = DecisionForm(request.POST)
        note = request.POST.get("note", "")[:2000]
        if not form.is_valid():
            problems = [str(e) for errors in form.errors.values() for e in errors]
            return self.page(request, status=400, error=" ".join(problems), failed=advance.pk, note=note)
        pay = form.cleaned_data["decision"] == "pay"
        from workflow.services.implementation import decide_advance

        try:
            decide_advance(
                advance.pk,
                actor=user,
                now=self.now,
                pay=pay,
                note=form.cleaned_data["note"],
                ip=client_ip(request),
            )
        except WorkflowError as exc:
            if isinstance(exc, NotPermitted):
                return forbidden(request, exc.message)
            return self.page(request, status=exc.status, error=exc.message, failed=advance.pk, note=note)
        values = {"amount": format_vnd(advance.amount), "code": p.tracking_code}
        if pay:
            text = _("Đã chi tạm ứng %(amount)s cho đề án %(code)s.") % values
        else:
            text = _("Đã ghi nhận không chấp thuận đề nghị tạm ứng %(amount)s của đề án %(code)s.") % values
        messages.success(request, text)
        return HttpResponseRedirect(reverse("tasks:advances"))
