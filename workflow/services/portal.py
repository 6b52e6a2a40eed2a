"""The applicant portal's verbs and queries: dossier editing (sections, work items, budget lines, attachments),
the receipt, the applicant's and the public status, the public lookup with its rate limit, the diff between
lodging rounds, the completion report and the settlement dossier.

Every write locks the đề án row, checks permission and status, and appends one audit row in the same
transaction. ``now`` is always passed in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import File
from django.db import transaction
from django.db.models import Field
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.calendar import VN_TZ
from core.models import User
from core.money import format_vnd
from core.roles import Role
from workflow.lifecycle import PUBLIC_NAMES, REVIEW, Status, lifecycle_of
from workflow.models import (
    Attachment,
    BudgetLine,
    CompletionReport,
    FundingSource,
    Proposal,
    SettlementDossier,
    Task,
    TransitionEvent,
    Voucher,
    WorkItem,
)
from workflow.models.choices import APPLICANT_KINDS
from workflow.permissions import can_view, is_applicant_of

from .audit import record_action
from .errors import GuardFailed, NotAllowedFromStatus, NotFound, NotPermitted, WorkflowError
from .proposals import EDITABLE_FIELDS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- configuration ---------------------------------------------------------------------------------------------


def _conf(key: str, default):
    return getattr(settings, "KHUYENCONG", {}).get(key, default)


def upload_max_bytes() -> int:
    return int(_conf("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


# --- locking helpers -------------------------------------------------------------------------------------------


def _lock_own(proposal_id: int, actor: User, *, statuses: tuple[str, ...], message: str) -> Proposal:
    """Lock the đề án row; the actor must be its applicant (else 404: not even its existence is told) and the
    đề án in one of ``statuses``."""
    proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
    if proposal is None or not can_view(actor, proposal):
        raise NotFound(_("Không tìm thấy đề án."))
    if not is_applicant_of(actor, proposal):
        raise NotPermitted(_("Chỉ đơn vị đề nghị của đề án mới thực hiện được thao tác này."))
    if proposal.status not in statuses:
        raise NotAllowedFromStatus(message)
    return proposal


DRAFT_ONLY = _("Chỉ sửa được hồ sơ khi đề án đang soạn thảo hoặc được trả lại để bổ sung.")

# --- dossier: sections, work items, budget lines ----------------------------------------------------------------


@dataclass(frozen=True)
class WorkItemData:
    title: str
    starts_on: dt.date
    ends_on: dt.date
    responsible: str = ""

    def row(self) -> tuple:
        return (self.title, self.starts_on, self.ends_on, self.responsible)


@dataclass(frozen=True)
class BudgetLineData:
    item: str
    unit: str = ""
    quantity: Decimal | int = 1
    unit_price: int = 0
    national_amount: int = 0
    local_amount: int = 0
    counterpart_amount: int = 0

    def row(self) -> tuple:
        return (
            self.item,
            self.unit,
            f"{float(self.quantity):.2f}",
            self.unit_price,
            self.national_amount,
            self.local_amount,
            self.counterpart_amount,
        )


def _check_rows(work_items: list[WorkItemData] | None, budget_lines: list[BudgetLineData] | None) -> None:
    problems = []
    for i, w in enumerate(work_items or [], start=1):
        if not w.title.strip():
            problems.append(_("Công việc dòng %(n)d chưa có nội dung.") % {"n": i})
        if w.ends_on < w.starts_on:
            problems.append(
                _("Công việc “%(title)s”: ngày kết thúc trước ngày bắt đầu.") % {"title": w.title}
            )
    for i, b in enumerate(budget_lines or [], start=1):
        if not b.item.strip():
            problems.append(_("Dòng dự toán %(n)d chưa có nội dung chi.") % {"n": i})
        if float(b.quantity) <= 0:
            problems.append(_("Dòng dự toán “%(item)s”: số lượng phải lớn hơn 0.") % {"item": b.item})
        if min(b.unit_price, b.national_amount, b.local_amount, b.counterpart_amount) < 0:
            problems.append(_("Dòng dự toán “%(item)s”: số tiền không được âm.") % {"item": b.item})
    if problems:
        raise GuardFailed(_("Chưa lưu được hồ sơ:"), problems=problems)


def save_dossier(
    proposal_id: int,
    *,
    actor: User,
    now: dt.datetime,
    fields: dict,
    work_items: list[WorkItemData] | None = None,
    budget_lines: list[BudgetLineData] | None = None,
    ip: str | None = None,
) -> Proposal:
    """Save a draft: dossier fields, and (when given) the whole list of work items and of budget lines.
    One audit row ``edit`` names what changed; nothing is written when nothing changed."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _check_rows(work_items, budget_lines)
    with transaction.atomic():
        proposal = _lock_own(proposal_id, actor, statuses=(Status.DRAFTED,), message=DRAFT_ONLY)
        changed = sorted(k for k, v in fields.items() if getattr(proposal, k) != v)
        for key in changed:
            setattr(proposal, key, fields[key])
        lists_changed = []
        if work_items is not None:
            current: list[tuple] = [
                (w.title, w.starts_on, w.ends_on, w.responsible) for w in proposal.work_items.all()
            ]
            if current != [w.row() for w in work_items]:
                proposal.work_items.all().delete()
                WorkItem.objects.bulk_create(
                    WorkItem(
                        proposal=proposal,
                        position=i,
                        title=w.title.strip(),
                        starts_on=w.starts_on,
                        ends_on=w.ends_on,
                        responsible=w.responsible.strip(),
                    )
                    for i, w in enumerate(work_items)
                )
                lists_changed.append("work_items")
        if budget_lines is not None:
            current = [
                (
                    b.item,
                    b.unit,
                    f"{float(b.quantity):.2f}",
                    b.unit_price,
                    b.national_amount,
                    b.local_amount,
                    b.counterpart_amount,
                )
                for b in proposal.budget_lines.all()
            ]
            if current != [b.row() for b in budget_lines]:
                proposal.budget_lines.all().delete()
                BudgetLine.objects.bulk_create(
                    BudgetLine(
                        proposal=proposal,
                        position=i,
                        item=b.item.strip(),
                        unit=b.unit.strip(),
                        quantity=b.quantity,
                        unit_price=b.unit_price,
                        national_amount=b.national_amount,
                        local_amount=b.local_amount,
                        counterpart_amount=b.counterpart_amount,
                    )
                    for i, b in enumerate(budget_lines)
                )
                lists_changed.append("budget_lines")
        if changed or lists_changed:
            proposal.updated_at = now
            proposal.save(update_fields=[*changed, "updated_at"])
            record_action(
                proposal,
                "edit",
                actor=actor,
                now=now,
                role=Role.APPLICANT,
                data={"fields": changed + lists_changed},
                ip=ip,
            )
    return proposal


