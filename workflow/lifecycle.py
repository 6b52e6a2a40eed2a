"""The lifecycle of a đề án khuyến công: one table per track, and the one ``transitions.Machine`` built from each.

Two tracks (architecture.md "Two tracks", domain.md §2): the **local** track (khuyến công địa phương: the province
appraises, verifies and approves) and the **national** track (khuyến công quốc gia: registration with the Sở, its
base-level appraisal, the dossier to the ministry's Cục, ministry appraisal, the Minister's decision, a contract,
liquidation and settlement with the Cục). A đề án's track is its ``funding_kind``.

Pure data: no models, no database. ``workflow/services/transitions.py`` is the only code that acts on it.
Which level endorses a lodged đề án (district, commune, none), which role fires a trigger, and whether the
ministry side works in the system or is recorded by the Sở are configuration (settings.KHUYENCONG);
``build_lifecycle`` applies them once per process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _
from transitions import Machine

from core.roles import Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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
    # The national track's own steps (domain.md §2.1).
    REGISTERED = "registered", _("Đã đăng ký với Sở Công Thương")
    BASE_APPRAISED = "base_appraised", _("Sở Công Thương đã thẩm định cấp cơ sở")
    SENT_TO_MINISTRY = "sent_to_ministry", _("Đã gửi Bộ Công Thương, chờ thẩm định cấp Bộ")
    MINISTRY_APPRAISED = "ministry_appraised", _("Bộ đã thẩm định, chờ Bộ trưởng phê duyệt")
    CONTRACTED = "contracted", _("Đã ký hợp đồng, đang thực hiện")
    REJECTED = "rejected", _("Không được phê duyệt")
    WITHDRAWN = "withdrawn", _("Đã rút hồ sơ")
    STOPPED = "stopped", _("Đã dừng thực hiện")


# Public names: what an applicant or anyone with the tracking code sees (names the holder, not the milestone).
PUBLIC_NAMES: dict[str, StrOrPromise] = {
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
    Status.REGISTERED: _("Sở Công Thương đang thẩm định cấp cơ sở"),
    Status.BASE_APPRAISED: _("Sở Công Thương đang gửi hồ sơ Bộ Công Thương"),
    Status.SENT_TO_MINISTRY: _("Bộ Công Thương đang thẩm định"),
    Status.MINISTRY_APPRAISED: _("Đang chờ Bộ trưởng Bộ Công Thương phê duyệt"),
    Status.CONTRACTED: _("Đã ký hợp đồng — đang thực hiện"),
}


class Track(models.TextChoices):
    """The same values as FundingKind: a đề án's track is its funding kind."""

    LOCAL = "local", _("Khuyến công địa phương")
    NATIONAL = "national", _("Khuyến công quốc gia")


TERMINAL = frozenset({Status.SETTLED, Status.REJECTED, Status.WITHDRAWN})
LOCAL_REVIEW = (Status.LODGED, Status.DISTRICT_SUBMITTED, Status.APPRAISED, Status.FINANCE_VERIFIED)
NATIONAL_REVIEW = (
    Status.REGISTERED,
    Status.BASE_APPRAISED,
    Status.SENT_TO_MINISTRY,
    Status.MINISTRY_APPRAISED,
)
# The statuses in which a dossier is under review (returnable for revision), both tracks.
REVIEW = LOCAL_REVIEW + NATIONAL_REVIEW
# While the approved đề án is being carried out (progress reports, advances): local once approved, national once
# the contract with the Cục is signed.
IMPLEMENTING: dict[str, str] = {Track.LOCAL: Status.APPROVED, Track.NATIONAL: Status.CONTRACTED}


def implementing_status(track: str) -> str:
    """The status in which a đề án of ``track`` is carried out."""
    return str(IMPLEMENTING.get(track, Status.APPROVED))


# The role of whoever holds the open task of the current status ("the current review step").
HOLDER = "holder"
# The ministry side of the national track: the Cục in the system, or the Sở recording its decisions.
MINISTRY_SIDE = "ministry_side"


def ministry_side_role(mode: str | None = None) -> str:
    """The role that acts for the ministry side: the Cục's officer in a national deployment ("in_system"), or
    the Sở Công Thương's appraiser recording the Cục's and the Minister's decisions ("recorded", the default)."""
    if mode is None:
        from django.conf import settings

        mode = getattr(settings, "KHUYENCONG", {}).get("NATIONAL_MODE", "recorded")
    if mode not in ("recorded", "in_system"):
        raise ValueError(f"NATIONAL_MODE must be recorded or in_system, not {mode!r}")
    return str(Role.MINISTRY if mode == "in_system" else Role.APPRAISER)


