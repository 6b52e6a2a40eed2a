"""While a đề án is approved: monthly progress reports and advance payments (tạm ứng)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.calendar import VN_TZ
from core.models import User
from core.money import format_vnd
from core.roles import Role
from workflow.advances import advance_terms, decider_role
from workflow.lifecycle import Status, implementing_status
from workflow.models import Advance, ProgressReport, Proposal, Settlement
from workflow.permissions import in_unit, is_applicant_of

from .audit import record_action
from .errors import Conflict, GuardFailed, NotAllowedFromStatus, NotFound, NotPermitted


def _lock_approved(proposal_id: int, *, after_acceptance: bool = False) -> Proposal:
    """Lock a đề án being carried out: approved (local) or contracted (national), its track's implementing status.
    ``after_acceptance`` also admits an accepted national đề án (its remaining advance, TT 36 Đ14)."""
    proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound(_("Không tìm thấy đề án."))
    statuses = {implementing_status(proposal.funding_kind)}
    if after_acceptance and proposal.funding_kind == "national":
        statuses.add(Status.IMPLEMENTED)
    if proposal.status not in statuses:
        raise NotAllowedFromStatus(_("Chỉ thực hiện được khi đề án đã được phê duyệt và đang thực hiện."))
    return proposal


def submit_progress_report(
    proposal_id: int,
    *,
    actor: User,
    now: dt.datetime,
    period: dt.date,
    percent_complete: int,
    summary: str,
    ip: str | None = None,
) -> ProgressReport:
    period = period.replace(day=1)
    if not summary.strip():
        raise GuardFailed(_("Cần mô tả tình hình thực hiện trong tháng."))
    if not 0 <= percent_complete <= 100:
        raise GuardFailed(_("Khối lượng hoàn thành phải từ 0 đến 100 %."))
    if period > now.astimezone(VN_TZ).date():
        raise GuardFailed(_("Không báo cáo trước cho tháng chưa tới."))
    try:
        with transaction.atomic():
            proposal = _lock_approved(proposal_id)
            if not is_applicant_of(actor, proposal):
                raise NotPermitted(_("Chỉ đơn vị thực hiện đề án mới gửi được báo cáo tiến độ."))
            report = ProgressReport.objects.create(
                proposal=proposal,
                period=period,
                percent_complete=percent_complete,
                summary=summary.strip(),
                submitted_by=actor,
                submitted_at=now,
            )
            record_action(
                proposal,
                "progress_report",
                actor=actor,
                now=now,
                role=Role.APPLICANT,
                data={"period": period, "percent_complete": percent_complete},
                comment=summary.strip(),
                ip=ip,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("Đã có báo cáo tiến độ tháng %(month)s.") % {"month": period.strftime("%m/%Y")}
        ) from exc
    return report


def request_advance(
    proposal_id: int, *, actor: User, now: dt.datetime, amount: int, note: str = "", ip: str | None = None
) -> Advance:
    """The applicant asks for an advance; the total of advances may not exceed the đề án's advance limit, and the
    condition of its track and content type must be met (workflow/advances.py, domain.md §6.1)."""
    if amount <= 0:
        raise GuardFailed(_("Số tiền tạm ứng phải lớn hơn 0."))
    with transaction.atomic():
        proposal = _lock_approved(proposal_id, after_acceptance=True)
        if not is_applicant_of(actor, proposal):
            raise NotPermitted(_("Chỉ đơn vị thực hiện đề án mới đề nghị tạm ứng được."))
        terms = advance_terms(proposal)
        if terms.unmet:
            raise GuardFailed(terms.unmet)
        committed = sum(
            proposal.advances.exclude(state=Advance.State.REFUSED).values_list("amount", flat=True)
        )
        if committed + amount > terms.limit:
            raise GuardFailed(
                _(
                    "Tổng tạm ứng không được vượt %(pct)s %% kinh phí được phê duyệt %(approved)s, tức %(limit)s. "
                    "Đã đề nghị %(committed)s; có thể đề nghị thêm tối đa %(left)s."
                )
                % {
                    "pct": terms.percent,
                    "approved": format_vnd(proposal.approved_amount),
                    "limit": format_vnd(terms.limit),
                    "committed": format_vnd(committed),
                    "left": format_vnd(max(terms.limit - committed, 0)),
                }
            )
        advance = Advance.objects.create(
            proposal=proposal, amount=amount, requested_by=actor, requested_at=now, note=note
        )
        record_action(
            proposal,
            "advance_request",
            actor=actor,
            now=now,
            role=Role.APPLICANT,
            data={"advance": advance.pk, "amount": amount},
            comment=note,
            ip=ip,
        )
    return advance


def decide_advance(
    advance_id: int, *, actor: User, now: dt.datetime, pay: bool, note: str = "", ip: str | None = None
) -> Advance:
    """The body holding the budget pays or refuses a requested advance: the role KHUYENCONG["ADVANCE_DECIDER"]
    names for the đề án's track (local: the Sở Tài chính; national: the ministry side), of the đề án's province
    unless it is the Cục's officer (the whole country)."""
    proposal_id = Advance.objects.filter(pk=advance_id).values_list("proposal_id", flat=True).first()
    if proposal_id is None:
        raise NotFound(_("Không tìm thấy đề nghị tạm ứng."))
    with transaction.atomic():
        proposal = _lock_approved(proposal_id, after_acceptance=True)
        role = decider_role(proposal.funding_kind)
        nationwide = role == Role.MINISTRY
        if not (actor.has_role(role) and (nationwide or in_unit(actor.unit, proposal))):
            who = str(Role(role).label) if role in Role.values else role
            who = who[:1].lower() + who[1:]
            if nationwide:
                raise NotPermitted(_("Chỉ %(role)s mới duyệt chi tạm ứng của đề án này.") % {"role": who})
            raise NotPermitted(
                _("Chỉ %(role)s của tỉnh mới duyệt chi tạm ứng của đề án này.") % {"role": who}
            )
        advance = Advance.objects.select_for_update().get(pk=advance_id)
        if advance.state != Advance.State.REQUESTED:
            raise Conflict(_("Đề nghị tạm ứng này đã được xử lý."))
        if not pay and not note.strip():
            raise GuardFailed(_("Cần nêu lý do không chấp thuận tạm ứng."))
        advance.state = Advance.State.PAID if pay else Advance.State.REFUSED
        advance.decided_by, advance.decided_at, advance.note = actor, now, note or advance.note
        advance.save(update_fields=["state", "decided_by", "decided_at", "note"])
        if pay:
            proposal.advanced_amount += advance.amount
            proposal.save(update_fields=["advanced_amount"])
        record_action(
            proposal,
            "advance_paid" if pay else "advance_refused",
            actor=actor,
            now=now,
            role=role,
            unit_id=actor.unit_id,
            data={"advance": advance.pk, "amount": advance.amount},
            comment=note,
            ip=ip,
        )
        from notifications.services import queue_message

        queue_message(
            recipients=User.objects.filter(
                is_active=True, organisation_id=proposal.implementing_org_id
            ).order_by("pk"),
            template="advance.paid" if pay else "advance.refused",
            now=now,
            key=f"advance:{advance.pk}:decided",
            context={
                "proposal": proposal.pk,
                "tracking_code": proposal.tracking_code,
                "title": proposal.title,
                "amount": format_vnd(advance.amount),
                "comment": note,
            },
        )
    return advance


