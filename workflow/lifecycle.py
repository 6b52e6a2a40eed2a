"""The lifecycle of a đề án khuyến công as one table, and the one ``transitions.Machine`` built from it.

Pure data: no models, no database. ``workflow/services/transitions.py`` is the only code that acts on it.
Which level endorses a lodged đề án (district, commune, none) and which role fires a trigger are provincial
configuration (settings.KHUYENCONG); ``build_lifecycle`` applies them once at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.db import models
from django.utils.translation import gettext_lazy as _
from transitions import Machine

from core.roles import Role


class Status(models.TextChoices):
    DRAFTED = "drafted", _("Đang soạn thảo")
    LODGED = "lodged", _("Đã nộp, chờ cấp huyện/xã")
    DISTRICT_SUBMITTED = "district_submitted", _("Huyện/xã đã trình Sở Công Thương")
    APPRAISED = "appraised", _("Sở Công Thương đã thẩm định")
    FINANCE_VERIFIED = "finance_verified", _("Sở Tài chính đã thẩm tra")
    APPROVED = "approved", _("Đã phê duyệt, đang thực hiện")
    IMPLEMENTED = "implemented", _("Đã nghiệm thu, chờ quyết toán")
    SETTLEMENT_FILED = "settlement_filed", _("Đã nộp hồ sơ quyết toán")
    SETTLED = "settled", _("Đã quyết toán")
    REJECTED = "rejected", _("Không được phê duyệt")
    WITHDRAWN = "withdrawn", _("Đã rút hồ sơ")
    STOPPED = "stopped", _("Đã dừng thực hiện")


# Public names: what an applicant or anyone with the tracking code sees (names the holder, not the milestone).
PUBLIC_NAMES: dict[str, str] = {
    Status.DRAFTED: _("Đơn vị đang hoàn thiện hồ sơ"),
    Status.LODGED: _("Cấp huyện/xã đang xem xét"),
    Status.DISTRICT_SUBMITTED: _("Sở Công Thương đang thẩm định"),
    Status.APPRAISED: _("Sở Tài chính đang thẩm tra kinh phí"),
    Status.FINANCE_VERIFIED: _("Đang chờ phê duyệt"),
    Status.APPROVED: _("Đã phê duyệt — đang thực hiện"),
    Status.IMPLEMENTED: _("Đã nghiệm thu — đơn vị lập hồ sơ quyết toán"),
    Status.SETTLEMENT_FILED: _("Sở Công Thương đang quyết toán"),
    Status.SETTLED: _("Đã hoàn thành quyết toán"),
    Status.REJECTED: _("Không được phê duyệt"),
    Status.WITHDRAWN: _("Đơn vị đã rút hồ sơ"),
    Status.STOPPED: _("Đã dừng thực hiện — đang quyết toán theo khối lượng"),
}

TERMINAL = frozenset({Status.SETTLED, Status.REJECTED, Status.WITHDRAWN})
REVIEW = (Status.LODGED, Status.DISTRICT_SUBMITTED, Status.APPRAISED, Status.FINANCE_VERIFIED)

# The role of whoever holds the open task of the current status ("the current review step").
HOLDER = "holder"


class Sla(models.TextChoices):
    NONE = "none", _("Không tính hạn")
    WORKING_DAYS = "working_days", _("Ngày làm việc")
    CALENDAR_DAYS = "calendar_days", _("Ngày lịch")


@dataclass(frozen=True)
class StatusRule:
    """Who acts next when a đề án enters this status, in which unit, and the default deadline."""

    task_role: str | None  # None: nobody owes an action (terminal, or the applicant's own draft)
    # "endorsing" (the đề án's commune/district), "province", or "applicant" (the implementing organisation)
    task_scope: str
    sla: str = Sla.NONE
    sla_days: int = 0


@dataclass(frozen=True)
class Trigger:
    name: str
    sources: tuple[str, ...]
    dest: str
    role: str
    label: str
    guards: tuple[str, ...] = ()
    reason_required: bool = False
    public_label: str = ""
    extra: dict = field(default_factory=dict)
    # After a return for revision, this trigger goes back to the status the đề án was returned from.
    resumes: bool = False


# fmt: off
# status                 next actor (task role)      scope        default SLA (domain.md §2.2: provincial, configurable)
STATUS_RULES: dict[str, StatusRule] = {
    Status.DRAFTED:            StatusRule(None, "none"),
    Status.LODGED:             StatusRule(Role.DISTRICT_OFFICER, "endorsing", Sla.WORKING_DAYS, 5),
    Status.DISTRICT_SUBMITTED: StatusRule(Role.APPRAISER,        "province",  Sla.WORKING_DAYS, 15),
    Status.APPRAISED:          StatusRule(Role.FINANCE_OFFICER,  "province",  Sla.WORKING_DAYS, 10),
    Status.FINANCE_VERIFIED:   StatusRule(Role.APPROVER,         "province",  Sla.WORKING_DAYS, 10),
    Status.APPROVED:           StatusRule(Role.APPRAISER,        "province"),          # acceptance when work ends
    # The unit's own obligation: its settlement dossier within 15 days of acceptance (TT36 Đ18.1).
    Status.IMPLEMENTED:        StatusRule(Role.APPLICANT,        "applicant", Sla.CALENDAR_DAYS, 15),
    Status.STOPPED:            StatusRule(Role.APPLICANT,        "applicant", Sla.CALENDAR_DAYS, 15),
    # Units settle with the Sở Công Thương (TTLT 26/TT 28 Đ8.3.c); its day count is provincial.
    Status.SETTLEMENT_FILED:   StatusRule(Role.APPRAISER,        "province",  Sla.WORKING_DAYS, 15),
    Status.SETTLED:            StatusRule(None, "none"),
    Status.REJECTED:           StatusRule(None, "none"),
    Status.WITHDRAWN:          StatusRule(None, "none"),
}

S = Status
# trigger              sources                                       dest                  role                    guards
TRIGGERS: tuple[Trigger, ...] = (
    Trigger("lodge", (S.DRAFTED,), S.LODGED, Role.APPLICANT, _("Nộp hồ sơ"),
            guards=("dossier_complete", "within_caps"), public_label=_("Nộp hồ sơ"), resumes=True),
    Trigger("district_submit", (S.LODGED,), S.DISTRICT_SUBMITTED, Role.DISTRICT_OFFICER, _("Trình Sở Công Thương"),
            guards=("endorsement_note",), public_label=_("Cấp huyện/xã trình Sở")),
    Trigger("appraise", (S.DISTRICT_SUBMITTED,), S.APPRAISED, Role.APPRAISER, _("Thẩm định"),
            guards=("appraisal_complete",), public_label=_("Sở Công Thương thẩm định")),
    Trigger("verify_finance", (S.APPRAISED,), S.FINANCE_VERIFIED, Role.FINANCE_OFFICER, _("Thẩm tra kinh phí"),
            guards=("verified_within_recommended",), public_label=_("Sở Tài chính thẩm tra")),
    Trigger("approve", (S.FINANCE_VERIFIED,), S.APPROVED, Role.APPROVER, _("Phê duyệt"),
            guards=("decision_recorded",), public_label=_("Phê duyệt")),
    Trigger("accept", (S.APPROVED,), S.IMPLEMENTED, Role.APPRAISER, _("Nghiệm thu"),
            guards=("acceptance_recorded",), public_label=_("Nghiệm thu")),
    Trigger("file_settlement", (S.IMPLEMENTED, S.STOPPED), S.SETTLEMENT_FILED, Role.APPLICANT,
            _("Nộp hồ sơ quyết toán"), guards=("settlement_dossier_filed",),
            public_label=_("Đơn vị nộp hồ sơ quyết toán")),
    Trigger("settle", (S.SETTLEMENT_FILED,), S.SETTLED, Role.APPRAISER, _("Quyết toán"),
            guards=("settled_within_dossier",), public_label=_("Sở Công Thương quyết toán")),
    Trigger("return_for_revision", REVIEW, S.DRAFTED, HOLDER, _("Trả lại để bổ sung"),
            reason_required=True, public_label=_("Trả lại để bổ sung, hoàn thiện")),
    Trigger("reject", REVIEW, S.REJECTED, HOLDER, _("Không chấp thuận"),
            reason_required=True, public_label=_("Không chấp thuận")),
    Trigger("withdraw", (S.DRAFTED, S.LODGED), S.WITHDRAWN, Role.APPLICANT, _("Rút hồ sơ"),
            public_label=_("Rút hồ sơ")),
    Trigger("stop", (S.APPROVED,), S.STOPPED, Role.APPROVER, _("Dừng thực hiện"),
            reason_required=True, public_label=_("Dừng thực hiện")),
)
# fmt: on


@dataclass(frozen=True)
class Lifecycle:
    statuses: tuple[str, ...]
    triggers: dict[str, Trigger]
    rules: dict[str, StatusRule]
    endorsement_level: str
    machine: Machine = field(compare=False, repr=False)

    def target(self, trigger: str, source: str) -> str | None:
        """Where ``trigger`` leads from ``source``, or None when the lifecycle has no such transition."""
        if trigger not in self.machine.events:
            return None
        found = self.machine.get_transitions(trigger=trigger, source=str(source))
        return found[0].dest if found else None

    def resume_target(self, trigger: str, source: str, returned_from: str) -> str | None:
        """The target of ``trigger``, sent back to the reviewer who returned the đề án when it resumes."""
        target = self.target(trigger, source)
        t = self.triggers.get(trigger)
        if target and t and t.resumes and returned_from in self.statuses and returned_from in REVIEW:
            return returned_from
        return target

    def triggers_from(self, source: str) -> list[Trigger]:
        return [
            self.triggers[name] for name in self.machine.get_triggers(str(source)) if name in self.triggers
        ]

    def sources(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for t in self.triggers.values():
            for s in t.sources:
                out.setdefault(s, set()).add(t.name)
        return out


def build_lifecycle(
    *, endorsement_level: str = "commune", trigger_roles: dict[str, str] | None = None
) -> Lifecycle:
    """Apply the provincial configuration to the table and build the one state machine."""
    if endorsement_level not in ("district", "commune", "none"):
        raise ValueError(f"ENDORSEMENT_LEVEL must be district, commune or none, not {endorsement_level!r}")
    trigger_roles = trigger_roles or {}
    triggers: dict[str, Trigger] = {}
    for t in TRIGGERS:
        sources, dest = t.sources, t.dest
        if endorsement_level == "none":
            if t.name == "district_submit":
                continue
            sources = tuple(s for s in sources if s != Status.LODGED)
            if dest == Status.LODGED:
                dest = Status.DISTRICT_SUBMITTED
        role = str(trigger_roles.get(t.name, t.role))
        # Plain strings: transitions treats Enum members (TextChoices) as enum states named by their keys.
        triggers[t.name] = Trigger(
            t.name,
            tuple(str(s) for s in sources),
            str(dest),
            role,
            t.label,
            t.guards,
            t.reason_required,
            t.public_label,
            t.extra,
            t.resumes,
        )
    statuses = tuple(
        str(s) for s in Status.values if not (endorsement_level == "none" and s == Status.LODGED)
    )
    machine = Machine(
        model=None,
        states=list(statuses),
        initial=Status.DRAFTED,
        auto_transitions=False,
        send_event=True,
    )
    for t in triggers.values():
        machine.add_transition(t.name, list(t.sources), t.dest)
    rules = {s: STATUS_RULES[Status(s)] for s in statuses}
    return Lifecycle(statuses, triggers, rules, endorsement_level, machine)


@cache
def get_lifecycle() -> Lifecycle:
    """The lifecycle configured for this deployment (built once per process)."""
    from django.conf import settings

    conf = getattr(settings, "KHUYENCONG", {})
    return build_lifecycle(
        endorsement_level=conf.get("ENDORSEMENT_LEVEL", "commune"),
        trigger_roles=conf.get("TRIGGER_ROLES") or {},
    )


def mermaid(lifecycle: Lifecycle, *, highlight: str | None = None) -> str:
    """The lifecycle as a Mermaid state diagram (README, docs and the đề án page draw it)."""
    lines = ["stateDiagram-v2", f"    [*] --> {Status.DRAFTED}"]
    for t in lifecycle.triggers.values():
        for s in t.sources:
            lines.append(f"    {s} --> {t.dest}: {t.name}")
    for s in lifecycle.statuses:
        if s in TERMINAL:
            lines.append(f"    {s} --> [*]")
    if highlight:
        lines.append("    classDef current fill:#ffd54f,stroke:#e65100,stroke-width:2px")
        lines.append(f"    class {highlight} current")
    return "\n".join(lines)