# --- attachments ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileType:
    mime: str
    label: str
    extensions: tuple[str, ...]


PDF = FileType("application/pdf", "PDF", (".pdf",))
PNG = FileType("image/png", "PNG", (".png",))
JPEG = FileType("image/jpeg", "JPEG", (".jpg", ".jpeg"))
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word", (".docx",))
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel", (".xlsx",))
DOC = FileType("application/msword", "Word 97-2003", (".doc",))
XLS = FileType("application/vnd.ms-excel", "Excel 97-2003", (".xls",))
ALLOWED_TYPES_TEXT = gettext_lazy("PDF, ảnh (PNG, JPEG), Word (.doc, .docx), Excel (.xls, .xlsx)")
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def detect_type(head: bytes, name: str, opener=None) -> FileType | None:
    """The file's type from its first bytes (magic numbers), never from its name. ``opener`` gives a
    seekable binary file for the ZIP-based Office formats (their type is inside the archive)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(OLE2):
        # Legacy Office: the container does not say Word or Excel without parsing it; the name decides.
        return XLS if name.lower().endswith(".xls") else DOC
    if head.startswith(b"PK\x03\x04") and opener is not None:
        try:
            with zipfile.ZipFile(opener()) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
    return None


_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f]|^\.|\.\.")


def check_filename(name: str) -> str:
    """The user's file name, kept only as a label: refuse anything that looks like a path."""
    name = (name or "").strip()
    if not name:
        raise GuardFailed(_("Tệp không có tên."))
    if _BAD_NAME.search(name) or ":" in name:
        raise GuardFailed(
            _(
                "Tên tệp “%(name)s” không hợp lệ: tên tệp không được chứa đường dẫn (/, \\, ..). "
                "Hãy đổi tên tệp rồi tải lên lại."
            )
            % {"name": name[:80]}
        )
    if len(name) > 200:
        raise GuardFailed(_("Tên tệp quá dài (tối đa 200 ký tự)."))
    return name


