"""The data of each step: read and check the form data of a trigger (guards), then record it.

Each step is ``check(ctx) -> cleaned data`` (raises GuardFailed listing every problem) and
``record(ctx, cleaned)`` (writes the step's rows and the amounts on the đề án). Only the transition service
calls them, inside its transaction, with the đề án row locked.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db.models import Field
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.calendar import VN_TZ
from core.models import User
from core.money import format_vnd
from core.roles import Role
from workflow.lifecycle import Trigger
from workflow.models import (
    Acceptance,
    Appraisal,
    Approval,
    ApprovalDecision,
    Attachment,
    AttachmentKind,
    FinanceVerification,
    NationalRecord,
    Proposal,
    Settlement,
    SettlementDossier,
    Task,
    TransitionEvent,
)

from .errors import GuardFailed

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

OPINIONS = ("policy_fit", "objectives_budget", "capacity", "integration", "dossier")


@dataclass
class StepContext:
    proposal: Proposal
    trigger: Trigger
    actor: User
    now: dt.datetime
    comment: str
    data: dict
    problems: list[str] = field(default_factory=list)
    due_on: dt.date | None = None  # deadline of the next task when the step sets it (settlement dossier)
    pin: str = ""  # the public-lookup PIN issued at the first lodging (shown once on the receipt)
    task: Task | None = None  # the open task the step closes
    upload: tuple | None = None  # (the uploaded scan, its MIME type) checked by the step, kept by its record

    @property
    def national(self) -> bool:
        return self.proposal.funding_kind == "national"


def _amount(ctx: StepContext, key: str, label: str, *, required: bool = True) -> int | None:
    raw = ctx.data.get(key)
    if raw in (None, ""):
        if required:
            ctx.problems.append(_("Chưa nhập %(label)s.") % {"label": label})
        return None
    # An integer, or digits grouped by thousands as people type them (1.234.567 or 1 234 567). A comma is the
    # Vietnamese decimal mark: "1,5" is not a number of đồng. Other scripts' digits are refused too.
    text = str(raw).strip()
    if isinstance(raw, bool) or not (isinstance(raw, int) or MONEY_TEXT.fullmatch(text)):
        ctx.problems.append(_("%(label)s phải là số đồng (số nguyên).") % {"label": label})
        return None
    value = int(raw) if isinstance(raw, int) else int(text.replace(".", "").replace(" ", ""))
    if value < 0:
        ctx.problems.append(_("%(label)s không được âm.") % {"label": label})
        return None
    if value > MONEY_MAX:
        ctx.problems.append(_("%(label)s vượt quá giới hạn (10.000 tỷ đồng).") % {"label": label})
        return None
    return value


MONEY_TEXT = re.compile(r"-?[0-9]{1,3}(?:([. ])[0-9]{3}(?:\1[0-9]{3})*)?|-?[0-9]+", re.ASCII)
MONEY_MAX = 10**13
TEXT_MAX = 5000


def _checked_text(ctx: StepContext, raw, label: StrOrPromise, *, max_length: int = TEXT_MAX) -> str:
    """Text as stored: trimmed, without NUL characters (PostgreSQL refuses them), within ``max_length``."""
    if raw is not None and not isinstance(raw, str):
        ctx.problems.append(_("%(label)s phải là văn bản.") % {"label": label})
        return ""
    value = (raw or "").strip()
    if "\x00" in value:
        ctx.problems.append(_("%(label)s có ký tự không hợp lệ.") % {"label": label})
        return ""
    if len(value) > max_length:
        ctx.problems.append(_("%(label)s dài quá %(n)d ký tự.") % {"label": label, "n": max_length})
        return value[:max_length]
    return value


def _date(ctx: StepContext, key: str, label: str) -> dt.date | None:
    raw = ctx.data.get(key)
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except (TypeError, ValueError):
        ctx.problems.append(_("%(label)s không hợp lệ (định dạng năm-tháng-ngày).") % {"label": label})
        return None


def _text(ctx: StepContext, key: str, label: str, *, max_length: int = TEXT_MAX) -> str:
    known = len(ctx.problems)
    value = _checked_text(ctx, ctx.data.get(key), label, max_length=max_length)
    if not value and len(ctx.problems) == known:
        ctx.problems.append(_("Chưa nhập %(label)s.") % {"label": label})
    return value


def _today(ctx: StepContext) -> dt.date:
    return ctx.now.astimezone(VN_TZ).date()


# --- lodge -------------------------------------------------------------------------------------------------


def check_lodge(ctx: StepContext) -> dict:
    from workflow.eligibility import eligibility_problems
    from workflow.validation import cap_problems, missing_parts

    ctx.problems += [part.message for part in missing_parts(ctx.proposal)]
    ctx.problems += cap_problems(ctx.proposal, on=_today(ctx))
    ctx.problems += eligibility_problems(ctx.proposal, on=_today(ctx))
    if ctx.national and ctx.proposal.lodged_at is None:
        ctx.problems += _registration_window_problems(ctx)
    # The dossier as lodged is kept in the audit row: reviewers compare rounds from it.
    return {"revision_round": ctx.proposal.revision_round, "dossier": dossier_snapshot(ctx.proposal)}


SNAPSHOT_FIELDS = (
    "title",
    "content_type",
    "sector",
    "partners",
    "need",
    "objectives",
    "scale",
    "content_plan",
    "budget_note",
    "organisation_plan",
    "effectiveness",
)


def dossier_snapshot(p: Proposal) -> dict:
    return {
        "sections": {f: getattr(p, f) for f in SNAPSHOT_FIELDS},
        "work_items": [
            [w.title, w.starts_on.isoformat(), w.ends_on.isoformat(), w.responsible]
            for w in p.work_items.all()
        ],
        "budget_lines": [
            [
                b.item,
                b.unit,
                str(b.quantity),
                b.unit_price,
                b.national_amount,
                b.local_amount,
                b.counterpart_amount,
            ]
            for b in p.budget_lines.all()
        ],
        "attachments": [[a.kind, a.original_name, a.sha256] for a in p.attachments.all()],
    }


def _registration_window_problems(ctx: StepContext) -> list[str]:
    """A national đề án for plan year N registers with the Sở by the registration window of N-1 (TT 36 Đ10.1.b:
    before 20/5, "or as the Sở guides": the date is configuration). A dossier returned for revision resumes."""
    from workflow.national import window

    ends = window("registration", ctx.proposal.plan_year)
    if _today(ctx) <= ends:
        return []
    return [
        _(
            "Đã hết hạn đăng ký đề án khuyến công quốc gia năm %(year)s (ngày %(date)s). Hãy đăng ký cho năm kế "
            "hoạch sau, hoặc đề nghị Sở Công Thương hướng dẫn."
        )
        % {"year": ctx.proposal.plan_year, "date": ends.strftime("%d/%m/%Y")}
    ]


def record_lodge(ctx: StepContext, cleaned: dict) -> None:
    from workflow.lifecycle import lifecycle_of

    from .tasks import dossier_due

    p = ctx.proposal
    if p.lodged_at is None:
        p.lodged_at = ctx.now
    if not p.pin_hash:
        # The PIN for the public lookup is shown once on the receipt; only its keyed hash is kept.
        ctx.pin = f"{secrets.randbelow(10**6):06d}"
        p.pin_hash = pin_digest(p.pk, ctx.pin)
    p.dossier_due_at = dossier_due(lifecycle_of(p), ctx.now, plan_year=p.plan_year)
    p.returned_from = ""


def pin_digest(proposal_id: int, pin: str) -> str:
    return salted_hmac("khuyencong.lookup-pin", f"{proposal_id}:{pin}", algorithm="sha256").hexdigest()


def pin_matches(proposal: Proposal, pin: str) -> bool:
    return bool(proposal.pin_hash) and constant_time_compare(
        proposal.pin_hash, pin_digest(proposal.pk, pin.strip())
    )


# --- district_submit ---------------------------------------------------------------------------------------


def check_endorse(ctx: StepContext) -> dict:
    note = (ctx.comment or str(ctx.data.get("note") or "")).strip()
    if not note:
        ctx.problems.append(_("Cần ghi ý kiến đề xuất của cấp huyện/xã."))
    return {"note": note}


# --- appraise ----------------------------------------------------------------------------------------------


def check_appraise(ctx: StepContext) -> dict:
    verdict = ctx.data.get("verdict")
    if verdict not in Appraisal.Verdict.values:
        ctx.problems.append(_("Chưa chọn kết luận thẩm định (đạt / không đạt)."))
    opinions = ctx.data.get("opinions")
    opinions = opinions if isinstance(opinions, dict) else {}
    labels = [cast(Field, Appraisal._meta.get_field(f"opinion_{k}")).verbose_name for k in OPINIONS]
    cleaned_opinions = {}
    for key, label in zip(OPINIONS, labels, strict=True):
        known = len(ctx.problems)
        text = _checked_text(ctx, opinions.get(key), label)
        if not text and len(ctx.problems) == known:
            ctx.problems.append(_("Chưa có ý kiến về nội dung “%(label)s”.") % {"label": label})
        cleaned_opinions[key] = text
    score = ctx.data.get("score")
    if score not in (None, ""):
        try:
            score = int(score)
            if not 0 <= score <= 100:
                raise ValueError
        except (TypeError, ValueError):
            ctx.problems.append(_("Điểm thẩm định phải từ 0 đến 100."))
            score = None
    else:
        score = None
    amount = _amount(ctx, "recommended_amount", _("kinh phí đề nghị hỗ trợ"))
    if amount is not None:
        requested = sum(line.support for line in ctx.proposal.budget_lines.all())
        if amount > requested:
            ctx.problems.append(
                _("Kinh phí đề nghị hỗ trợ %(amount)s không được vượt kinh phí đơn vị đề nghị %(requested)s.")
                % {"amount": format_vnd(amount), "requested": format_vnd(requested)}
            )
    if verdict == Appraisal.Verdict.FAIL:
        ctx.problems.append(_("Đề án không đạt: dùng thao tác “Không chấp thuận” hoặc “Trả lại để bổ sung”."))
    return {"verdict": verdict, "opinions": cleaned_opinions, "score": score, "recommended_amount": amount}


def record_appraise(ctx: StepContext, cleaned: dict) -> None:
    Appraisal.objects.create(
        proposal=ctx.proposal,
        revision_round=ctx.proposal.revision_round,
        verdict=cleaned["verdict"],
        score=cleaned["score"],
        recommended_amount=cleaned["recommended_amount"],
        appraiser=ctx.actor,
        created_at=ctx.now,
        **{f"opinion_{k}": v for k, v in cleaned["opinions"].items()},
    )
    ctx.proposal.recommended_amount = cleaned["recommended_amount"]


# --- verify_finance ----------------------------------------------------------------------------------------


def check_verify(ctx: StepContext) -> dict:
    national = _amount(ctx, "national_amount", _("kinh phí nguồn quốc gia"))
    local = _amount(ctx, "local_amount", _("kinh phí nguồn địa phương"))
    if national is not None and local is not None:
        recommended = ctx.proposal.recommended_amount or 0
        if national + local > recommended:
            ctx.problems.append(
                _("Kinh phí thẩm tra %(total)s vượt kinh phí Sở Công Thương đề nghị %(recommended)s.")
                % {"total": format_vnd(national + local), "recommended": format_vnd(recommended)}
            )
    return {"national_amount": national, "local_amount": local}


def record_verify(ctx: StepContext, cleaned: dict) -> None:
    FinanceVerification.objects.create(
        proposal=ctx.proposal, officer=ctx.actor, created_at=ctx.now, **cleaned
    )
    ctx.proposal.verified_amount = cleaned["national_amount"] + cleaned["local_amount"]


# --- approve -----------------------------------------------------------------------------------------------


def check_approve(ctx: StepContext) -> dict:
    number = _text(ctx, "decision_number", _("số quyết định"), max_length=50)
    signed_on = _date(ctx, "decision_date", _("ngày quyết định"))
    verified = ctx.proposal.verified_amount or 0
    amount = _amount(ctx, "amount", _("kinh phí phê duyệt"), required=False)
    amount = verified if amount is None else amount
    if amount > verified and ctx.national:
        ctx.problems.append(
            _("Kinh phí phê duyệt %(amount)s vượt kinh phí Bộ Công Thương thẩm định %(verified)s.")
            % {"amount": format_vnd(amount), "verified": format_vnd(verified)}
        )
    elif amount > verified:
        ctx.problems.append(
            _("Kinh phí phê duyệt %(amount)s vượt kinh phí Sở Tài chính thẩm tra %(verified)s.")
            % {"amount": format_vnd(amount), "verified": format_vnd(verified)}
        )
    if signed_on and signed_on > _today(ctx):
        ctx.problems.append(_("Ngày quyết định không được sau ngày hôm nay."))
    if number and signed_on:
        existing = ApprovalDecision.objects.filter(number=number).values_list("signed_on", flat=True).first()
        if existing and existing != signed_on:
            ctx.problems.append(
                _("Quyết định số %(number)s đã được ghi với ngày %(date)s.")
                % {"number": number, "date": existing.strftime("%d/%m/%Y")}
            )
    return {"decision_number": number, "decision_date": signed_on, "amount": amount}


def record_approve(ctx: StepContext, cleaned: dict) -> None:
    decision, _created = ApprovalDecision.objects.get_or_create(
        number=cleaned["decision_number"],
        defaults={"signed_on": cleaned["decision_date"], "signer": ctx.actor, "created_at": ctx.now},
    )
    Approval.objects.create(decision=decision, proposal=ctx.proposal, amount=cleaned["amount"])
    ctx.proposal.approved_amount = cleaned["amount"]


# --- accept ------------------------------------------------------------------------------------------------


# The indicators of the quarterly report (domain.md §7) an acceptance records as achieved: the names of the đề án's
# targets without "target_" (``target_learners`` → ``learners``).
ACHIEVED = ("learners", "models", "machines", "fairs", "products")
COUNT_MAX = 10**9


def _achieved(ctx: StepContext) -> dict[str, int]:
    """``data["achieved"]``: what the minutes record as achieved, per indicator, e.g. ``{"learners": 38}``;
    optional, and only the indicators given. Kept in the step's audit row, where the quarterly report reads it."""
    raw = ctx.data.get("achieved")
    if raw in (None, "", {}):
        return {}
    if not isinstance(raw, dict):
        ctx.problems.append(_("Kết quả đạt được phải ghi theo từng chỉ tiêu."))
        return {}
    unknown = sorted(str(k) for k in raw if k not in ACHIEVED)
    if unknown:
        ctx.problems.append(_("Chỉ tiêu không có trong đề án: %(names)s.") % {"names": ", ".join(unknown)})
    achieved = {}
    for key in ACHIEVED:
        value = raw.get(key)
        if value in (None, ""):
            continue
        label = capfirst(cast(Field, Proposal._meta.get_field(f"target_{key}")).verbose_name)
        text = str(value).strip()
        if isinstance(value, bool) or not (isinstance(value, int) or text.isascii() and text.isdigit()):
            ctx.problems.append(_("%(label)s đạt được phải là số nguyên không âm.") % {"label": label})
            continue
        number = int(value)
        if not 0 <= number <= COUNT_MAX:
            ctx.problems.append(_("%(label)s đạt được phải là số nguyên không âm.") % {"label": label})
            continue
        achieved[key] = number
    return achieved


