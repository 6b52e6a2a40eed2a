"""The auditor console (read-only): the audit rows in scope with filters, one đề án's timeline, the chain
verification and exports. The only writes are the audit rows that record a verification or an export."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from core.calendar import VN_TZ
from core.roles import Role
from core.validators import parse_date, parse_int
from workflow.lifecycle import Status
from workflow.models import Task, TransitionEvent
from workflow.reports import audit_header, audit_rows, csv_bytes, xlsx_bytes
from workflow.selectors import history, time_in_status
from workflow.selectors_stats import EventFilters, audit_events, event_choices, recent_exports, scoped_events
from workflow.services.audit import ChainReport, append_event, verify_chains

from .common import StaffMixin, client_ip, visible_proposal_or_404

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def may_audit(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(Role.AUDITOR))


class AuditorMixin(StaffMixin):
    """An auditor (or a superuser); anybody else gets 404. Only GET is defined: the console changes nothing."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_audit(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


def filters_from(params) -> EventFilters:
    unit = params.get("unit", "")
    status = params.get("status", "")
    return EventFilters(
        proposal=params.get("proposal", "").strip()[:100],
        actor=params.get("actor", "").strip()[:150],
        unit=parse_int(unit),
        trigger=params.get("trigger", "").strip()[:32],
        status=status if status in Status.values else "",
        date_from=parse_date(params.get("from")),
        date_to=parse_date(params.get("to")),
    )


def scope_label(user) -> str:
    return user.unit.name if user.unit_id else _("Toàn quốc")


def record_export(
    request, *, view: str, fmt: str, body: bytes, rows: int, filters: dict, now: dt.datetime
) -> str:
    """The SHA-256 of the exact bytes sent, recorded in the audit trail (a row about no single đề án)."""
    digest = hashlib.sha256(body).hexdigest()
    with transaction.atomic():
        append_event(
            proposal=None,
            kind=TransitionEvent.Kind.ACTION,
            trigger="export",
            actor=request.user,
            now=now,
            unit_id=request.user.unit_id,
            ip=client_ip(request),
            data={
                "view": view,
                "format": fmt,
                "rows": rows,
                "bytes": len(body),
                "sha256": digest,
                "filters": filters,
            },
        )
    return digest


def file_response(body: bytes, *, fmt: str, stem: str, digest: str, now: dt.datetime) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    stamp = now.astimezone(VN_TZ).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}-{digest[:8]}.{fmt}"'
    response["X-Content-SHA256"] = digest
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class EventListView(AuditorMixin, TemplateView):
    template_name = "audit/events.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        filters = filters_from(self.request.GET)
        page = Paginator(audit_events(user, filters), PAGE_SIZE).get_page(self.request.GET.get("page"))
        params = self.request.GET.copy()
        params.pop("page", None)
        return {
            **super().get_context_data(**kwargs),
            "page": page,
            "events": page.object_list,
            "f": filters,
            "query": params.urlencode(),
            "statuses": Status.choices,
            **event_choices(user),
            "exports": recent_exports(user),
            "scope": scope_label(user),
        }


class TimelineView(AuditorMixin, TemplateView):
    """One đề án's full history: every row with its data, and the time spent in each status and by whom."""

    template_name = "audit/timeline.html"
    subject = ("proposal", "pk")

    def get_context_data(self, pk, **kwargs):
        p = visible_proposal_or_404(self.request.user, pk)
        events = list(history(p))
        task = (
            Task.objects.select_related("unit", "assignee")
            .filter(proposal=p, completed_at__isnull=True)
            .first()
        )
        return {
            **super().get_context_data(**kwargs),
            "p": p,
            "events": events,
            "task": task,
            "spans": time_in_status(p, events, now=self.now),
            "statuses": dict(Status.choices),
        }