def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB".replace(".", ",")


def add_attachment(
    proposal_id: int,
    *,
    actor: User,
    now: dt.datetime,
    kind: str,
    filename: str,
    content,
    ip: str | None = None,
) -> Attachment:
    """Store an uploaded file privately under a generated name. ``content`` is a Django File (has ``size``,
    ``chunks()``, ``seek``). Refused — and nothing stored — when the name looks like a path, the file is too
    big, or its content is not an allowed type."""
    if kind not in dict(APPLICANT_KINDS):
        raise GuardFailed(_("Chưa chọn loại tài liệu."))
    name, size, mime, sha256 = checked_upload(filename, content)
    with transaction.atomic():
        proposal = _lock_own(proposal_id, actor, statuses=(Status.DRAFTED,), message=DRAFT_ONLY)
        attachment = Attachment(
            proposal=proposal,
            kind=kind,
            original_name=name,
            mime_type=mime,
            size=size,
            sha256=sha256,
            uploaded_by=actor,
            uploaded_at=now,
        )
        # The storage name is generated (workflow.models.dossier._attachment_path); the user's name is a label.
        attachment.file.save("upload", File(content), save=False)
        try:
            attachment.save(force_insert=True)
            proposal.updated_at = now
            proposal.save(update_fields=["updated_at"])
            record_action(
                proposal,
                "upload",
                actor=actor,
                now=now,
                role=Role.APPLICANT,
                data={
                    "attachment": attachment.pk,
                    "kind": kind,
                    "name": name,
                    "size": size,
                    "sha256": sha256,
                    "mime": mime,
                },
                ip=ip,
            )
        except Exception:
            attachment.file.delete(save=False)  # no orphan file when the row could not be written
            raise
    return attachment


def checked_upload(filename: str, content) -> tuple[str, int, str, str]:
    """An uploaded file's (safe name, size, detected MIME type, SHA-256), or GuardFailed with the reason: a name
    that looks like a path, an empty or too big file, content that is not an allowed type."""
    name = check_filename(filename)
    size = int(getattr(content, "size", 0) or 0)
    limit = upload_max_bytes()
    if size <= 0:
        raise GuardFailed(_("Tệp “%(name)s” rỗng.") % {"name": name})
    if size > limit:
        raise GuardFailed(
            _("Tệp “%(name)s” nặng %(size)s, vượt giới hạn %(limit)s. Hãy nén hoặc chia nhỏ tệp.")
            % {"name": name, "size": _size_text(size), "limit": _size_text(limit)}
        )
    content.seek(0)
    head = content.read(16)
    content.seek(0)

    def opener():
        content.seek(0)
        return io.BytesIO(content.read())

    ftype = detect_type(head, name, opener)
    content.seek(0)
    if ftype is None:
        raise GuardFailed(
            _(
                "Nội dung tệp “%(name)s” không phải là loại được nhận (%(types)s). "
                "Hệ thống kiểm tra nội dung tệp, không dựa vào đuôi tên tệp."
            )
            % {"name": name, "types": ALLOWED_TYPES_TEXT}
        )
    digest = hashlib.sha256()
    for chunk in content.chunks():
        digest.update(chunk)
    content.seek(0)
    return name, size, ftype.mime, digest.hexdigest()


def remove_attachment(attachment_id: int, *, actor: User, now: dt.datetime, ip: str | None = None) -> None:
    proposal_id = Attachment.objects.filter(pk=attachment_id).values_list("proposal_id", flat=True).first()
    if proposal_id is None:
        raise NotFound(_("Không tìm thấy tài liệu."))
    with transaction.atomic():
        proposal = _lock_own(proposal_id, actor, statuses=(Status.DRAFTED,), message=DRAFT_ONLY)
        attachment = Attachment.objects.get(pk=attachment_id)
        data = {
            "attachment": attachment.pk,
            "kind": attachment.kind,
            "name": attachment.original_name,
            "sha256": attachment.sha256,
        }
        attachment.delete()
        proposal.updated_at = now
        proposal.save(update_fields=["updated_at"])
        record_action(
            proposal,
            "remove_attachment",
            actor=actor,
            now=now,
            role=Role.APPLICANT,
            data=data,
            ip=ip,
        )
    # The file of a lodged round stays referenced by its hash in the lodge audit row; the bytes of a draft
    # file that was removed are not needed any more.
    name = cast(str, attachment.file.name)  # a stored file's name (None only for a file never saved)
    transaction.on_commit(lambda: attachment.file.storage.delete(name))