def check_accept(ctx: StepContext) -> dict:
    accepted_on = _date(ctx, "accepted_on", _("ngày nghiệm thu"))
    results = _text(ctx, "results", _("kết quả nghiệm thu so với mục tiêu"))
    if accepted_on and accepted_on > _today(ctx):
        ctx.problems.append(_("Ngày nghiệm thu không được sau ngày hôm nay."))
    due = accepted_on + dt.timedelta(days=settings.KHUYENCONG["SETTLEMENT_DUE_DAYS"]) if accepted_on else None
    cleaned: dict[str, Any] = {"accepted_on": accepted_on, "results": results, "settlement_due_on": due}
    achieved = _achieved(ctx)
    if achieved:
        cleaned["achieved"] = achieved
    return cleaned


def record_accept(ctx: StepContext, cleaned: dict) -> None:
    # The achieved values stay in the audit row (TransitionEvent.data), not on the minutes' row.
    minutes = {k: v for k, v in cleaned.items() if k != "achieved"}
    Acceptance.objects.create(proposal=ctx.proposal, recorded_by=ctx.actor, created_at=ctx.now, **minutes)
    ctx.due_on = cleaned["settlement_due_on"]


# --- file_settlement (the unit) and settle (the Sở Công Thương) --------------------------------------------------