class Sla(models.TextChoices):
    NONE = "none", _("Không tính hạn")
    WORKING_DAYS = "working_days", _("Ngày làm việc")
    CALENDAR_DAYS = "calendar_days", _("Ngày lịch")
    # A statutory date of the national track's calendar (settings.KHUYENCONG["NATIONAL_WINDOWS"]), by plan year.
    WINDOW = "window", _("Mốc thời hạn theo năm kế hoạch")


@dataclass(frozen=True)
class StatusRule:
    """Who acts next when a đề án enters this status, in which unit, and the default deadline."""

    task_role: str | None  # None: nobody owes an action (terminal, or the applicant's own draft)
    # "endorsing" (the đề án's commune/district), "province", "applicant" (the implementing organisation) or
    # "ministry" (the Cục's one national queue)
    task_scope: str
    sla: str = Sla.NONE
    sla_days: int = 0
    window: str = ""  # Sla.WINDOW: the name of the statutory date (NATIONAL_WINDOWS)


@dataclass(frozen=True)
class Trigger:
    name: str
    sources: tuple[str, ...]
    dest: str
    role: str
    label: StrOrPromise
    guards: tuple[str, ...] = ()
    reason_required: bool = False
    public_label: StrOrPromise = ""
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
    # The settling body sends the unit's dossier back for completion: the unit files again, from where it filed
    # (accepted, or stopped: ``extra["back_to_filing"]``, resolved by the transition service from the filing).
    Trigger("return_settlement", (S.SETTLEMENT_FILED,), S.IMPLEMENTED, HOLDER, _("Trả lại hồ sơ quyết toán"),
            reason_required=True, public_label=_("Trả lại hồ sơ quyết toán để bổ sung"),
            extra={"back_to_filing": True}),
    Trigger("return_for_revision", LOCAL_REVIEW, S.DRAFTED, HOLDER, _("Trả lại để bổ sung"),
            reason_required=True, public_label=_("Trả lại để bổ sung, hoàn thiện")),
    Trigger("reject", LOCAL_REVIEW, S.REJECTED, HOLDER, _("Không chấp thuận"),
            reason_required=True, public_label=_("Không chấp thuận")),
    Trigger("withdraw", (S.DRAFTED, S.LODGED), S.WITHDRAWN, Role.APPLICANT, _("Rút hồ sơ"),
            public_label=_("Rút hồ sơ")),
    Trigger("stop", (S.APPROVED,), S.STOPPED, Role.APPROVER, _("Dừng thực hiện"),
            reason_required=True, public_label=_("Dừng thực hiện")),
)

# The national track (domain.md §2.1; TT 36/2013 Đ6–Đ8, Đ10–Đ18 as amended by TT 17/2018). MINISTRY_SIDE is the Cục's
# officer or the Sở recording the Cục's and the Minister's decisions (settings.KHUYENCONG["NATIONAL_MODE"]).
M = MINISTRY_SIDE
NATIONAL_RULES: dict[str, StatusRule] = {
    Status.DRAFTED:            StatusRule(None, "none"),
    # The Sở appraises at base level and reports the province's registrations to the Cục by 20/6 of N-1.
    Status.REGISTERED:         StatusRule(Role.APPRAISER, "province", Sla.WINDOW, window="registration_report"),
    # The dossier goes to the Cục for the ministry appraisal by 30/9 of N-1.
    Status.BASE_APPRAISED:     StatusRule(Role.APPRAISER, "province", Sla.WINDOW, window="dossier_to_ministry"),
    Status.SENT_TO_MINISTRY:   StatusRule(M, "ministry"),      # ministry appraisal: no day count in the law
    Status.MINISTRY_APPRAISED: StatusRule(M, "ministry"),      # the Minister's decision
    Status.APPROVED:           StatusRule(M, "ministry"),      # the contract (or task assignment) with the Cục
    Status.CONTRACTED:         StatusRule(Role.APPRAISER, "province"),  # nghiệm thu cơ sở when work ends
    Status.IMPLEMENTED:        StatusRule(Role.APPLICANT, "applicant", Sla.CALENDAR_DAYS, 15),  # TT 36 Đ18.1
    Status.STOPPED:            StatusRule(Role.APPLICANT, "applicant", Sla.CALENDAR_DAYS, 15),
    # Liquidation and settlement with the Cục by 22/01 of N+1 (TT 36 Đ18.2).
    Status.SETTLEMENT_FILED:   StatusRule(M, "ministry", Sla.WINDOW, window="settlement"),
    Status.SETTLED:            StatusRule(None, "none"),
    Status.REJECTED:           StatusRule(None, "none"),
    Status.WITHDRAWN:          StatusRule(None, "none"),
}