def open_attachment(
    attachment_id: int, *, actor: User, now: dt.datetime, ip: str | None = None
) -> Attachment:
    """A private file for someone who may see its đề án (else NotFound); the download is an audit row."""
    proposal_id = Attachment.objects.filter(pk=attachment_id).values_list("proposal_id", flat=True).first()
    if proposal_id is None:
        raise NotFound(_("Không tìm thấy tài liệu."))
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
        if not can_view(actor, proposal):
            raise NotFound(_("Không tìm thấy tài liệu."))
        attachment = Attachment.objects.get(pk=attachment_id)
        record_action(
            proposal,
            "download",
            actor=actor,
            now=now,
            role=Role.APPLICANT if is_applicant_of(actor, proposal) else "",
            data={"attachment": attachment.pk, "name": attachment.original_name},
            ip=ip,
        )
    return attachment


# --- status: the applicant's and the public view -----------------------------------------------------------------

# Reasons addressed to the applicant (the reviewer is told so on the form); every other comment is internal.
REASON_TRIGGERS = frozenset({"return_for_revision", "reject", "stop", "return_settlement"})

HOLDER_NAMES: dict[str, StrOrPromise] = {
    Role.DISTRICT_OFFICER: gettext_lazy("UBND %(unit)s"),
    Role.APPRAISER: gettext_lazy("Sở Công Thương %(unit)s"),
    Role.FINANCE_OFFICER: gettext_lazy("Sở Tài chính %(unit)s"),
    Role.APPROVER: gettext_lazy("UBND %(unit)s"),
    Role.DEPARTMENT_HEAD: gettext_lazy("Lãnh đạo %(unit)s"),
}


# The holder of a task in the Cục's national queue (the national track in the system).
MINISTRY_QUEUE = gettext_lazy("Cục, Bộ Công Thương")


def holder_name(task: Task | None) -> str:
    """Who holds the đề án, as the public says it: "Sở Công Thương tỉnh Bình Phước"."""
    if task is None:
        return ""
    if task.unit is None:  # the implementing unit's own task (its settlement dossier), or the Cục's queue
        if task.organisation is not None:
            return task.organisation.name
        return str(MINISTRY_QUEUE) if task.role == Role.MINISTRY else ""
    unit = task.unit.name
    unit = unit[:1].lower() + unit[1:]
    template = HOLDER_NAMES.get(task.role)
    return str(template) % {"unit": unit} if template else task.unit.name


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    action: str  # the trigger's public label
    status: str  # the public name of the status reached
    trigger: str
    reason: str = ""  # only in the applicant's view, only for a return / reject / stop


@dataclass(frozen=True)
class StatusView:
    proposal: Proposal
    status: str
    status_label: str
    holder: str
    due_at: dt.datetime | None
    late: bool
    timeline: list[TimelineEntry]
    last_reason: str = (
        ""  # the reason of the latest return / rejection / stop, when that is the current state
    )
    last_reason_action: str = ""


def status_view(proposal: Proposal, *, now: dt.datetime, with_reasons: bool) -> StatusView:
    """The đề án's public status, timeline (public names and dates), holder and deadline. Internal comments never
    appear; ``with_reasons`` adds the return/reject/stop reasons, which are addressed to the applicant."""
    lifecycle = lifecycle_of(proposal)
    task = Task.objects.select_related("unit").filter(proposal=proposal, completed_at__isnull=True).first()
    events = TransitionEvent.objects.filter(proposal=proposal, kind=TransitionEvent.Kind.TRANSITION).order_by(
        "seq"
    )
    timeline = []
    for e in events.only("created_at", "trigger", "to_status", "comment"):
        t = lifecycle.triggers.get(e.trigger)
        reason = e.comment if with_reasons and e.trigger in REASON_TRIGGERS else ""
        timeline.append(
            TimelineEntry(
                e.created_at,
                str(t.public_label or t.label) if t else e.trigger,
                str(PUBLIC_NAMES.get(e.to_status, e.to_status)),
                e.trigger,
                reason,
            )
        )
    last_reason = last_action = ""
    if with_reasons and timeline and timeline[-1].trigger in REASON_TRIGGERS:
        last_reason, last_action = timeline[-1].reason, timeline[-1].action
    due = task.due_at if task else None
    return StatusView(
        proposal,
        proposal.status,
        str(PUBLIC_NAMES[proposal.status]),
        holder_name(task),
        due,
        bool(due and due < now),
        timeline,
        last_reason,
        last_action,
    )


