"""The đề án page (dossier, history, time per status, diagram), its action screens, batch actions and
private attachment downloads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from core.calendar import VN_TZ
from core.validators import parse_int
from workflow.forms import ApproveForm, MoneyField, action_form
from workflow.lifecycle import PUBLIC_NAMES, REVIEW, Status, get_lifecycle, lifecycle_of, mermaid
from workflow.models import Attachment, Settlement, Task
from workflow.permissions import can_fire, visible_proposals
from workflow.selectors import history, time_in_status
from workflow.services.audit import record_action
from workflow.services.errors import NotAllowedFromStatus, NotPermitted, WorkflowError
from workflow.services.transitions import available_triggers, fire, fire_batch

from .advances import may_decide
from .common import StaffMixin, client_ip, is_staff, visible_proposal_or_404

MAIN_PATH = {
    "local": [
        "drafted",
        "lodged",
        "district_submitted",
        "appraised",
        "finance_verified",
        "approved",
        "implemented",
        "settlement_filed",
        "settled",
    ],
    "national": [
        "drafted",
        "registered",
        "base_appraised",
        "sent_to_ministry",
        "ministry_appraised",
        "approved",
        "contracted",
        "implemented",
        "settlement_filed",
        "settled",
    ],
}


def budget_totals(lines) -> dict:
    totals = {"national": 0, "local": 0, "counterpart": 0}
    for line in lines:
        totals["national"] += line.national_amount
        totals["local"] += line.local_amount
        totals["counterpart"] += line.counterpart_amount
    totals["support"] = totals["national"] + totals["local"]
    totals["total"] = totals["support"] + totals["counterpart"]
    return totals


class ProposalListView(StaffMixin, TemplateView):
    template_name = "workflow/proposal_list.html"

    def get_context_data(self, **kwargs):
        q = self.request.GET.get("q", "").strip()[:100]
        status = self.request.GET.get("status", "")
        qs = visible_proposals(self.request.user).select_related("district", "commune")
        if q:
            qs = qs.filter(Q(tracking_code__iexact=q) | Q(title__icontains=q))
        if status in Status.values:
            qs = qs.filter(status=status)
        return {
            **super().get_context_data(**kwargs),
            "proposals": qs.order_by("-updated_at", "-id")[:100],
            "q": q,
            "status": status,
            "statuses": Status.choices,
        }


class ProposalDetailView(StaffMixin, TemplateView):
    template_name = "workflow/proposal_detail.html"
    subject = ("proposal", "pk")

    def get_context_data(self, pk, **kwargs):
        user, now = self.request.user, self.now
        p = visible_proposal_or_404(user, pk)
        lines = list(p.budget_lines.all())
        events = list(history(p))
        task = (
            Task.objects.select_related("unit", "assignee")
            .filter(proposal=p, completed_at__isnull=True)
            .first()
        )
        from workflow.validation import cap_problems

        lifecycle = lifecycle_of(p)
        path = [s for s in MAIN_PATH.get(lifecycle.track, ()) if s in lifecycle.statuses]
        return {
            **super().get_context_data(**kwargs),
            "p": p,
            "lines": lines,
            "totals": budget_totals(lines),
            "cap_problems": cap_problems(p, on=now.astimezone(VN_TZ).date()),
            "work_items": list(p.work_items.all()),
            "attachments": list(p.attachments.all()),
            "events": events,
            "spans": time_in_status(p, events, now=now),
            "task": task,
            "actions": available_triggers(user, p, now=now, task=task),
            "advances": list(p.advances.all()),
            "decides_advances": may_decide(user, p),
            "refund": Settlement.objects.filter(proposal=p, refund_amount__gt=0).first()
            if p.settled_amount is not None
            else None,
            "path": [(s, Status(s).label, s == p.status) for s in path],
            "off_path": p.status not in path,
            "public_name": PUBLIC_NAMES[p.status],
            "diagram": mermaid(lifecycle, highlight=p.status),
            "now": now,
            "is_late": bool(task and task.due_at and task.due_at < now),
            "dossier_late": bool(p.dossier_due_at and p.dossier_due_at < now and p.status in REVIEW_STATUSES),
        }


class ActionView(LoginRequiredMixin, View):
    """The form of one trigger (GET) and its firing through the transition service (POST).

    Anyone signed in gets an answer here (the application's gate lets them through, ``answers_outsiders``): a
    đề án they may not see, or an unknown trigger, is a 404 as for an id that does not exist; a đề án they may
    see but on which the trigger is not theirs now is refused with the reason — 403 (``can_fire``) or 409 (not
    from the current status), as the transition service would answer — before any input is read."""

    template_name = "workflow/action.html"
    subject = ("proposal", "pk")
    answers_outsiders = True

    @property
    def now(self):
        return timezone.now()

    def _setup(self, request, pk, trigger):
        p = visible_proposal_or_404(request.user, pk)
        lifecycle = lifecycle_of(p)
        t = lifecycle.triggers.get(trigger)
        form_class = action_form(trigger, lifecycle.track)
        if t is None or form_class is None:
            raise Http404
        return p, t, form_class

    def refusal(self, user, p, t) -> WorkflowError | None:
        """Why ``user`` may not fire ``t`` on the đề án as it is now (fire's checks, in its order), or None."""
        lifecycle = lifecycle_of(p)
        if lifecycle.resume_target(t.name, p.status, p.returned_from) is None:
            return NotAllowedFromStatus(
                _("Không thể “%(action)s” khi đề án đang ở trạng thái “%(status)s”.")
                % {"action": t.label, "status": Status(p.status).label}
            )
        task = Task.objects.filter(proposal=p, completed_at__isnull=True).first()
        decision = can_fire(user, p, t.name, task=task, now=self.now)
        if not decision:
            return NotPermitted(decision.reason)
        if not is_staff(user):
            return NotPermitted(
                _("Đơn vị đề nghị thực hiện thao tác này trên trang hồ sơ của mình (Cổng đơn vị đề nghị).")
            )
        return None

    def _refused(self, request, p, t, form, exc: WorkflowError):
        context = {"p": p, "t": t, "form": form, "allowed": False, "reason": exc.message}
        return render(request, self.template_name, context, status=exc.status)

    def _initial(self, p, trigger) -> dict:
        initial = {"expected_status": p.status}
        if trigger == "appraise":
            initial["recommended_amount"] = sum(line.support for line in p.budget_lines.all())
        elif trigger == "verify_finance" and p.recommended_amount is not None:
            lines = list(p.budget_lines.all())
            national = min(sum(x.national_amount for x in lines), p.recommended_amount)
            initial.update(national_amount=national, local_amount=p.recommended_amount - national)
        elif trigger == "approve":
            initial["amount"] = p.verified_amount
        elif trigger == "appraise_ministry":
            initial["amount"] = p.recommended_amount
        elif trigger == "contract":
            initial["amount"] = p.approved_amount
        return initial

    def get(self, request, pk, trigger):
        p, t, form_class = self._setup(request, pk, trigger)
        refused = self.refusal(request.user, p, t)
        if refused is not None:
            return self._refused(request, p, t, None, refused)
        form = form_class(initial=self._initial(p, trigger))
        return render(request, self.template_name, {"p": p, "t": t, "form": form, "allowed": True})

    def post(self, request, pk, trigger):
        p, t, form_class = self._setup(request, pk, trigger)
        # A form filled in on an older status goes to the service, which reports the conflict; otherwise a
        # trigger that is not the user's now is refused before the input is read. Non-staff never reach fire.
        if request.POST.get("expected_status", p.status) == p.status or not is_staff(request.user):
            refused = self.refusal(request.user, p, t)
            if refused is not None:
                return self._refused(request, p, t, None, refused)
        form = form_class(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            try:
                fire(
                    p.pk,
                    trigger,
                    actor=request.user,
                    now=self.now,
                    comment=form.cleaned_data.get("comment", ""),
                    data=form.to_data(),
                    ip=client_ip(request),
                    expected_status=form.cleaned_data["expected_status"],
                )
            except WorkflowError as exc:
                status = exc.status
                form.add_error(None, exc.message)
                for problem in exc.problems:
                    form.add_error(None, problem)
            else:
                messages.success(
                    request,
                    _("Đã thực hiện “%(action)s” cho đề án %(code)s.")
                    % {"action": t.label, "code": p.tracking_code},
                )
                return HttpResponseRedirect(reverse("proposals:detail", args=[p.pk]))
        return render(
            request, self.template_name, {"p": p, "t": t, "form": form, "allowed": True}, status=status
        )


BATCH_TRIGGERS = {"verify_finance": Status.APPRAISED, "approve": Status.FINANCE_VERIFIED}


class BatchView(StaffMixin, View):
    """Finance verification or approval of a selected list, each đề án through the service."""

    template_name = "workflow/batch.html"

    def _candidates(self, request, trigger):
        if trigger not in BATCH_TRIGGERS:
            raise Http404
        role = get_lifecycle().triggers[trigger].role
        if not request.user.has_role(role):
            raise Http404
        return list(
            visible_proposals(request.user)
            .filter(status=BATCH_TRIGGERS[trigger])
            .select_related("district", "commune")
            .order_by("plan_year", "tracking_code")[:500]
        )

    def get(self, request, trigger):
        rows = self._candidates(request, trigger)
        return render(
            request,
            self.template_name,
            {
                "trigger": trigger,
                "t": get_lifecycle().triggers[trigger],
                "rows": rows,
                "form": ApproveForm() if trigger == "approve" else None,
            },
        )

    def post(self, request, trigger):
        rows = {p.pk: p for p in self._candidates(request, trigger)}
        selected = [n for n in map(parse_int, request.POST.getlist("proposal")) if n in rows]
        money = MoneyField(required=False)
        items, errors = [], []
        header = {}
        if trigger == "approve":
            header = {
                "decision_number": request.POST.get("decision_number", "").strip(),
                "decision_date": request.POST.get("decision_date", ""),
            }
        for pk in selected:
            try:
                if trigger == "verify_finance":
                    data = {
                        "national_amount": money.clean(request.POST.get(f"national_{pk}")),
                        "local_amount": money.clean(request.POST.get(f"local_{pk}")),
                    }
                else:
                    data = {**header, "amount": money.clean(request.POST.get(f"amount_{pk}"))}
            except Exception:  # noqa: BLE001 - a malformed amount is reported on its row
                errors.append((pk, _("Số tiền không hợp lệ.")))
                continue
            items.append((pk, data))
        results = fire_batch(items, trigger, actor=request.user, now=self.now, ip=client_ip(request))
        report = [(rows[r.proposal_id], r.ok, r.message) for r in results]
        report += [(rows[pk], False, msg) for pk, msg in errors]
        if not selected:
            messages.warning(request, _("Chưa chọn đề án nào."))
        ok = sum(1 for _p, success, _m in report if success)
        if report:
            messages.info(request, _("Đã xử lý %(ok)d/%(n)d đề án.") % {"ok": ok, "n": len(report)})
        return render(
            request,
            self.template_name,
            {
                "trigger": trigger,
                "t": get_lifecycle().triggers[trigger],
                "rows": self._candidates(request, trigger),
                "report": report,
                "form": ApproveForm(initial=header) if trigger == "approve" else None,
            },
        )


class AttachmentDownloadView(View):
    """A private file, served only to someone who may see its đề án; the download is an audit row."""

    subject = ("attachment", "pk")

    def get(self, request, pk):
        if not request.user.is_authenticated:
            raise Http404
        attachment = Attachment.objects.select_related("proposal").filter(pk=pk).first()
        if (
            attachment is None
            or not visible_proposals(request.user).filter(pk=attachment.proposal_id).exists()
        ):
            raise Http404
        from django.db import transaction

        from workflow.models import Proposal

        with transaction.atomic():
            proposal = Proposal.objects.select_for_update().get(pk=attachment.proposal_id)
            record_action(
                proposal,
                "download",
                actor=request.user,
                now=timezone.now(),
                data={"attachment": attachment.pk, "name": attachment.original_name},
                ip=client_ip(request),
            )
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.mime_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


REVIEW_STATUSES = [str(s) for s in REVIEW]


class RefundView(StaffMixin, View):
    """The refund a settlement left owing, recorded as paid back (date and receipt) by the Sở Công Thương. Until
    then the đề án is listed as owing it (``refunds_owed``)."""

    template_name = "workflow/refund.html"
    subject = ("proposal", "pk")

    def _settlement(self, request, pk):
        p = visible_proposal_or_404(request.user, pk)
        settlement = Settlement.objects.filter(proposal=p, refund_amount__gt=0).first()
        if settlement is None:
            raise Http404
        return p, settlement

    def get(self, request, pk):
        from workflow.forms import RefundForm

        p, settlement = self._settlement(request, pk)
        form = RefundForm(initial={"paid_on": self.now.astimezone(VN_TZ).date()})
        return render(request, self.template_name, {"p": p, "s": settlement, "form": form})

    def post(self, request, pk):
        from workflow.forms import RefundForm
        from workflow.services.implementation import record_refund

        p, settlement = self._settlement(request, pk)
        form = RefundForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                record_refund(
                    p.pk,
                    actor=request.user,
                    now=self.now,
                    paid_on=form.cleaned_data["paid_on"],
                    receipt=form.cleaned_data["receipt"],
                    ip=client_ip(request),
                )
            except WorkflowError as exc:
                status = exc.status
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Đã ghi nhận việc nộp trả kinh phí của đề án %(code)s.") % {"code": p.tracking_code},
                )
                return HttpResponseRedirect(reverse("proposals:detail", args=[p.pk]))
        return render(request, self.template_name, {"p": p, "s": settlement, "form": form}, status=status)