def _dossier(ctx: StepContext) -> SettlementDossier | None:
    """The unit's latest settlement dossier, filed since the đề án was accepted or stopped."""
    since = (
        TransitionEvent.objects.filter(
            proposal=ctx.proposal, kind="transition", to_status__in=["implemented", "stopped"]
        )
        .order_by("-seq")
        .values_list("created_at", flat=True)
        .first()
    )
    dossiers = SettlementDossier.objects.filter(proposal=ctx.proposal)
    if since is not None:
        dossiers = dossiers.filter(submitted_at__gte=since)
    return dossiers.order_by("-submitted_at", "-id").first()


def check_file_settlement(ctx: StepContext) -> dict:
    dossier = _dossier(ctx)
    if dossier is None:
        ctx.problems.append(
            _("Chưa có hồ sơ quyết toán: hãy kê khai số đã chi theo từng nguồn và bảng kê chứng từ rồi gửi.")
        )
        return {}
    return {
        "dossier": dossier.pk,
        "national_spent": dossier.national_spent,
        "local_spent": dossier.local_spent,
        "counterpart_spent": dossier.counterpart_spent,
        "due_on": dossier.due_on,
        "late": bool(dossier.due_on and dossier.submitted_at.astimezone(VN_TZ).date() > dossier.due_on),
        "by_volume_done": ctx.proposal.status == "stopped",
    }