NATIONAL_TRIGGERS: tuple[Trigger, ...] = (
    Trigger("lodge", (S.DRAFTED,), S.REGISTERED, Role.APPLICANT, _("Đăng ký với Sở Công Thương"),
            guards=("dossier_complete", "within_caps", "registration_window"),
            public_label=_("Đăng ký đề án khuyến công quốc gia"), resumes=True),
    Trigger("appraise", (S.REGISTERED,), S.BASE_APPRAISED, Role.APPRAISER, _("Thẩm định cấp cơ sở"),
            guards=("appraisal_complete",), public_label=_("Sở Công Thương thẩm định cấp cơ sở")),
    Trigger("send_to_ministry", (S.BASE_APPRAISED,), S.SENT_TO_MINISTRY, Role.APPRAISER,
            _("Gửi hồ sơ Bộ Công Thương"), guards=("letter_recorded",),
            public_label=_("Sở Công Thương gửi hồ sơ Bộ Công Thương")),
    Trigger("appraise_ministry", (S.SENT_TO_MINISTRY,), S.MINISTRY_APPRAISED, M, _("Thẩm định cấp Bộ"),
            guards=("ministry_appraisal_recorded",), public_label=_("Bộ Công Thương thẩm định")),
    Trigger("approve", (S.MINISTRY_APPRAISED,), S.APPROVED, M, _("Bộ trưởng phê duyệt"),
            guards=("decision_recorded",), public_label=_("Bộ trưởng Bộ Công Thương phê duyệt")),
    Trigger("contract", (S.APPROVED,), S.CONTRACTED, M, _("Ký hợp đồng"),
            guards=("contract_recorded",), public_label=_("Ký hợp đồng thực hiện")),
    Trigger("accept", (S.CONTRACTED,), S.IMPLEMENTED, Role.APPRAISER, _("Nghiệm thu cơ sở"),
            guards=("acceptance_recorded",), public_label=_("Nghiệm thu cơ sở")),
    Trigger("file_settlement", (S.IMPLEMENTED, S.STOPPED), S.SETTLEMENT_FILED, Role.APPLICANT,
            _("Nộp hồ sơ quyết toán"), guards=("settlement_dossier_filed",),
            public_label=_("Đơn vị nộp hồ sơ quyết toán")),
    Trigger("settle", (S.SETTLEMENT_FILED,), S.SETTLED, M, _("Thanh lý hợp đồng và quyết toán"),
            guards=("liquidation_recorded", "settled_within_dossier"),
            public_label=_("Thanh lý hợp đồng và quyết toán")),
    Trigger("return_settlement", (S.SETTLEMENT_FILED,), S.IMPLEMENTED, HOLDER, _("Trả lại hồ sơ quyết toán"),
            reason_required=True, public_label=_("Trả lại hồ sơ quyết toán để bổ sung"),
            extra={"back_to_filing": True}),
    # TT 36 Đ18.3: a unit late with its settlement dossier is settled from the acceptance minutes.
    Trigger("settle_from_minutes", (S.IMPLEMENTED,), S.SETTLED, M, _("Quyết toán theo biên bản nghiệm thu"),
            guards=("unit_late", "liquidation_recorded"),
            public_label=_("Quyết toán theo biên bản nghiệm thu")),
    Trigger("return_for_revision", NATIONAL_REVIEW, S.DRAFTED, HOLDER, _("Trả lại để bổ sung"),
            reason_required=True, public_label=_("Trả lại để bổ sung, hoàn thiện")),
    Trigger("reject", NATIONAL_REVIEW, S.REJECTED, HOLDER, _("Không chấp thuận"),
            reason_required=True, public_label=_("Không chấp thuận")),
    Trigger("withdraw", (S.DRAFTED, S.REGISTERED), S.WITHDRAWN, Role.APPLICANT, _("Rút hồ sơ"),
            public_label=_("Rút hồ sơ")),
    # The Minister stops a đề án (TT 36 Đ11): the Cục's decision, or the Sở recording it.
    Trigger("stop", (S.APPROVED, S.CONTRACTED), S.STOPPED, M, _("Dừng thực hiện"),
            reason_required=True, public_label=_("Dừng thực hiện")),
)
# fmt: on