def record_refund(
    proposal_id: int, *, actor: User, now: dt.datetime, paid_on: dt.date, receipt: str, ip: str | None = None
) -> Settlement:
    """The Sở Công Thương records that the refund a settlement left owing (advances above the settled amount)
    was paid back: until then it is listed as owed (``refunds_owed``)."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
        if proposal is None:
            raise NotFound(_("Không tìm thấy đề án."))
        if not (
            (actor.has_role(Role.APPRAISER) or actor.has_role(Role.DEPARTMENT_HEAD))
            and actor.unit is not None
            and actor.unit.level == "province"
            and in_unit(actor.unit, proposal)
        ):
            raise NotPermitted(_("Chỉ Sở Công Thương của tỉnh mới ghi nhận việc nộp trả kinh phí."))
        settlement = Settlement.objects.select_for_update().filter(proposal=proposal).first()
        if settlement is None or settlement.refund_amount == 0:
            raise GuardFailed(_("Đề án không có khoản phải nộp trả."))
        if settlement.refunded_on is not None:
            raise Conflict(_("Khoản nộp trả này đã được ghi nhận."))
        receipt = (receipt or "").strip()
        if not receipt or len(receipt) > 100:
            raise GuardFailed(_("Cần ghi số chứng từ nộp trả (tối đa 100 ký tự)."))
        if paid_on > now.astimezone(VN_TZ).date():
            raise GuardFailed(_("Ngày nộp trả không được sau ngày hôm nay."))
        settlement.refunded_on, settlement.refund_receipt = paid_on, receipt
        settlement.save(update_fields=["refunded_on", "refund_receipt"])
        record_action(
            proposal,
            "refund_paid",
            actor=actor,
            now=now,
            role=Role.APPRAISER if actor.has_role(Role.APPRAISER) else Role.DEPARTMENT_HEAD,
            unit_id=actor.unit_id,
            data={"amount": settlement.refund_amount, "paid_on": paid_on.isoformat(), "receipt": receipt},
            ip=ip,
        )
    return settlement


def refunds_owed(proposals):
    """The settlements among ``proposals`` whose refund is still owed, oldest first."""
    return (
        Settlement.objects.filter(proposal__in=proposals, refund_amount__gt=0, refunded_on__isnull=True)
        .select_related("proposal")
        .order_by("created_at", "id")
    )