def _local(value: dt.datetime | None) -> str | None:
    return value.astimezone(VN_TZ).isoformat() if value else None


def public_status(proposal: Proposal, *, now: dt.datetime) -> dict:
    """The public lookup as plain JSON data: status, holder, deadline, timeline. No amounts, no comments,
    no names of people (the API's /track reuses it)."""
    view = status_view(proposal, now=now, with_reasons=False)
    return {
        "tracking_code": proposal.tracking_code,
        "status": view.status,
        "status_label": view.status_label,
        "holder": view.holder,
        "due_at": _local(view.due_at),
        "due_on": date_format(view.due_at.astimezone(VN_TZ), "d/m/Y") if view.due_at else "",
        "late": view.late,
        "timeline": [
            {
                "at": _local(e.at),
                "date": date_format(e.at.astimezone(VN_TZ), "d/m/Y"),
                "action": e.action,
                "status": e.status,
            }
            for e in view.timeline
        ],
    }


# --- public lookup with rate limiting ---------------------------------------------------------------------------


class LookupFailed(WorkflowError):
    code = "lookup_failed"
    status = 404


class LookupUnavailable(WorkflowError):
    """The wrong-PIN counters cannot be read (the cache is down): refuse rather than look up unguarded."""

    code = "lookup_unavailable"
    status = 503


class LookupRefused(WorkflowError):
    code = "too_many_attempts"
    status = 429


def _counter_keys(code: str, ip: str | None) -> list[str]:
    code_key = hashlib.sha256(code.encode()).hexdigest()[:32]
    return [f"kc:lookup:ip:{ip or 'unknown'}", f"kc:lookup:code:{code_key}"]