def check_settle(ctx: StepContext) -> dict:
    """The Sở settles what the unit's dossier shows (never more per source than its vouchers add up to) within
    the approved amount; what was advanced beyond it is a refund, tracked until paid back."""
    national = _amount(ctx, "national_amount", _("quyết toán nguồn quốc gia"))
    local = _amount(ctx, "local_amount", _("quyết toán nguồn địa phương"))
    counterpart = _amount(ctx, "counterpart_amount", _("vốn đối ứng đã chi"), required=False)
    dossier = _dossier(ctx)
    if dossier is None:
        ctx.problems.append(_("Chưa có hồ sơ quyết toán của đơn vị thực hiện."))
    if national is None or local is None or dossier is None:
        return {}
    labels = (
        (national, dossier.national_spent, _("nguồn khuyến công quốc gia")),
        (local, dossier.local_spent, _("nguồn khuyến công địa phương")),
    )
    for settled_part, spent, source in labels:
        if settled_part > spent:
            ctx.problems.append(
                _("Quyết toán %(source)s %(settled)s vượt số đã chi theo chứng từ %(spent)s.")
                % {"source": source, "settled": format_vnd(settled_part), "spent": format_vnd(spent)}
            )
    if counterpart is None:
        counterpart = dossier.counterpart_spent
    return _settled(ctx, national, local, counterpart) | {
        "by_volume_done": filed_from(ctx.proposal) == "stopped",  # by the volume done (TT 36 Đ18.4)
        "dossier": dossier.pk,
    }


