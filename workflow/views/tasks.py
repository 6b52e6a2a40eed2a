"""Inbox, queue and archive; claim, release, reassign, delegate, bulk claim."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from core import pages
from core.models import User
from core.roles import Role
from core.units import child_units
from workflow.forms import DelegateForm, ReassignForm
from workflow.lifecycle import Status
from workflow.models import ContentType, Task
from workflow.selectors import TaskFilters, due_soon_limit, task_page
from workflow.services import tasks as task_services
from workflow.services.errors import NotFound, NotPermitted, WorkflowError

from .common import StaffMixin, client_ip, forbidden

BOX_TITLES = {
    "inbox": gettext_lazy("Việc của tôi"),
    "queue": gettext_lazy("Việc chờ nhận của đơn vị"),
    "archive": gettext_lazy("Việc đã xử lý"),
}


# The filters' accepted values (a Choices class builds its ``values`` list again at every access).
_STATUSES, _CONTENT_TYPES = frozenset(Status.values), frozenset(ContentType.values)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_MARKER = 2_147_483_647  # a pk no URL of ours contains by chance


def url_for_pk(name: str):
    """``pk -> reverse(name, args=[pk])`` that reverses once: the URL reversed for a marker pk, with the marker
    replaced by each pk (a page of 25 rows otherwise resolves three URL patterns per row). The split URL is kept
    per URL configuration, script prefix and language, all that a reversed URL depends on."""
    return _url_for_pk(name, get_urlconf(), get_script_prefix(), get_language())


@lru_cache(maxsize=256)
def _url_for_pk(name: str, urlconf, prefix: str, language: str | None):
    url, marker = reverse(name, args=[_MARKER], urlconf=urlconf), str(_MARKER)
    head, found, tail = url.partition(marker)
    if not found or marker in tail:
        return lambda pk: reverse(name, args=[pk], urlconf=urlconf)
    return lambda pk: f"{head}{pk}{tail}"


def _when(value, tz=None) -> str:
    """``value|date:"d/m/Y H:i"`` in the current time zone, as the template filter writes it."""
    if value is None:
        return ""
    v = value.astimezone(tz or timezone.get_current_timezone())
    return f"{v.day:02d}/{v.month:02d}/{v.year:04d} {v.hour:02d}:{v.minute:02d}"


def _options(choices, selected) -> list[tuple[str, str, bool]]:
    """``(value, label, selected)`` of a filter's <option>s; values as plain digits or codes (not localised)."""
    return [(str(value), str(label), value == selected) for value, label in choices]


def options_html(options: list[tuple[str, str, bool]]) -> SafeString:
    """The ``<option>``s of a filter's select, written in Python (a template loop costs more than the page's
    query for the twenty statuses)."""
    return SafeString(
        "".join(
            f'<option value="{escape(value)}"{" selected" if selected else ""}>{escape(label)}</option>'
            for value, label, selected in options
        )
    )


@lru_cache(maxsize=512)
def choice_options_html(kind: str, language: str | None, selected: str) -> SafeString:
    """The options of the status or content filter (fixed choices): built once per language and selection."""
    choices = {"status": Status.choices, "content_type": ContentType.choices}[kind]
    return options_html(_options(choices, selected))


def display_rows(rows, box: str) -> list[dict]:
    """What task_box.html prints of each row, computed in Python: flat dicts the template reads with one
    lookup each, the URLs from one reverse per page, the dates formatted once. The ids are plain digits (a
    localised number would be "2,785" in English, which the bulk claim form could not read back)."""
    detail = url_for_pk("proposals:detail")
    verb = url_for_pk("tasks:claim" if box == "queue" else "tasks:release")
    reassign = url_for_pk("tasks:reassign") if box == "queue" else None
    # The checkbox label, the msgid of the {% blocktranslate %}Chọn {{ code }}{% endblocktranslate %} it replaces.
    select = _("Chọn %(code)s") if box == "queue" else ""
    tz = timezone.get_current_timezone()
    steps: dict[str, str] = {}
    out: list[dict] = []
    for t in rows:
        p = t.proposal
        step = steps.get(t.status)
        if step is None:
            step = steps[t.status] = str(t.step)  # a lazy label: translated once per status
        out.append(
            {
                "id": str(t.pk),
                "due_state": t.due_state,
                "code": p.tracking_code,
                "title": p.title,
                "step": step,
                "place": t.place,
                "detail_url": detail(t.proposal_id),
                "verb_url": verb(t.pk),
                "reassign_url": reassign(t.pk) if reassign else "",
                "when": _when(t.completed_at if box == "archive" else t.due_at, tz),
                "dossier_late": t.dossier_late,
                "outcome": t.outcome,
                "select_label": select % {"code": p.tracking_code} if select else "",  # escaped where printed
            }
        )
    return out


