"""Every role × every trigger × in-scope and out-of-scope unit: allowed only where the lifecycle table says;
a refused attempt changes nothing."""

import pytest

from workflow.services.errors import WorkflowError
from workflow.services.transitions import fire

from .world import APPRAISAL, at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db

PEOPLE = [
    "applicant",
    "applicant_other",
    "district",
    "district_other",
    "appraiser",
    "appraiser_other",
    "head",
    "finance",
    "finance_other",
    "approver",
    "approver_other",
    "auditor",
]

# trigger, fired after (None: on a fresh draft), data, comment, the one person allowed
CASES = [
    ("lodge", None, {}, "", "applicant"),
    ("withdraw", None, {}, "", "applicant"),
    ("withdraw", "lodge", {}, "", "applicant"),
    ("district_submit", "lodge", {}, "Đề nghị hỗ trợ", "district"),
    ("return_for_revision", "lodge", {}, "Bổ sung", "district"),
    ("reject", "lodge", {}, "Không đủ điều kiện", "district"),
    ("appraise", "district_submit", APPRAISAL, "", "appraiser"),
    ("return_for_revision", "district_submit", {}, "Bổ sung", "appraiser"),
    ("reject", "district_submit", {}, "Không đạt", "appraiser"),
    ("verify_finance", "appraise", {"national_amount": 0, "local_amount": 280_000_000}, "", "finance"),
    ("return_for_revision", "appraise", {}, "Bổ sung", "finance"),
    ("reject", "appraise", {}, "Không bố trí được kinh phí", "finance"),
    ("approve", "verify_finance", {"decision_number": "9/QĐ", "decision_date": "2026-03-20"}, "", "approver"),
    ("return_for_revision", "verify_finance", {}, "Bổ sung", "approver"),
    ("reject", "verify_finance", {}, "Không phê duyệt", "approver"),
    ("accept", "approve", {"accepted_on": "2026-06-30", "results": "Đạt"}, "", "appraiser"),
    ("stop", "approve", {}, "Dừng do thiên tai", "approver"),
    # Units settle with the Sở Công Thương (TTLT 26/TT 28 Đ8.3.c), once the unit has filed its dossier.
    ("settle", "file_settlement", {"national_amount": 0, "local_amount": 200_000_000}, "", "appraiser"),
]


@pytest.mark.parametrize(
    "trigger,until,data,comment,allowed", CASES, ids=[f"{c[0]}-after-{c[1] or 'create'}" for c in CASES]
)
def test_only_the_table_role_in_scope_may_fire(trigger, until, data, comment, allowed):
    w = build_world()
    p = complete_proposal(w)
    if until:
        drive(w, p, until)
    p.refresh_from_db()
    snapshot = (
        p.status,
        p.events.count(),
        p.tasks.count(),
        p.tasks.filter(completed_at__isnull=True).count(),
    )
    for person in PEOPLE:
        if person == allowed:
            continue
        with pytest.raises(WorkflowError):
            fire(p.pk, trigger, actor=w.user(person), now=at(200), data=data, comment=comment)
        p.refresh_from_db()
        assert (
            p.status,
            p.events.count(),
            p.tasks.count(),
            p.tasks.filter(completed_at__isnull=True).count(),
        ) == snapshot, person
    event = fire(p.pk, trigger, actor=w.user(allowed), now=at(200), data=data, comment=comment)
    assert event.actor.username == allowed


def test_out_of_scope_officer_cannot_see_or_fire(django_assert_max_num_queries):
    from workflow.permissions import can_view, visible_proposals

    w = build_world()
    p = drive(w, complete_proposal(w), "lodge")
    assert can_view(w.user("district"), p)
    assert not can_view(w.user("district_other"), p)
    assert list(visible_proposals(w.user("district_other"))) == []
    assert list(visible_proposals(w.user("district"))) == [p]
    assert list(visible_proposals(w.user("applicant_other"))) == []