def _settled(ctx: StepContext, national: int, local: int, counterpart: int) -> dict:
    """A settlement's figures: never above the approved amount; what was advanced beyond it is a refund, what it
    exceeds the advances by is still payable."""
    approved = ctx.proposal.approved_amount or 0
    advanced = ctx.proposal.advanced_amount
    settled = national + local
    if settled > approved:
        ctx.problems.append(
            _("Kinh phí quyết toán %(settled)s vượt kinh phí được phê duyệt %(approved)s.")
            % {"settled": format_vnd(settled), "approved": format_vnd(approved)}
        )
    return {
        "national_amount": national,
        "local_amount": local,
        "counterpart_amount": counterpart,
        "advanced_amount": advanced,
        "refund_amount": max(advanced - settled, 0),
        "payable_amount": max(settled - advanced, 0),
    }


def filed_from(proposal: Proposal) -> str | None:
    """The status the unit filed its settlement dossier from (accepted, or stopped), where it goes back to."""
    return (
        TransitionEvent.objects.filter(proposal=proposal, kind="transition", trigger="file_settlement")
        .order_by("-seq")
        .values_list("from_status", flat=True)
        .first()
    )


def record_settle(ctx: StepContext, cleaned: dict) -> None:
    Settlement.objects.create(
        proposal=ctx.proposal,
        officer=ctx.actor,
        created_at=ctx.now,
        **{k: v for k, v in cleaned.items() if k != "dossier"},
    )
    ctx.proposal.settled_amount = cleaned["national_amount"] + cleaned["local_amount"]