PROBLEMS = (
    (
        re.compile(r"sequence (\d+) is missing \(found (\d+)\)"),
        lambda m: _("Thiếu dòng số %(expected)s (gặp dòng số %(found)s)") % {"expected": m[1], "found": m[2]},
    ),
    (
        re.compile(r"previous-hash link does not match"),
        lambda m: _("Hash liên kết không khớp với dòng trước"),
    ),
    (
        re.compile(r"row content does not match its hash"),
        lambda m: _("Nội dung dòng không khớp với hash đã lưu"),
    ),
)


def problem_text(problem: str) -> str:
    for pattern, text in PROBLEMS:
        match = pattern.search(problem)
        if match:
            return text(match)
    return problem


def verify_scope(user, proposal_id: int | None) -> ChainReport:
    """Verify one đề án's chain, or every chain in the user's scope; stop at the first broken link."""
    if proposal_id is not None:
        return verify_chains(proposal_id=proposal_id)
    if user.is_superuser:
        return verify_chains()
    ids = (
        scoped_events(user)
        .filter(proposal__isnull=False)
        .order_by("proposal_id")
        .values_list("proposal_id", flat=True)
        .distinct()
    )
    events = chains = 0
    for pid in ids:
        report = verify_chains(proposal_id=pid)
        if not report.ok:
            return ChainReport(
                False,
                events + report.events,
                chains + report.chains,
                report.broken_proposal,
                report.broken_seq,
                report.broken_id,
                report.problem,
            )
        events, chains = events + report.events, chains + report.chains
    return ChainReport(True, events, chains)


class VerifyView(AuditorMixin, TemplateView):
    """Recompute the hash chains and show the result; the run itself is an audit row."""

    template_name = "audit/verify.html"

    def get_context_data(self, **kwargs):
        user, now = self.request.user, self.now
        raw = self.request.GET.get("proposal", "")
        number = parse_int(raw)
        p = visible_proposal_or_404(user, number) if number is not None else None
        report = verify_scope(user, p.pk if p else None)
        broken = None
        if not report.ok:
            broken = (
                TransitionEvent.objects.select_related("proposal", "actor")
                .filter(pk=report.broken_id)
                .first()
            )
        with transaction.atomic():
            append_event(
                proposal=None,
                kind=TransitionEvent.Kind.ACTION,
                trigger="verify_audit",
                actor=user,
                now=now,
                unit_id=user.unit_id,
                ip=client_ip(self.request),
                data={
                    "proposal": p.tracking_code if p else "",
                    "ok": report.ok,
                    "events": report.events,
                    "chains": report.chains,
                    "broken_proposal": report.broken_proposal,
                    "broken_seq": report.broken_seq,
                    "broken_id": report.broken_id,
                    "problem": report.problem,
                },
            )
        return {
            **super().get_context_data(**kwargs),
            "p": p,
            "report": report,
            "broken": broken,
            "problem": problem_text(report.problem),
            "checked_at": now,
        }


class ExportView(AuditorMixin, View):
    """The filtered rows as CSV or Excel; the SHA-256 of the bytes goes in a header and in the audit trail."""

    def get(self, request, fmt):
        if fmt not in CONTENT_TYPES:
            raise Http404
        now = self.now
        filters = filters_from(request.GET)
        events = audit_events(request.user, filters)[:EXPORT_LIMIT]
        header = audit_header()
        if fmt == "csv":
            body, count = csv_bytes(header, audit_rows(events))
        else:
            described = ", ".join(f"{k}={v}" for k, v in filters.as_dict().items()) or _("không lọc")
            body, count = xlsx_bytes(
                _("NHẬT KÝ XỬ LÝ ĐỀ ÁN KHUYẾN CÔNG — %(scope)s") % {"scope": scope_label(request.user)},
                _("Điều kiện lọc: %(filters)s; xuất lúc %(at)s")
                % {"filters": described, "at": now.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")},
                header,
                audit_rows(events),
                now=now,
            )
        digest = record_export(
            request, view="audit_events", fmt=fmt, body=body, rows=count, filters=filters.as_dict(), now=now
        )
        return file_response(body, fmt=fmt, stem="nhat-ky", digest=digest, now=now)
