"""The applicant portal: my đề án, the dossier editor, lodging and the receipt, the status page, and what is filed
while a đề án is approved (progress reports, advances, completion report, settlement dossier). Each view
translates input, calls one service or selector of workflow/services/portal.py (or the lifecycle services), and
translates the result; a đề án of another organisation is a 404."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from core.calendar import VN_TZ
from core.models import User
from core.roles import Role
from workflow import forms_portal as pf
from workflow.advances import advance_terms
from workflow.eligibility import eligibility_problems
from workflow.lifecycle import Status
from workflow.models import Advance, AttachmentKind, CompletionReport, ProgressReport, SettlementDossier
from workflow.services import implementation, portal
from workflow.services.errors import GuardFailed, NotFound, WorkflowError
from workflow.services.proposals import create_proposal
from workflow.services.transitions import fire
from workflow.validation import cap_problems, cap_summary, missing_parts

from .common import client_ip

PIN_SESSION_KEY = "portal-receipt-pin-%s"


class ApplicantMixin(LoginRequiredMixin):
    """A signed-in user of an applicant organisation; anybody else gets 404."""

    subject = ("proposal", "pk")  # for the portal's gate (workflow/portal_shell.py)
    request: HttpRequest  # set by the View this mixin goes with

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.has_role(Role.APPLICANT) and user.organisation_id):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    @property
    def now(self) -> dt.datetime:
        return timezone.now()

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(VN_TZ).date()

    def own(self, pk: int):
        user = self.request.user
        if not isinstance(user, User):  # not so: LoginRequiredMixin let only a signed-in user in
            raise Http404
        try:
            return portal.own_proposal(user, pk)
        except NotFound as exc:
            raise Http404 from exc


def _errors_to_form(form, exc: WorkflowError) -> None:
    form.add_error(None, exc.message)
    for problem in exc.problems:
        form.add_error(None, problem)


class PortalIndexView(ApplicantMixin, View):
    def get(self, request):
        proposals = (
            portal.own_proposals(request.user)
            .select_related("district", "commune")
            .order_by("-updated_at", "-id")
        )
        return render(
            request, "portal/index.html", {"proposals": proposals, "org": request.user.organisation}
        )


class ProposalStartView(ApplicantMixin, View):
    template_name = "portal/start.html"

    def get(self, request):
        org = request.user.organisation
        initial = (
            {"location": org.address_unit_id} if org.address_unit.level in ("district", "commune") else {}
        )
        return render(
            request, self.template_name, {"form": pf.ProposalStartForm(today=self.today, initial=initial)}
        )

    def post(self, request):
        form = pf.ProposalStartForm(request.POST, today=self.today)
        if form.is_valid():
            try:
                p = create_proposal(actor=request.user, now=self.now, **form.to_fields())
            except WorkflowError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("Đã tạo đề án %(code)s. Hãy soạn các mục của hồ sơ; có thể lưu bất cứ lúc nào.")
                    % {"code": p.tracking_code},
                )
                return HttpResponseRedirect(reverse("portal:edit", args=[p.pk]))
        return render(request, self.template_name, {"form": form}, status=400)


class DossierEditView(ApplicantMixin, View):
    """The dossier editor of a draft. "Lưu" saves; "Nộp hồ sơ" saves and lodges."""

    template_name = "portal/edit.html"

    def _context(self, p, form, works, lines, **extra):
        today = self.today
        attachments = list(p.attachments.all())
        kinds = [(k, label, [a for a in attachments if a.kind == k]) for k, label in AttachmentKind.choices]
        return {
            "p": p,
            "form": form,
            "works": works,
            "lines": lines,
            "sections": [(form[f], "section-" + f.replace("_", "-")) for f in pf.SECTION_FIELDS],
            "general": [form[f] for f in pf.GENERAL_FIELDS],
            "eligibility": [form[f] for f in pf.ELIGIBILITY_FIELDS],
            "targets": [form[f] for f in pf.TARGET_FIELDS],
            "attachment_kinds": kinds,
            "attachment_form": pf.AttachmentForm(),
            "cap": cap_summary(p, on=today),
            "cap_problems": cap_problems(p, on=today),
            "eligibility_problems": eligibility_problems(p, on=today),
            "missing": missing_parts(p),
            "max_mb": portal.upload_max_bytes() // (1024 * 1024),
            "return_reason": portal.status_view(p, now=self.now, with_reasons=True).last_reason,
            **extra,
        }

    def get(self, request, pk):
        p = self.own(pk)
        if p.status != Status.DRAFTED:
            return HttpResponseRedirect(reverse("portal:detail", args=[p.pk]))
        form = pf.DossierForm(instance=p, today=self.today)
        works = pf.WorkItemFormSet(prefix="wi", initial=pf.work_item_initial(p))
        lines = pf.BudgetLineFormSet(prefix="bl", initial=pf.budget_line_initial(p))
        return render(request, self.template_name, self._context(p, form, works, lines))

    def post(self, request, pk):
        p = self.own(pk)
        if p.status != Status.DRAFTED:
            messages.error(request, portal.DRAFT_ONLY)
            return HttpResponseRedirect(reverse("portal:detail", args=[p.pk]))
        form = pf.DossierForm(request.POST, instance=portal.own_proposal(request.user, pk), today=self.today)
        works = pf.WorkItemFormSet(request.POST, prefix="wi", initial=pf.work_item_initial(p))
        lines = pf.BudgetLineFormSet(request.POST, prefix="bl", initial=pf.budget_line_initial(p))
        lodging = "lodge" in request.POST
        if not (form.is_valid() and works.is_valid() and lines.is_valid()):
            messages.error(
                request,
                _(
                    "Chưa lưu: có ô nhập chưa đúng (đánh dấu đỏ bên dưới). Những gì bạn đã nhập "
                    "vẫn còn nguyên."
                ),
            )
            return render(request, self.template_name, self._context(p, form, works, lines), status=400)
        try:
            portal.save_dossier(
                p.pk,
                actor=request.user,
                now=self.now,
                fields=form.to_fields(),
                work_items=pf.work_items_from(works),
                budget_lines=pf.budget_lines_from(lines),
                ip=client_ip(request),
            )
        except WorkflowError as exc:
            _errors_to_form(form, exc)
            return render(
                request, self.template_name, self._context(p, form, works, lines), status=exc.status
            )
        if not lodging:
            messages.success(request, _("Đã lưu hồ sơ."))
            return HttpResponseRedirect(reverse("portal:edit", args=[p.pk]))
        try:
            event = fire(
                p.pk,
                "lodge",
                actor=request.user,
                now=self.now,
                ip=client_ip(request),
                expected_status=Status.DRAFTED,
            )
        except GuardFailed as exc:
            p = self.own(pk)
            messages.warning(
                request, _("Đã lưu hồ sơ, nhưng chưa nộp được vì hồ sơ còn thiếu hoặc chưa đúng:")
            )
            return render(
                request,
                self.template_name,
                self._context(
                    p,
                    pf.DossierForm(instance=p, today=self.today),
                    pf.WorkItemFormSet(prefix="wi", initial=pf.work_item_initial(p)),
                    pf.BudgetLineFormSet(prefix="bl", initial=pf.budget_line_initial(p)),
                    lodge_problems=exc.problems,
                ),
                status=400,
            )
        except WorkflowError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("portal:edit", args=[p.pk]))
        if getattr(event, "receipt_pin", ""):
            request.session[PIN_SESSION_KEY % p.pk] = event.receipt_pin
        messages.success(request, _("Đã nộp hồ sơ %(code)s.") % {"code": p.tracking_code})
        return HttpResponseRedirect(reverse("portal:receipt", args=[p.pk]))


class AttachmentUploadView(ApplicantMixin, View):
    def post(self, request, pk):
        p = self.own(pk)
        form = pf.AttachmentForm(request.POST, request.FILES)
        target = reverse("portal:edit", args=[p.pk]) + "#attachments"
        if not form.is_valid():
            for errors in form.errors.values():
                for e in errors:
                    messages.error(request, _("Chưa tải lên được: %(reason)s") % {"reason": e})
            return HttpResponseRedirect(target)
        upload = form.cleaned_data["file"]
        try:
            a = portal.add_attachment(
                p.pk,
                actor=request.user,
                now=self.now,
                kind=form.cleaned_data["kind"],
                filename=upload.name,
                content=upload,
                ip=client_ip(request),
            )
        except WorkflowError as exc:
            messages.error(request, _("Chưa tải lên được: %(reason)s") % {"reason": str(exc)})
        else:
            messages.success(request, _("Đã tải lên “%(name)s”.") % {"name": a.original_name})
        return HttpResponseRedirect(target)


class AttachmentDeleteView(ApplicantMixin, View):
    def post(self, request, pk, attachment_pk):
        p = self.own(pk)
        if not p.attachments.filter(pk=attachment_pk).exists():
            raise Http404
        try:
            portal.remove_attachment(attachment_pk, actor=request.user, now=self.now, ip=client_ip(request))
        except WorkflowError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Đã xóa tài liệu."))
        return HttpResponseRedirect(reverse("portal:edit", args=[p.pk]) + "#attachments")


class AttachmentDownloadView(LoginRequiredMixin, View):
    """A private file of one of the organisation's đề án (staff download from their own page,
    proposals:attachment; on the portal they get the 404 of any other portal page); the download is audited."""

    subject = ("attachment", "attachment_pk")

    def get(self, request, attachment_pk):
        try:
            a = portal.open_attachment(
                attachment_pk, actor=request.user, now=timezone.now(), ip=client_ip(request)
            )
        except NotFound as exc:
            raise Http404 from exc
        response = FileResponse(
            a.file.open("rb"), as_attachment=True, filename=a.original_name, content_type=a.mime_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class ReceiptView(ApplicantMixin, View):
    def get(self, request, pk):
        p = self.own(pk)
        if p.lodged_at is None:
            raise Http404
        pin = request.session.pop(PIN_SESSION_KEY % p.pk, "")  # shown on this one page, then gone
        lookup_url = request.build_absolute_uri(reverse("public_lookup")) + f"?ma={p.tracking_code}"
        response = render(
            request,
            "portal/receipt.html",
            {
                "p": p,
                "r": portal.receipt(p),
                "pin": pin,
                "lookup_url": lookup_url,
                "qr": portal.qr_svg(
                    lookup_url, title=_("Mã QR tra cứu hồ sơ %(code)s") % {"code": p.tracking_code}
                ),
            },
        )
        response["Cache-Control"] = "private, no-store"
        return response


class ProposalStatusView(ApplicantMixin, View):
    """The status page: timeline, holder, deadline, reasons addressed to the applicant, and what to file next."""

    def get(self, request, pk):
        p = self.own(pk)
        now = self.now
        context = {"p": p, "s": portal.status_view(p, now=now, with_reasons=True), "now": now}
        if p.status in (
            Status.APPROVED,
            Status.CONTRACTED,
            Status.IMPLEMENTED,
            Status.STOPPED,
            Status.SETTLEMENT_FILED,
            Status.SETTLED,
        ):
            context.update(implementation_context(p, today=self.today))
        return render(request, "portal/detail.html", context)


def implementation_context(p, *, today: dt.date) -> dict:
    period = today.replace(day=1)
    reports = list(ProgressReport.objects.filter(proposal=p).order_by("-period"))
    advances = list(Advance.objects.filter(proposal=p).order_by("requested_at"))
    committed = sum(a.amount for a in advances if a.state != Advance.State.REFUSED)
    terms = advance_terms(p, latest_report=reports[0] if reports else None)
    limit = terms.limit
    return {
        "reports": reports,
        "report_due": period.replace(day=25),
        "report_done": any(r.period == period for r in reports),
        "advances": advances,
        "advance_limit": limit,
        "advance_committed": committed,
        "advance_left": max(limit - committed, 0),
        "advance_terms": terms,
        "completions": list(CompletionReport.objects.filter(proposal=p)),
        "settlement_dossiers": list(
            SettlementDossier.objects.filter(proposal=p).prefetch_related("vouchers")
        ),
        "settlement_due": portal.settlement_due_on(p)
        if p.status in (Status.IMPLEMENTED, Status.STOPPED)
        else None,
    }


class _ImplementationFormView(ApplicantMixin, View):
    """A form filed while the đề án is approved (or after acceptance); the service checks status and permission."""

    template_name = "portal/implementation_form.html"
    form_class: type = None  # type: ignore[assignment]
    title = ""
    statuses: tuple[str, ...] = (Status.APPROVED, Status.CONTRACTED)

    def initial(self, p) -> dict:
        return {}

    def page_context(self, p) -> dict:
        return {}

    def call(self, p, form):  # pragma: no cover - overridden
        raise NotImplementedError

    def success_message(self, result) -> str:
        return _("Đã gửi.")

    def _render(self, request, p, form, status=200, **more):
        return render(
            request,
            self.template_name,
            {
                "p": p,
                "form": form,
                "title": self.title,
                "allowed": p.status in self.statuses,
                **self.page_context(p),
                **more,
            },
            status=status,
        )

    def get(self, request, pk):
        p = self.own(pk)
        return self._render(request, p, self.form_class(initial=self.initial(p)))

    def post(self, request, pk):
        p = self.own(pk)
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                result = self.call(p, form)
            except WorkflowError as exc:
                _errors_to_form(form, exc)
                return self._render(request, p, form, status=exc.status)
            messages.success(request, self.success_message(result))
            return HttpResponseRedirect(reverse("portal:detail", args=[p.pk]))
        return self._render(request, p, form, status=400)


class ProgressReportView(_ImplementationFormView):
    form_class = pf.ProgressReportForm

    @property
    def title(self):
        return _("Báo cáo tiến độ hằng tháng")

    def initial(self, p):
        return {"period": self.today}

    def page_context(self, p):
        return {
            "intro": _(
                "Báo cáo tiến độ của mỗi tháng cần gửi trước ngày 25 của tháng đó (hạn tháng này: %(due)s)."
            )
            % {"due": self.today.replace(day=25).strftime("%d/%m/%Y")}
        }

    def call(self, p, form):
        d = form.cleaned_data
        return implementation.submit_progress_report(
            p.pk,
            actor=self.request.user,
            now=self.now,
            period=d["period"],
            percent_complete=d["percent_complete"],
            summary=d["summary"],
            ip=client_ip(self.request),
        )

    def success_message(self, result):
        return _("Đã gửi báo cáo tiến độ tháng %(month)s.") % {"month": result.period.strftime("%m/%Y")}


class AdvanceRequestView(_ImplementationFormView):
    form_class = pf.AdvanceForm
    # National đề án also ask for the rest after acceptance (TT 36 Đ14); the page and the service say which.
    statuses = (Status.APPROVED, Status.CONTRACTED, Status.IMPLEMENTED)

    @property
    def title(self):
        return _("Đề nghị tạm ứng")

    def page_context(self, p):
        from core.money import format_vnd

        ctx = implementation_context(p, today=self.today)
        terms = ctx["advance_terms"]
        intro = _(
            "Tổng các lần tạm ứng không vượt %(pct)s %% kinh phí được phê duyệt (%(approved)s), tức "
            "%(limit)s. Đã đề nghị %(committed)s; còn có thể đề nghị tối đa %(left)s."
        ) % {
            "pct": terms.percent,
            "approved": format_vnd(p.approved_amount),
            "limit": format_vnd(ctx["advance_limit"]),
            "committed": format_vnd(ctx["advance_committed"]),
            "left": format_vnd(ctx["advance_left"]),
        }
        if terms.condition:
            intro += " " + _("Điều kiện: chỉ được tạm ứng %(condition)s.") % {"condition": terms.condition}
        intro += " " + _("Căn cứ: %(basis)s.") % {"basis": terms.basis}
        # The service refuses too; the page says beforehand what is not met yet.
        return {"intro": intro, "allowed": not terms.unmet, "blocked": terms.unmet}

    def call(self, p, form):
        d = form.cleaned_data
        return implementation.request_advance(
            p.pk,
            actor=self.request.user,
            now=self.now,
            amount=d["amount"],
            note=d.get("note") or "",
            ip=client_ip(self.request),
        )

    def success_message(self, result):
        from core.money import format_vnd

        return _("Đã gửi đề nghị tạm ứng %(amount)s.") % {"amount": format_vnd(result.amount)}


class CompletionReportView(_ImplementationFormView):
    form_class = pf.CompletionForm

    @property
    def title(self):
        return _("Báo cáo hoàn thành, đề nghị nghiệm thu")

    def initial(self, p):
        return {"finished_on": self.today, "percent_complete": 100}

    def page_context(self, p):
        return {"intro": _("Sở Công Thương sẽ nhận được báo cáo này để tổ chức nghiệm thu.")}

    def call(self, p, form):
        d = form.cleaned_data
        return portal.submit_completion_report(
            p.pk,
            actor=self.request.user,
            now=self.now,
            finished_on=d["finished_on"],
            results=d["results"],
            percent_complete=d["percent_complete"],
            ip=client_ip(self.request),
        )

    def success_message(self, result):
        return _("Đã gửi báo cáo hoàn thành; Sở Công Thương sẽ liên hệ để nghiệm thu.")


class SettlementDossierView(ApplicantMixin, View):
    template_name = "portal/settlement.html"
    statuses = (Status.IMPLEMENTED, Status.STOPPED)

    def _render(self, request, p, form, vouchers, status=200):
        due = portal.settlement_due_on(p)
        return render(
            request,
            self.template_name,
            {
                "p": p,
                "form": form,
                "vouchers": vouchers,
                "allowed": p.status in self.statuses,
                "due": due,
                "late": bool(due and due < self.today),
            },
            status=status,
        )

    def get(self, request, pk):
        p = self.own(pk)
        return self._render(request, p, pf.SettlementForm(), pf.VoucherFormSet(prefix="v"))

    def post(self, request, pk):
        p = self.own(pk)
        form = pf.SettlementForm(request.POST)
        vouchers = pf.VoucherFormSet(request.POST, prefix="v")
        if form.is_valid() and vouchers.is_valid():
            d = form.cleaned_data
            try:
                portal.submit_settlement_dossier(
                    p.pk,
                    actor=request.user,
                    now=self.now,
                    national_spent=d.get("national_spent") or 0,
                    local_spent=d.get("local_spent") or 0,
                    counterpart_spent=d.get("counterpart_spent") or 0,
                    vouchers=pf.vouchers_from(vouchers),
                    note=d.get("note") or "",
                    ip=client_ip(request),
                )
            except WorkflowError as exc:
                _errors_to_form(form, exc)
                return self._render(request, p, form, vouchers, status=exc.status)
            messages.success(
                request, _("Đã nộp hồ sơ quyết toán; cơ quan quyết toán sẽ xem xét và đối chiếu chứng từ.")
            )
            return HttpResponseRedirect(reverse("portal:detail", args=[p.pk]))
        return self._render(request, p, form, vouchers, status=400)


class WithdrawView(ApplicantMixin, View):
    def post(self, request, pk):
        p = self.own(pk)
        try:
            fire(
                p.pk,
                "withdraw",
                actor=request.user,
                now=self.now,
                ip=client_ip(request),
                expected_status=request.POST.get("expected_status") or None,
            )
        except WorkflowError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Đã rút hồ sơ %(code)s.") % {"code": p.tracking_code})
        return HttpResponseRedirect(reverse("portal:detail", args=[p.pk]))


class RoundDiffView(LoginRequiredMixin, View):
    """What changed between lodging rounds (sections, work items, budget lines, attachments), for reviewers and
    the applicant; a đề án the user may not see is a 404."""

    def get(self, request, pk):
        try:
            p, diffs = portal.diff_for(request.user, pk)
        except NotFound as exc:
            raise Http404 from exc
        return render(
            request,
            "portal/diff.html",
            {"p": p, "diffs": diffs, "is_applicant": request.user.has_role(Role.APPLICANT)},
        )