# --- the national track's ministry side: the Sở's letter, the ministry appraisal, the contract, liquidation ---


def _document(ctx: StepContext, prefix: str, what: str) -> tuple[str, dt.date | None]:
    """A document's number and date (``<prefix>_number``, ``<prefix>_date``), dated no later than today."""
    number = _text(ctx, f"{prefix}_number", _("số %(what)s") % {"what": what}, max_length=50)
    signed_on = _date(ctx, f"{prefix}_date", _("ngày %(what)s") % {"what": what})
    if signed_on and signed_on > _today(ctx):
        ctx.problems.append(_("Ngày %(what)s không được sau ngày hôm nay.") % {"what": what})
    return number, signed_on


def _document_file(ctx: StepContext) -> dict:
    """The scan of the ministry side's document, when one is attached (``data["document"]``, an uploaded file):
    checked as any upload (name, size, content type); kept by the step's record, its hash in the audit row."""
    upload = ctx.data.get("document")
    if upload is None or upload == "":
        return {}
    if not hasattr(upload, "chunks"):
        ctx.problems.append(_("Tệp văn bản đính kèm không hợp lệ."))
        return {}
    from .portal import checked_upload

    try:
        name, size, mime, sha256 = checked_upload(getattr(upload, "name", ""), upload)
    except GuardFailed as exc:
        ctx.problems.append(exc.message)
        return {}
    ctx.upload = (upload, mime)
    return {"document": {"name": name, "size": size, "sha256": sha256}}


def _keep_document(ctx: StepContext, cleaned: dict) -> None:
    """Store the attached scan as the đề án's attachment (kind "ministry_document"), named by the step."""
    if not cleaned.get("document") or ctx.upload is None:
        return
    from django.core.files import File

    upload, mime = ctx.upload
    doc = cleaned["document"]
    attachment = Attachment(
        proposal=ctx.proposal,
        kind=AttachmentKind.MINISTRY_DOCUMENT,
        original_name=doc["name"],
        mime_type=mime,
        size=doc["size"],
        sha256=doc["sha256"],
        uploaded_by=ctx.actor,
        uploaded_at=ctx.now,
    )
    attachment.file.save("upload", File(upload), save=False)
    try:
        attachment.save(force_insert=True)
    except Exception:
        attachment.file.delete(save=False)
        raise
    doc["attachment"] = attachment.pk


def _recorded_by_province(ctx: StepContext) -> bool:
    from workflow.lifecycle import ministry_side_role

    return ministry_side_role() != Role.MINISTRY


def _national_record(ctx: StepContext, kind: str, number: str, signed_on: dt.date, amount=None) -> None:
    NationalRecord.objects.create(
        proposal=ctx.proposal,
        kind=kind,
        number=number,
        signed_on=signed_on,
        amount=amount,
        recorded=_recorded_by_province(ctx),
        recorded_by=ctx.actor,
        created_at=ctx.now,
    )