def rows_html(rows: list[dict], box: str, *, can_bulk_claim: bool, can_reassign: bool) -> SafeString:
    """The table body of a task list from ``display_rows``: the markup task_box.html wrote row by row, built
    in Python with every value escaped (the template loop was half of the page's cost). Labels are
    translated once per page."""
    if not rows:
        return SafeString(f'<tr><td colspan="7">{escape(_("Không có việc nào."))}</td></tr>')
    badge = {
        "late": ("late", _("trễ hạn")),
        "overdue": ("late", _("Bước quá hạn")),
        "soon": ("soon", _("Sắp đến hạn")),
        "ok": ("ok", _("Trong hạn")),
    }
    dossier_late = f' <span class="kc-badge kc-badge--dossier">{escape(_("Hồ sơ quá hạn"))}</span>'
    claim, reassign = escape(_("Nhận xử lý")), escape(_("Giao việc"))
    handle, release = escape(_("Xử lý")), escape(_("Trả lại hàng chờ"))
    out = []
    for row in rows:
        state, when = row["due_state"], escape(row["when"])
        detail, verb = escape(row["detail_url"]), escape(row["verb_url"])
        if box == "archive":
            shown = f"{when} " + _badge(*badge["late"]) if state == "late" else when
        elif when:
            shown = f"{when} " + _badge(*badge[state if state in ("overdue", "soon") else "ok"])
        else:
            shown = "—"
        if row["dossier_late"]:
            shown += dossier_late
        if box == "queue":
            actions = f'<button class="kc-button" formaction="{verb}">{claim}</button>'
            if can_reassign:
                actions += f' <a href="{escape(row["reassign_url"])}">{reassign}</a>'
        elif box == "inbox":
            actions = (
                f'<a class="kc-button" href="{detail}">{handle}</a> '
                f'<button class="kc-button kc-button--secondary" formaction="{verb}">{release}</button>'
            )
        else:
            actions = escape(row["outcome"])
        check = (
            f'<td><input type="checkbox" name="task" value="{row["id"]}" '
            f'aria-label="{escape(row["select_label"])}"></td>'
            if can_bulk_claim
            else ""
        )
        out.append(
            f'<tr class="kc-due kc-due--{escape(state)}" data-task="{row["id"]}">{check}'
            f'<td><a href="{detail}">{escape(row["code"])}</a></td>'
            f"<td>{escape(row['title'])}</td><td>{escape(row['step'])}</td><td>{escape(row['place'])}</td>"
            f"<td>{shown}</td><td>{actions}</td></tr>\n"
        )
    return SafeString("".join(out))


def _badge(kind: str, label: str) -> str:
    return f'<span class="kc-badge kc-badge--{kind}">{escape(label)}</span>'


class TaskBoxView(StaffMixin, TemplateView):
    template_name = "workflow/task_box.html"
    box = "inbox"
    page_size = 25

    def get_context_data(self, **kwargs):
        g = self.request.GET
        filters = TaskFilters(
            status=g.get("status", "") if g.get("status") in _STATUSES else "",
            content_type=g.get("content_type", "") if g.get("content_type") in _CONTENT_TYPES else "",
            plan_year=_int(g.get("plan_year")),
            unit=_int(g.get("unit")),
            due=g.get("due", "") if g.get("due") in ("overdue", "soon", "ok") else "",
            q=g.get("q", "")[:100],
        )
        now = self.now
        page = task_page(
            self.request.user,
            self.box,
            now=now,
            filters=filters,
            cursor=g.get("after", ""),
            size=self.page_size,
        )
        query = g.copy()
        query.pop("after", None)
        query = query.urlencode()
        # The pager's next link, printed only where there is a next page.
        next_href = ""
        if page.next_cursor:
            next_href = f"?{query}&after={page.next_cursor}" if query else f"?after={page.next_cursor}"
        self.shown_until = page.shown_until(now)
        user = self.request.user
        can_bulk_claim = self.box == "queue"
        can_reassign = can_bulk_claim and user.has_role(Role.DEPARTMENT_HEAD)
        return {
            **super().get_context_data(**kwargs),
            "box": self.box,
            "title": BOX_TITLES[self.box],
            "page": page,
            "rows_html": rows_html(
                display_rows(page.rows, self.box),
                self.box,
                can_bulk_claim=can_bulk_claim,
                can_reassign=can_reassign,
            ),
            "can_reassign": can_reassign,
            # The pager: what the page tests (the fragment's key) and the links it prints (put in per request).
            "page_has_rows": bool(page.rows),
            "paged": bool(g.get("after")),
            "has_next": bool(page.next_cursor),
            "query": query,
            "next_href": next_href,
            "status_options": choice_options_html("status", get_language(), filters.status),
            "content_type_options": choice_options_html("content_type", get_language(), filters.content_type),
            "unit_options": options_html(_options(child_units(user.unit_id), filters.unit)),
            "now": now,
            "can_bulk_claim": can_bulk_claim,
        }

    def get(self, request, *args, **kwargs):
        # The box without filters (a later page's cursor aside) is kept while nothing it shows has changed
        # (core/pages.py). A filtered box is always built: "quá hạn", "sắp đến hạn" select by the clock.
        ticket = pages.Ticket.for_request(request, self.box) if set(request.GET) <= {"after"} else None
        if ticket is not None:
            kept = ticket.kept(request, self._still_shown)
            if kept is not None:
                return kept
        response = super().get(request, *args, **kwargs)
        if ticket is not None:
            response.add_post_render_callback(lambda built: ticket.keep(built, self.shown_until))
        return response

    def _still_shown(self, shown_until) -> bool:
        by, soon_by = shown_until
        now = self.now
        return (by is None or now <= by) and (soon_by is None or due_soon_limit(now) <= soon_by)