def lookup(code: str, pin: str, *, ip: str | None, now: dt.datetime) -> dict:
    """Tracking code + PIN → the public status. Wrong PINs are counted per IP address and per tracking code;
    past LOOKUP_MAX_FAILURES in LOOKUP_WINDOW_SECONDS the lookup is refused for the rest of the window."""
    code = (code or "").strip().upper()
    pin = (pin or "").strip()
    limit = int(_conf("LOOKUP_MAX_FAILURES", 10))
    window = int(_conf("LOOKUP_WINDOW_SECONDS", 15 * 60))
    keys = _counter_keys(code, ip)
    try:
        failures = [cache.get(k) or 0 for k in keys]
    except Exception as exc:  # noqa: BLE001 - the counter store is down: fail closed, never a 500
        raise LookupUnavailable(
            _("Tra cứu tạm thời gián đoạn; vui lòng thử lại sau ít phút. Hồ sơ của bạn không bị ảnh hưởng.")
        ) from exc
    if any(n >= limit for n in failures):
        raise LookupRefused(
            _(
                "Đã nhập sai quá nhiều lần. Vì an toàn, việc tra cứu tạm khóa; vui lòng thử lại sau "
                "%(minutes)d phút."
            )
            % {"minutes": max(window // 60, 1)}
        )
    proposal = None
    if code and re.fullmatch(r"\d{6}", pin):
        proposal = Proposal.objects.filter(tracking_code=code, lodged_at__isnull=False).first()
    if proposal is None or not _pin_ok(proposal, pin):
        try:
            for k in keys:
                if cache.add(k, 1, window):
                    continue
                try:
                    cache.incr(k)
                except ValueError:  # expired between add and incr
                    cache.set(k, 1, window)
        except Exception as exc:  # noqa: BLE001
            raise LookupUnavailable(
                _(
                    "Tra cứu tạm thời gián đoạn; vui lòng thử lại sau ít phút. Hồ sơ của bạn không bị ảnh hưởng."
                )
            ) from exc
        raise LookupFailed(_("Mã hồ sơ hoặc mã PIN không đúng. Hãy kiểm tra lại giấy biên nhận."))
    return public_status(proposal, now=now)


def _pin_ok(proposal: Proposal, pin: str) -> bool:
    from .steps import pin_matches

    return pin_matches(proposal, pin)


# --- receipt ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    proposal: Proposal
    lodged_at: dt.datetime | None
    last_lodged_at: dt.datetime | None
    next_decision_due: dt.datetime | None
    holder: str
    dossier_due_at: dt.datetime | None
    revision_round: int


def receipt(proposal: Proposal) -> Receipt:
    task = Task.objects.select_related("unit").filter(proposal=proposal, completed_at__isnull=True).first()
    last = (
        TransitionEvent.objects.filter(proposal=proposal, trigger="lodge")
        .order_by("-seq")
        .values_list("created_at", flat=True)
        .first()
    )
    return Receipt(
        proposal,
        proposal.lodged_at,
        last,
        task.due_at if task else None,
        holder_name(task),
        proposal.dossier_due_at,
        proposal.revision_round,
    )


def qr_svg(data: str, *, title: str = "") -> str:
    """An inline SVG QR code (segno, pure Python)."""
    import segno

    return segno.make(data, error="m").svg_inline(scale=4, title=title or None)


# --- diff between lodging rounds ----------------------------------------------------------------------------------

SECTION_LABELS = {
    "title": gettext_lazy("Tên đề án"),
    "content_type": gettext_lazy("Nội dung hoạt động"),
    "sector": gettext_lazy("Ngành nghề"),
}
BUDGET_COLUMNS = (
    "item",
    "unit",
    "quantity",
    "unit_price",
    "national_amount",
    "local_amount",
    "counterpart_amount",
)


@dataclass(frozen=True)
class SectionChange:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class RowChange:
    change: str  # added | removed | changed
    before: dict | None
    after: dict | None


@dataclass
class RoundDiff:
    before_round: int
    after_round: int
    before_at: dt.datetime
    after_at: dt.datetime
    sections: list[SectionChange] = field(default_factory=list)
    budget: list[RowChange] = field(default_factory=list)
    work_items: list[RowChange] = field(default_factory=list)
    attachments: list[RowChange] = field(default_factory=list)
    totals_before: dict = field(default_factory=dict)
    totals_after: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.sections or self.budget or self.work_items or self.attachments)


def _rows_diff(before: list[list], after: list[list], columns: tuple[str, ...]) -> list[RowChange]:
    """Rows present on one side only; a removed and an added row with the same first column are "changed"."""
    remaining_after = [list(r) for r in after]
    removed = []
    for row in before:
        if list(row) in remaining_after:
            remaining_after.remove(list(row))
        else:
            removed.append(list(row))
    out = []
    for row in removed:
        twin = next((r for r in remaining_after if r[0] == row[0]), None)
        if twin is not None:
            remaining_after.remove(twin)
            out.append(
                RowChange(
                    "changed", dict(zip(columns, row, strict=False)), dict(zip(columns, twin, strict=False))
                )
            )
        else:
            out.append(RowChange("removed", dict(zip(columns, row, strict=False)), None))
    out += [RowChange("added", None, dict(zip(columns, r, strict=False))) for r in remaining_after]
    return out


def _budget_totals(lines: list[list]) -> dict:
    national = sum(int(r[4]) for r in lines)
    local = sum(int(r[5]) for r in lines)
    counterpart = sum(int(r[6]) for r in lines)
    return {
        "national": national,
        "local": local,
        "counterpart": counterpart,
        "support": national + local,
        "total": national + local + counterpart,
    }


def round_diffs(proposal: Proposal) -> list[RoundDiff]:
    """What changed between consecutive lodgings, from the dossier each lodge audit row kept; newest first."""
    lodges = list(
        TransitionEvent.objects.filter(proposal=proposal, trigger="lodge")
        .order_by("seq")
        .values_list("created_at", "data")
    )
    diffs = []
    for (at_a, data_a), (at_b, data_b) in pairwise(lodges):
        a, b = data_a.get("dossier") or {}, data_b.get("dossier") or {}
        d = RoundDiff(int(data_a.get("revision_round", 0)), int(data_b.get("revision_round", 0)), at_a, at_b)
        sa, sb = a.get("sections", {}), b.get("sections", {})
        for key in sb.keys() | sa.keys():
            if (sa.get(key) or "") != (sb.get(key) or ""):
                label = SECTION_LABELS.get(key) or cast(Field, Proposal._meta.get_field(key)).verbose_name
                d.sections.append(
                    SectionChange(key, str(label), str(sa.get(key) or ""), str(sb.get(key) or ""))
                )
        order = list(SECTION_LABELS) + [f for f in sb if f not in SECTION_LABELS]
        d.sections.sort(key=lambda s: order.index(s.field) if s.field in order else 99)
        d.budget = _rows_diff(a.get("budget_lines", []), b.get("budget_lines", []), BUDGET_COLUMNS)
        d.work_items = _rows_diff(
            a.get("work_items", []), b.get("work_items", []), ("title", "starts_on", "ends_on", "responsible")
        )
        d.attachments = _rows_diff(
            a.get("attachments", []), b.get("attachments", []), ("kind", "name", "sha256")
        )
        d.totals_before = _budget_totals(a.get("budget_lines", []))
        d.totals_after = _budget_totals(b.get("budget_lines", []))
        diffs.append(d)
    return diffs[::-1]


def diff_for(user: User, proposal_id: int) -> tuple[Proposal, list[RoundDiff]]:
    proposal = Proposal.objects.filter(pk=proposal_id).first()
    if proposal is None or not can_view(user, proposal):
        raise NotFound(_("Không tìm thấy đề án."))
    return proposal, round_diffs(proposal)


# --- completion report and settlement dossier -------------------------------------------------------------------


def _notify_holder(proposal: Proposal, *, template: str, context: dict, key: str, now: dt.datetime) -> None:
    """Tell the unit holding the đề án's open task (the appraisers for a completion report, the finance officers
    for a settlement dossier); outbox rows in this transaction, delivered after commit."""
    from notifications.services import queue_message

    task = Task.objects.filter(proposal=proposal, completed_at__isnull=True).first()
    if task is None:
        return
    staff = User.objects.filter(is_active=True, unit_id=task.unit_id, groups__name=task.role).order_by("pk")
    queue_message(
        recipients=staff,
        template=template,
        now=now,
        key=key,
        context={
            "proposal": proposal.pk,
            "tracking_code": proposal.tracking_code,
            "title": proposal.title,
            **context,
        },
    )


def submit_completion_report(
    proposal_id: int,
    *,
    actor: User,
    now: dt.datetime,
    finished_on: dt.date,
    results: str,
    percent_complete: int = 100,
    ip: str | None = None,
) -> CompletionReport:
    """The implementing unit reports the work done and asks for acceptance; the appraisers are told."""
    results = (results or "").strip()
    problems = []
    if not results:
        problems.append(_("Cần mô tả kết quả đạt được so với mục tiêu của đề án."))
    if finished_on > now.astimezone(VN_TZ).date():
        problems.append(_("Ngày hoàn thành không được sau ngày hôm nay."))
    if not 0 <= percent_complete <= 100:
        problems.append(_("Khối lượng hoàn thành phải từ 0 đến 100 %."))
    if problems:
        raise GuardFailed(_("Chưa gửi được báo cáo hoàn thành:"), problems=problems)
    with transaction.atomic():
        proposal = _lock_own(
            proposal_id,
            actor,
            statuses=(Status.APPROVED, Status.CONTRACTED),
            message=_("Chỉ gửi báo cáo hoàn thành khi đề án đã được phê duyệt và đang thực hiện."),
        )
        report = CompletionReport.objects.create(
            proposal=proposal,
            finished_on=finished_on,
            results=results,
            percent_complete=percent_complete,
            submitted_by=actor,
            submitted_at=now,
        )
        record_action(
            proposal,
            "completion_report",
            actor=actor,
            now=now,
            role=Role.APPLICANT,
            data={"report": report.pk, "finished_on": finished_on, "percent_complete": percent_complete},
            comment=results,
            ip=ip,
        )
        _notify_holder(
            proposal,
            template="completion.submitted",
            key=f"completion:{report.pk}",
            now=now,
            context={"finished_on": finished_on.strftime("%d/%m/%Y"), "results": results},
        )
    return report


@dataclass(frozen=True)
class VoucherData:
    number: str
    issued_on: dt.date
    description: str
    source: str
    amount: int


def settlement_due_on(proposal: Proposal) -> dt.date | None:
    from workflow.models import Acceptance

    due = Acceptance.objects.filter(proposal=proposal).values_list("settlement_due_on", flat=True).first()
    if due is not None:
        return due
    task = (
        Task.objects.filter(proposal=proposal, completed_at__isnull=True)
        .values_list("due_at", flat=True)
        .first()
    )
    return task.astimezone(VN_TZ).date() if task else None


def submit_settlement_dossier(
    proposal_id: int,
    *,
    actor: User,
    now: dt.datetime,
    national_spent: int,
    local_spent: int,
    counterpart_spent: int,
    vouchers: list[VoucherData],
    note: str = "",
    ip: str | None = None,
) -> SettlementDossier:
    """The settlement dossier: actual spending per funding source and the voucher list. The vouchers of each
    source must add up to what is declared for it, and the support spent may not exceed the approved amount."""
    problems = []
    amounts = {
        FundingSource.NATIONAL: national_spent,
        FundingSource.LOCAL: local_spent,
        FundingSource.COUNTERPART: counterpart_spent,
    }
    if min(amounts.values()) < 0:
        problems.append(_("Số tiền đã chi không được âm."))
    if not vouchers:
        problems.append(_("Cần kê ít nhất một chứng từ chi."))
    labels = dict(FundingSource.choices)
    for v in vouchers:
        if v.amount <= 0 or not v.number.strip() or not v.description.strip() or v.source not in amounts:
            problems.append(
                _("Chứng từ “%(number)s”: cần số chứng từ, nội dung, nguồn và số tiền lớn hơn 0.")
                % {"number": v.number or "?"}
            )
    for source, declared in amounts.items():
        listed = sum(v.amount for v in vouchers if v.source == source)
        if listed != declared:
            problems.append(
                _("Nguồn “%(source)s”: kê khai đã chi %(declared)s nhưng tổng chứng từ là %(listed)s.")
                % {"source": labels[source], "declared": format_vnd(declared), "listed": format_vnd(listed)}
            )
    with transaction.atomic():
        proposal = _lock_own(
            proposal_id,
            actor,
            statuses=(Status.IMPLEMENTED, Status.STOPPED),
            message=_("Chỉ nộp hồ sơ quyết toán sau khi đề án đã được nghiệm thu (hoặc đã dừng thực hiện)."),
        )
        approved = proposal.approved_amount or 0
        if national_spent + local_spent > approved:
            problems.append(
                _("Kinh phí khuyến công đã chi %(spent)s vượt kinh phí được phê duyệt %(approved)s.")
                % {"spent": format_vnd(national_spent + local_spent), "approved": format_vnd(approved)}
            )
        if problems:
            raise GuardFailed(_("Chưa nộp được hồ sơ quyết toán:"), problems=problems)
        dossier = SettlementDossier.objects.create(
            proposal=proposal,
            national_spent=national_spent,
            local_spent=local_spent,
            counterpart_spent=counterpart_spent,
            note=(note or "").strip(),
            due_on=settlement_due_on(proposal),
            submitted_by=actor,
            submitted_at=now,
        )
        Voucher.objects.bulk_create(
            Voucher(
                dossier=dossier,
                position=i,
                number=v.number.strip(),
                issued_on=v.issued_on,
                description=v.description.strip(),
                source=v.source,
                amount=v.amount,
            )
            for i, v in enumerate(vouchers)
        )
        record_action(
            proposal,
            "settlement_dossier",
            actor=actor,
            now=now,
            role=Role.APPLICANT,
            data={
                "dossier": dossier.pk,
                "national_spent": national_spent,
                "local_spent": local_spent,
                "counterpart_spent": counterpart_spent,
                "vouchers": len(vouchers),
            },
            ip=ip,
        )
        # The unit's task (file within 15 days of acceptance) closes; the Sở Công Thương's opens, and its queue
        # is told (the transition service's notices).
        from .transitions import fire

        fire(proposal.pk, "file_settlement", actor=actor, now=now, data={"dossier": dossier.pk}, ip=ip)
    return dossier


# --- the applicant's list -----------------------------------------------------------------------------------------


def own_proposals(user: User):
    """The đề án of the user's organisation (as implementing unit or beneficiary)."""
    from django.db.models import Q

    if not (
        user.is_authenticated and user.is_active and user.organisation_id and user.has_role(Role.APPLICANT)
    ):
        return Proposal.objects.none()
    org = user.organisation_id
    return Proposal.objects.filter(Q(implementing_org_id=org) | Q(beneficiary_id=org))


def own_proposal(user: User, proposal_id: int) -> Proposal:
    """One đề án of the user's organisation, else NotFound (another organisation's đề án is not told apart
    from a missing one)."""
    proposal = (
        own_proposals(user)
        .select_related("province", "district", "commune", "implementing_org")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        raise NotFound(_("Không tìm thấy đề án."))
    return proposal


REVIEW_STATUSES = frozenset(str(s) for s in REVIEW)