def check_send(ctx: StepContext) -> dict:
    number, signed_on = _document(ctx, "letter", _("công văn gửi Bộ"))
    return {"letter_number": number, "letter_date": signed_on}


def record_send(ctx: StepContext, cleaned: dict) -> None:
    _national_record(ctx, NationalRecord.Kind.LETTER, cleaned["letter_number"], cleaned["letter_date"])


def check_ministry_appraisal(ctx: StepContext) -> dict:
    """The ministry's appraisal (thẩm định cấp Bộ, TT 36 Đ8.2): its document and the amount it recommends,
    never above what the Sở recommended at base level. A failing đề án is rejected or returned instead."""
    number, signed_on = _document(ctx, "appraisal", _("văn bản thẩm định cấp Bộ"))
    amount = _amount(ctx, "amount", _("kinh phí Bộ thẩm định"))
    recommended = ctx.proposal.recommended_amount or 0
    if amount is not None and amount > recommended:
        ctx.problems.append(
            _("Kinh phí Bộ thẩm định %(amount)s vượt kinh phí Sở Công Thương đề nghị %(recommended)s.")
            % {"amount": format_vnd(amount), "recommended": format_vnd(recommended)}
        )
    return {"appraisal_number": number, "appraisal_date": signed_on, "amount": amount, **_document_file(ctx)}


def record_ministry_appraisal(ctx: StepContext, cleaned: dict) -> None:
    _keep_document(ctx, cleaned)
    _national_record(
        ctx,
        NationalRecord.Kind.MINISTRY_APPRAISAL,
        cleaned["appraisal_number"],
        cleaned["appraisal_date"],
        cleaned["amount"],
    )
    ctx.proposal.verified_amount = cleaned["amount"]


def check_contract(ctx: StepContext) -> dict:
    number, signed_on = _document(ctx, "contract", _("hợp đồng"))
    approved = ctx.proposal.approved_amount or 0
    amount = _amount(ctx, "amount", _("giá trị hợp đồng"), required=False)
    amount = approved if amount is None else amount
    if amount > approved:
        ctx.problems.append(
            _("Giá trị hợp đồng %(amount)s vượt kinh phí Bộ trưởng phê duyệt %(approved)s.")
            % {"amount": format_vnd(amount), "approved": format_vnd(approved)}
        )
    return {"contract_number": number, "contract_date": signed_on, "amount": amount, **_document_file(ctx)}


def record_contract(ctx: StepContext, cleaned: dict) -> None:
    _keep_document(ctx, cleaned)
    _national_record(
        ctx,
        NationalRecord.Kind.CONTRACT,
        cleaned["contract_number"],
        cleaned["contract_date"],
        cleaned["amount"],
    )


def check_settle_national(ctx: StepContext) -> dict:
    """Liquidation of the contract and settlement with the Cục (TT 36 Đ18.2): the settlement as the Sở's, plus
    the liquidation minutes' number and date."""
    number, signed_on = _document(ctx, "liquidation", _("biên bản thanh lý hợp đồng"))
    cleaned = check_settle(ctx)
    return cleaned | {"liquidation_number": number, "liquidation_date": signed_on, **_document_file(ctx)}


def record_settle_national(ctx: StepContext, cleaned: dict) -> None:
    _keep_document(ctx, cleaned)
    _national_record(
        ctx,
        NationalRecord.Kind.LIQUIDATION,
        cleaned["liquidation_number"],
        cleaned["liquidation_date"],
        cleaned["national_amount"] + cleaned["local_amount"],
    )
    record_settle(
        ctx, {k: v for k, v in cleaned.items() if not k.startswith("liquidation_") and k != "document"}
    )