class InboxView(TaskBoxView):
    box = "inbox"


class QueueView(TaskBoxView):
    box = "queue"


class ArchiveView(TaskBoxView):
    box = "archive"


class TaskVerbView(StaffMixin, View):
    """POST claim / release of one task, or a bulk claim of the selected tasks of the queue.

    One task named in the URL: a task of a đề án the user may not see is a 404, as a missing one; one the user
    may see but not take is a 403 with the reason; any other refusal (someone acted first) is a message on the
    page the user came from. A bulk claim reports each refused task in a message."""

    verb = "claim"
    subject = ("task", "pk")

    def post(self, request, pk=None):
        ids = [pk] if pk else [i for i in (_int(v) for v in request.POST.getlist("task")) if i]
        if not ids:
            messages.warning(request, _("Chưa chọn nhiệm vụ nào."))
        done, refused = 0, []
        for task_id in ids:
            try:
                getattr(task_services, self.verb)(
                    task_id, actor=request.user, now=self.now, ip=client_ip(request)
                )
                done += 1
            except NotFound as exc:
                if pk:
                    raise Http404 from exc
                refused.append(str(exc))
            except NotPermitted as exc:
                if pk:
                    return forbidden(request, exc.message)
                refused.append(str(exc))
            except WorkflowError as exc:
                refused.append(str(exc))
        if done:
            msg = {"claim": _("Đã nhận %(n)d việc."), "release": _("Đã trả lại %(n)d việc vào hàng chờ.")}[
                self.verb
            ]
            messages.success(request, msg % {"n": done})
        for reason in refused:
            messages.error(request, reason)
        target = request.POST.get("next", "")
        if not target.startswith("/") or target.startswith("//"):
            target = reverse("tasks:inbox")
        return HttpResponseRedirect(target)


class ReassignView(StaffMixin, View):
    template_name = "workflow/reassign.html"
    subject = ("task", "pk")

    def _task(self, request, pk):
        task = get_object_or_404(
            Task.objects.select_related("proposal", "assignee"), pk=pk, completed_at__isnull=True
        )
        if not (request.user.has_role(Role.DEPARTMENT_HEAD) and request.user.unit_id == task.unit_id):
            raise Http404
        candidates = User.objects.filter(
            is_active=True, unit_id=task.unit_id, groups__name=task.role
        ).order_by("last_name", "first_name", "username")
        return task, candidates

    def get(self, request, pk):
        task, candidates = self._task(request, pk)
        return render(
            request, self.template_name, {"task": task, "form": ReassignForm(candidates=candidates)}
        )

    def post(self, request, pk):
        task, candidates = self._task(request, pk)
        form = ReassignForm(request.POST, candidates=candidates)
        if form.is_valid():
            try:
                task_services.reassign(
                    task.pk,
                    actor=request.user,
                    assignee=form.cleaned_data["assignee"],
                    now=self.now,
                    ip=client_ip(request),
                )
            except WorkflowError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Đã giao %(code)s cho %(name)s.")
                    % {"code": task.proposal.tracking_code, "name": form.cleaned_data["assignee"]},
                )
                return HttpResponseRedirect(reverse("tasks:queue"))
        return render(request, self.template_name, {"task": task, "form": form}, status=400)


class DelegateView(StaffMixin, View):
    template_name = "workflow/delegate.html"

    def _candidates(self, request):
        return (
            User.objects.filter(is_active=True, unit_id=request.user.unit_id)
            .exclude(pk=request.user.pk)
            .order_by("last_name", "first_name", "username")
        )

    def get(self, request):
        return render(
            request, self.template_name, {"form": DelegateForm(candidates=self._candidates(request))}
        )

    def post(self, request):
        form = DelegateForm(request.POST, candidates=self._candidates(request))
        if form.is_valid():
            d = form.cleaned_data
            try:
                task_services.delegate(
                    actor=request.user,
                    substitute=d["substitute"],
                    starts_on=d["starts_on"],
                    ends_on=d["ends_on"],
                    now=self.now,
                    ip=client_ip(request),
                )
            except WorkflowError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Đã ủy quyền cho %(name)s từ %(start)s đến hết %(end)s.")
                    % {
                        "name": d["substitute"],
                        "start": d["starts_on"].strftime("%d/%m/%Y"),
                        "end": d["ends_on"].strftime("%d/%m/%Y"),
                    },
                )
                return HttpResponseRedirect(reverse("tasks:inbox"))
        return render(request, self.template_name, {"form": form}, status=400)