TABLES: dict[str, tuple[dict[str, StatusRule], tuple[Trigger, ...]]] = {
    Track.LOCAL: (STATUS_RULES, TRIGGERS),
    Track.NATIONAL: (NATIONAL_RULES, NATIONAL_TRIGGERS),
}


@dataclass(frozen=True)
class Lifecycle:
    statuses: tuple[str, ...]
    triggers: dict[str, Trigger]
    rules: dict[str, StatusRule]
    endorsement_level: str
    machine: Machine = field(compare=False, repr=False)
    track: str = Track.LOCAL

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
    *,
    endorsement_level: str = "commune",
    trigger_roles: dict[str, str] | None = None,
    track: str = Track.LOCAL,
    national_mode: str = "recorded",
) -> Lifecycle:
    """Apply the configuration to a track's table and build its state machine.

    ``endorsement_level`` shapes the local track only (a national đề án is registered with the Sở directly);
    ``trigger_roles`` overrides the role of a local trigger; ``national_mode`` decides who acts for the ministry.
    """
    if endorsement_level not in ("district", "commune", "none"):
        raise ValueError(f"ENDORSEMENT_LEVEL must be district, commune or none, not {endorsement_level!r}")
    if track not in TABLES:
        raise ValueError(f"track must be one of {sorted(TABLES)}, not {track!r}")
    table_rules, table_triggers = TABLES[track]
    side = ministry_side_role(national_mode)
    no_endorsement = track == Track.LOCAL and endorsement_level == "none"
    overrides = (trigger_roles or {}) if track == Track.LOCAL else {}
    triggers: dict[str, Trigger] = {}
    for t in table_triggers:
        sources, dest = t.sources, t.dest
        if no_endorsement:
            if t.name == "district_submit":
                continue
            sources = tuple(s for s in sources if s != Status.LODGED)
            if dest == Status.LODGED:
                dest = Status.DISTRICT_SUBMITTED
        role = str(overrides.get(t.name, side if t.role == MINISTRY_SIDE else t.role))
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
    statuses = tuple(str(s) for s in table_rules if not (no_endorsement and s == Status.LODGED))
    machine = Machine(
        model=None,
        states=list(statuses),
        initial=Status.DRAFTED,
        auto_transitions=False,
        send_event=True,
    )
    for t in triggers.values():
        machine.add_transition(t.name, list(t.sources), t.dest)
    rules = {}
    for s in statuses:
        rule = table_rules[Status(s)]
        if rule.task_role == MINISTRY_SIDE:
            # In the system the Cục's queue holds the task; recorded, the Sở's appraisers' queue does.
            scope = "ministry" if side == Role.MINISTRY else "province"
            rule = StatusRule(side, scope, rule.sla, rule.sla_days, rule.window)
        rules[s] = rule
    return Lifecycle(statuses, triggers, rules, endorsement_level, machine, str(track))


@cache
def _configured(track: str, national_mode: str) -> Lifecycle:
    from django.conf import settings

    conf = getattr(settings, "KHUYENCONG", {})
    return build_lifecycle(
        endorsement_level=conf.get("ENDORSEMENT_LEVEL", "commune"),
        trigger_roles=conf.get("TRIGGER_ROLES") or {},
        track=track,
        national_mode=national_mode,
    )


def get_lifecycle(track: str = Track.LOCAL) -> Lifecycle:
    """The lifecycle of a track as configured for this deployment (built once per process, track and ministry
    mode: the mode is read at each call, so a deployment — or a test — that changes it gets the other table)."""
    from django.conf import settings

    return _configured(str(track), getattr(settings, "KHUYENCONG", {}).get("NATIONAL_MODE", "recorded"))


def lifecycle_of(proposal) -> Lifecycle:
    """The lifecycle of the đề án's track (its funding kind)."""
    return get_lifecycle(Track.NATIONAL if proposal.funding_kind == Track.NATIONAL else Track.LOCAL)


def trigger_label(name: str) -> str:
    """A trigger's label in whichever track defines it (the local one first)."""
    for track in (Track.LOCAL, Track.NATIONAL):
        t = get_lifecycle(track).triggers.get(name)
        if t is not None:
            return str(t.label)
    return name


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