def check_settle_from_minutes(ctx: StepContext) -> dict:
    """TT 36 Đ18.3: when the unit is late with its settlement dossier, the Cục settles the advanced amounts from
    the acceptance minutes (and Mẫu 9). Only once the unit's own deadline has passed."""
    due_at = ctx.task.due_at if ctx.task is not None else None
    if due_at is not None and ctx.now <= due_at:
        ctx.problems.append(
            _(
                "Đơn vị thực hiện còn hạn nộp hồ sơ quyết toán đến ngày %(date)s; chỉ quyết toán theo biên bản "
                "nghiệm thu khi đơn vị chậm nộp."
            )
            % {"date": due_at.astimezone(VN_TZ).strftime("%d/%m/%Y")}
        )
    number, signed_on = _document(ctx, "liquidation", _("biên bản thanh lý hợp đồng"))
    national = _amount(ctx, "national_amount", _("quyết toán nguồn quốc gia"))
    local = _amount(ctx, "local_amount", _("quyết toán nguồn địa phương"), required=False) or 0
    if national is None:
        return {}
    return _settled(ctx, national, local, 0) | {
        "by_volume_done": False,
        "from_minutes": True,
        "liquidation_number": number,
        "liquidation_date": signed_on,
        **_document_file(ctx),
    }


def record_settle_from_minutes(ctx: StepContext, cleaned: dict) -> None:
    record_settle_national(ctx, {k: v for k, v in cleaned.items() if k != "from_minutes"})


# --- reasons -----------------------------------------------------------------------------------------------


def check_reason(ctx: StepContext) -> dict:
    if not ctx.comment.strip():
        ctx.problems.append(_("Cần nêu lý do; đơn vị đề nghị sẽ nhận được lý do này."))
    return {}


def record_return(ctx: StepContext, cleaned: dict) -> None:
    ctx.proposal.revision_round += 1
    ctx.proposal.returned_from = ctx.proposal.status


def check_nothing(ctx: StepContext) -> dict:
    return {}


def record_nothing(ctx: StepContext, cleaned: dict) -> None:
    return None


STEPS = {
    "lodge": (check_lodge, record_lodge),
    "district_submit": (check_endorse, record_nothing),
    "appraise": (check_appraise, record_appraise),
    "verify_finance": (check_verify, record_verify),
    "approve": (check_approve, record_approve),
    "accept": (check_accept, record_accept),
    "file_settlement": (check_file_settlement, record_nothing),
    "settle": (check_settle, record_settle),
    "return_for_revision": (check_reason, record_return),
    "reject": (check_reason, record_nothing),
    "stop": (check_reason, record_nothing),
    "withdraw": (check_nothing, record_nothing),
    "send_to_ministry": (check_send, record_send),
    "appraise_ministry": (check_ministry_appraisal, record_ministry_appraisal),
    "contract": (check_contract, record_contract),
    "settle_from_minutes": (check_settle_from_minutes, record_settle_from_minutes),
    "return_settlement": (check_reason, record_nothing),
}


# A national đề án's step where it differs from the local one of the same name.
def check_approve_national(ctx: StepContext) -> dict:
    return check_approve(ctx) | _document_file(ctx)


def record_approve_national(ctx: StepContext, cleaned: dict) -> None:
    _keep_document(ctx, cleaned)
    record_approve(ctx, {k: v for k, v in cleaned.items() if k != "document"})


NATIONAL_STEPS = {
    "settle": (check_settle_national, record_settle_national),
    "approve": (check_approve_national, record_approve_national),
}


def _step(ctx: StepContext):
    if ctx.national and ctx.trigger.name in NATIONAL_STEPS:
        return NATIONAL_STEPS[ctx.trigger.name]
    return STEPS[ctx.trigger.name]


def run_checks(ctx: StepContext) -> dict:
    check, _record = _step(ctx)
    cleaned = check(ctx)
    if ctx.problems:
        raise GuardFailed(
            _("Chưa thể thực hiện “%(action)s”:") % {"action": ctx.trigger.label}, problems=ctx.problems
        )
    return cleaned


def record(ctx: StepContext, cleaned: dict) -> None:
    _check, record_step = _step(ctx)
    record_step(ctx, cleaned)
