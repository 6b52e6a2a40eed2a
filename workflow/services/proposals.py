"""Create a đề án and edit its dossier (applicant side). Each change is an audit row."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.addresses import check_address
from core.models import User
from workflow.lifecycle import Status
from workflow.models import Proposal
from workflow.permissions import is_applicant_of

from .audit import append_event, record_action
from .errors import InvalidAddress, NotAllowedFromStatus, NotPermitted

# The dossier fields an applicant edits, in form order (the API serialises them in this order too).
DOSSIER_FIELDS = (
    "title",
    "plan_year",
    "funding_kind",
    "content_type",
    "sector",
    "is_pilot",
    "is_group",
    "priority_area",
    "priority_sector",
    "is_production_line",
    "province",
    "district",
    "commune",
    "location_detail",
    "beneficiary_capital",
    "beneficiary_workers",
    "brick_kiln_technology",
    "counterpart_committed",
    "no_other_state_support",
    "partners",
    "need",
    "objectives",
    "scale",
    "content_plan",
    "budget_note",
    "organisation_plan",
    "effectiveness",
    "target_learners",
    "target_models",
    "target_machines",
    "target_fairs",
    "target_products",
)
RELATIONS = ("beneficiary", "province", "district", "commune")
EDITABLE_FIELDS = frozenset(DOSSIER_FIELDS) | {"beneficiary"} | {f"{name}_id" for name in RELATIONS}


def _check_address(proposal: Proposal) -> None:
    try:
        check_address(
            province=proposal.province_id, district=proposal.district_id, commune=proposal.commune_id
        )
    except ValidationError as exc:
        raise InvalidAddress(
            _("Địa bàn thực hiện không khớp: tỉnh, huyện và xã phải là một nơi."),
            problems=[message for messages in exc.message_dict.values() for message in messages],
        ) from exc


def _tracking_code(plan_year: int, pk: int) -> str:
    return f"KC{plan_year}-{pk:06d}"


def create_proposal(*, actor: User, now: dt.datetime, implementing_org=None, **fields) -> Proposal:
    """A new draft of ``actor``'s organisation; the tracking code is assigned at once."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    org = implementing_org or actor.organisation
    if org is None:
        raise NotPermitted(_("Tài khoản chưa gắn với tổ chức nào nên không thể lập đề án."))
    with transaction.atomic():
        proposal = Proposal(
            implementing_org=org,
            created_by=actor,
            created_at=now,
            updated_at=now,
            tracking_code=f"tmp-{uuid.uuid4().hex[:16]}",
            **fields,
        )
        _check_address(proposal)
        proposal.save(force_insert=True)
        proposal.tracking_code = _tracking_code(proposal.plan_year, proposal.pk)
        proposal.save(update_fields=["tracking_code"])
        append_event(
            proposal=proposal,
            kind="action",
            trigger="create",
            from_status="",
            to_status=Status.DRAFTED,
            actor=actor,
            now=now,
            role="applicant",
            data={"title": proposal.title},
        )
    return proposal


def update_dossier(
    proposal_id: int, *, actor: User, now: dt.datetime, changes: dict, ip: str | None = None
) -> Proposal:
    """Change dossier fields of a draft; the audit row lists which fields changed."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
        if not is_applicant_of(actor, proposal):
            raise NotPermitted(_("Chỉ đơn vị đề nghị của đề án mới được sửa hồ sơ."))
        if proposal.status != Status.DRAFTED:
            raise NotAllowedFromStatus(
                _("Chỉ sửa được hồ sơ khi đề án đang soạn thảo hoặc được trả lại để bổ sung.")
            )
        changed = sorted(k for k, v in changes.items() if getattr(proposal, k) != v)
        for key in changed:
            setattr(proposal, key, changes[key])
        if {"province", "district", "commune", "province_id", "district_id", "commune_id"} & set(changed):
            _check_address(proposal)
        if changed:
            proposal.updated_at = now
            proposal.save(update_fields=[*changed, "updated_at"])
            record_action(
                proposal,
                "edit",
                actor=actor,
                now=now,
                role="applicant",
                data={"fields": changed},
                ip=ip,
            )
    return proposal
