"""Each database constraint of the core and workflow models refuses a bad row on PostgreSQL."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from core.models import AdministrativeUnit, CalendarOverride
from tests.factories import (
    FIXED_NOW,
    AttachmentFactory,
    BudgetLineFactory,
    CommuneFactory,
    DistrictFactory,
    OrganisationFactory,
    ProposalFactory,
    ProvinceFactory,
    UserFactory,
    WorkItemFactory,
)
from workflow.models import (
    Acceptance,
    Advance,
    Appraisal,
    Approval,
    ApprovalDecision,
    AttachmentRequirement,
    Delegation,
    FinanceVerification,
    ProgressReport,
    Proposal,
    Settlement,
    SlaPolicy,
    SupportCap,
    Task,
    TransitionEvent,
)

pytestmark = pytest.mark.django_db
D = dt.date
LATER = FIXED_NOW + dt.timedelta(days=1)


def refused(constraint: str):
    """The statement in the block fails with an IntegrityError naming ``constraint``."""
    return pytest.raises(IntegrityError, match=constraint)


@pytest.fixture
def p():
    return ProposalFactory()


@pytest.fixture
def user():
    return UserFactory()


# --- core ------------------------------------------------------------------------------------------------


def test_unit_validity_ordered():
    with refused("unit_validity_ordered"), transaction.atomic():
        ProvinceFactory(code="99", valid_from=D(2025, 7, 1), valid_to=D(2025, 6, 30))


def test_unit_has_parent_unless_province():
    with refused("unit_has_parent"), transaction.atomic():
        AdministrativeUnit.objects.create(code="999", name="Huyện mồ côi", level="district")


def test_unit_code_unique():
    DistrictFactory(code="696")
    with refused("code"), transaction.atomic():
        DistrictFactory(code="696")


def test_organisation_tax_code_unique():
    OrganisationFactory(tax_code="3800123456")
    with refused("tax_code"), transaction.atomic():
        OrganisationFactory(tax_code="3800123456")


def test_calendar_override_one_per_date():
    CalendarOverride.objects.create(date=D(2027, 2, 11), kind="day_off", reason="Nghỉ thêm")
    with refused("date"), transaction.atomic():
        CalendarOverride.objects.create(date=D(2027, 2, 11), kind="working_day", reason="Làm bù")


# --- đề án, work items, budget lines ---------------------------------------------------------------------


def test_duplicate_tracking_code():
    ProposalFactory(tracking_code="KC2026-000001")
    with refused("tracking_code"), transaction.atomic():
        ProposalFactory(tracking_code="KC2026-000001")


def test_plan_year_range():
    with refused("proposal_plan_year"), transaction.atomic():
        ProposalFactory(plan_year=1999)


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"recommended_amount": -1}, "proposal_recommended_ge0"),
        ({"recommended_amount": 100, "verified_amount": 101}, "proposal_verified_le_recommended"),
        ({"recommended_amount": 100, "verified_amount": -1}, "proposal_verified_le_recommended"),
        (
            {"recommended_amount": 100, "verified_amount": 100, "approved_amount": 101},
            "proposal_approved_le_verified",
        ),
        (
            {
                "recommended_amount": 100,
                "verified_amount": 100,
                "approved_amount": 100,
                "advanced_amount": 101,
            },
            "proposal_advanced_le_approved",
        ),
        ({"advanced_amount": -1}, "proposal_advanced_le_approved"),
        (
            {
                "recommended_amount": 100,
                "verified_amount": 100,
                "approved_amount": 100,
                "settled_amount": 101,
            },
            "proposal_settled_le_approved",
        ),
    ],
)
def test_proposal_amount_chain(p, fields, constraint):
    with refused(constraint), transaction.atomic():
        Proposal.objects.filter(pk=p.pk).update(**fields)


def test_the_amount_chain_accepts_equal_amounts(p):
    Proposal.objects.filter(pk=p.pk).update(
        recommended_amount=100,
        verified_amount=100,
        approved_amount=100,
        advanced_amount=70,
        settled_amount=100,
    )


def test_work_item_end_before_start(p):
    with refused("work_item_dates_ordered"), transaction.atomic():
        WorkItemFactory(proposal=p, starts_on=D(2026, 6, 1), ends_on=D(2026, 5, 31))
    WorkItemFactory(proposal=p, starts_on=D(2026, 6, 1), ends_on=D(2026, 6, 1))


@pytest.mark.parametrize("field", ["national_amount", "local_amount", "counterpart_amount", "unit_price"])
def test_negative_budget_amounts(p, field):
    with refused("budget_line_amounts_ge0"), transaction.atomic():
        BudgetLineFactory(proposal=p, **{field: -1})


@pytest.mark.parametrize("quantity", [0, -1])
def test_budget_quantity_positive(p, quantity):
    with refused("budget_line_quantity_gt0"), transaction.atomic():
        BudgetLineFactory(proposal=p, quantity=quantity)


# --- configuration ---------------------------------------------------------------------------------------


def test_attachment_requirement_unique():
    AttachmentRequirement.objects.get_or_create(content_type="machinery", kind="quote")
    with refused("attachment_requirement_unique"), transaction.atomic():
        AttachmentRequirement.objects.create(content_type="machinery", kind="quote")


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"percent_cap": 101}, "cap_percent_le_100"),
        ({"max_amount": -1}, "cap_max_ge0"),
        ({"priority_multiplier_percent": 99}, "cap_multiplier_ge_100"),
    ],
)
def test_support_cap_checks(fields, constraint):
    with refused(constraint), transaction.atomic():
        SupportCap.objects.create(
            content_type="machinery", regulation="Thử", effective_from=D(2026, 1, 1), **fields
        )


def test_sla_policy_one_per_status():
    SlaPolicy.objects.get_or_create(status="lodged", defaults={"kind": "working_days", "days": 5})
    with refused("status"), transaction.atomic():
        SlaPolicy.objects.create(status="lodged", kind="working_days", days=3)


# --- steps -----------------------------------------------------------------------------------------------


def _appraisal(p, user, **fields):
    values = {
        "revision_round": 0,
        "verdict": "pass",
        "opinion_policy_fit": "Phù hợp",
        "opinion_objectives_budget": "Hợp lý",
        "opinion_capacity": "Đủ",
        "opinion_integration": "Không",
        "opinion_dossier": "Đủ",
        "recommended_amount": 280_000_000,
        "appraiser": user,
        "created_at": FIXED_NOW,
    }
    return Appraisal.objects.create(proposal=p, **(values | fields))


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"recommended_amount": -1}, "appraisal_amount_ge0"),
        ({"score": 101}, "appraisal_score_le100"),
    ],
)
def test_appraisal_checks(p, user, fields, constraint):
    with refused(constraint), transaction.atomic():
        _appraisal(p, user, **fields)


def test_finance_verification_amounts(p, user):
    with refused("verification_amounts_ge0"), transaction.atomic():
        FinanceVerification.objects.create(
            proposal=p, national_amount=-1, local_amount=0, officer=user, created_at=FIXED_NOW
        )


def test_approval_decision_number_unique_and_one_approval_per_proposal(p, user):
    decision = ApprovalDecision.objects.create(
        number="123/QĐ-UBND", signed_on=D(2026, 3, 20), signer=user, created_at=FIXED_NOW
    )
    with refused("number"), transaction.atomic():
        ApprovalDecision.objects.create(
            number="123/QĐ-UBND", signed_on=D(2026, 3, 21), signer=user, created_at=FIXED_NOW
        )
    with refused("approval_amount_ge0"), transaction.atomic():
        Approval.objects.create(decision=decision, proposal=p, amount=-1)
    Approval.objects.create(decision=decision, proposal=p, amount=280_000_000)
    with refused("proposal_id"), transaction.atomic():
        Approval.objects.create(decision=decision, proposal=p, amount=1)


def test_progress_report_one_per_month_and_percent(p, user):
    ProgressReport.objects.create(
        proposal=p,
        period=D(2026, 4, 1),
        percent_complete=30,
        summary="Đã mua máy",
        submitted_by=user,
        submitted_at=FIXED_NOW,
    )
    with refused("one_report_per_month"), transaction.atomic():
        ProgressReport.objects.create(
            proposal=p,
            period=D(2026, 4, 1),
            percent_complete=40,
            summary="Lắp đặt",
            submitted_by=user,
            submitted_at=FIXED_NOW,
        )
    with refused("report_percent_le100"), transaction.atomic():
        ProgressReport.objects.create(
            proposal=p,
            period=D(2026, 5, 1),
            percent_complete=101,
            summary="Xong",
            submitted_by=user,
            submitted_at=FIXED_NOW,
        )


@pytest.mark.parametrize("amount", [0, -1])
def test_advance_amount_positive(p, user, amount):
    with refused("advance_amount_gt0"), transaction.atomic():
        Advance.objects.create(proposal=p, amount=amount, requested_by=user, requested_at=FIXED_NOW)


def test_acceptance_settlement_due_after_acceptance(p, user):
    with refused("acceptance_due_after"), transaction.atomic():
        Acceptance.objects.create(
            proposal=p,
            accepted_on=D(2026, 6, 30),
            results="Đạt",
            settlement_due_on=D(2026, 6, 29),
            recorded_by=user,
            created_at=FIXED_NOW,
        )


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"national_amount": -1}, "settlement_amounts_ge0"),
        ({"counterpart_amount": -1}, "settlement_amounts_ge0"),
        ({"refund_amount": 1, "payable_amount": 1}, "settlement_refund_or_payable"),
    ],
)
def test_settlement_checks(p, user, fields, constraint):
    values = {
        "national_amount": 0,
        "local_amount": 275_000_000,
        "advanced_amount": 196_000_000,
        "refund_amount": 0,
        "payable_amount": 79_000_000,
        "officer": user,
        "created_at": FIXED_NOW,
    }
    with refused(constraint), transaction.atomic():
        Settlement.objects.create(proposal=p, **(values | fields))


# --- tasks, delegation, audit ----------------------------------------------------------------------------


def _task(p, **fields):
    values = {"status": "lodged", "role": "district_officer", "unit": p.district, "created_at": FIXED_NOW}
    return Task.objects.create(proposal=p, **(values | fields))


def test_two_open_tasks_for_one_proposal(p):
    _task(p)
    with refused("one_open_task_per_proposal"), transaction.atomic():
        _task(p, status="district_submitted", role="appraiser", unit=p.province)


def test_a_closed_task_and_an_open_one_are_fine(p, user):
    _task(p, completed_at=LATER, completed_by=user, outcome="district_submit")
    _task(p, status="district_submitted", role="appraiser", unit=p.province)


def test_task_completed_before_created(p, user):
    with refused("task_completed_after_created"), transaction.atomic():
        _task(p, completed_at=FIXED_NOW - dt.timedelta(minutes=1), completed_by=user)


def test_delegation_checks(user):
    other = UserFactory()
    with refused("delegation_dates_ordered"), transaction.atomic():
        Delegation.objects.create(
            delegator=user,
            substitute=other,
            starts_on=D(2026, 3, 10),
            ends_on=D(2026, 3, 9),
            created_at=FIXED_NOW,
        )
    with refused("delegation_not_self"), transaction.atomic():
        Delegation.objects.create(
            delegator=user,
            substitute=user,
            starts_on=D(2026, 3, 10),
            ends_on=D(2026, 3, 12),
            created_at=FIXED_NOW,
        )


def _event(p, seq, hash_):
    return TransitionEvent.objects.create(
        proposal=p,
        seq=seq,
        kind="action",
        trigger="create",
        from_status="",
        to_status="drafted",
        created_at=FIXED_NOW,
        prev_hash="0" * 64,
        hash=hash_,
    )


def test_duplicate_event_seq(p):
    _event(p, 1, "a" * 64)
    with refused("event_seq_unique"), transaction.atomic():
        _event(p, 1, "b" * 64)
    with refused("hash"), transaction.atomic():
        _event(p, 2, "a" * 64)


def test_duplicate_system_event_seq():
    _event(None, 1, "c" * 64)
    with refused("event_system_seq_unique"), transaction.atomic():
        _event(None, 1, "d" * 64)


def test_factories_build_valid_rows():
    commune = CommuneFactory()
    assert commune.parent.level == "district" and commune.parent.parent.level == "province"
    u = UserFactory(roles=["appraiser", "auditor"])
    assert u.role_names == {"appraiser", "auditor"} and u.check_password("khuyencong-test")
    p = ProposalFactory()
    assert (p.province, p.district) == (p.commune.parent.parent, p.commune.parent)
    line = BudgetLineFactory(proposal=p)
    assert (line.support, line.total) == (300_000_000, 620_000_000)
    attachment = AttachmentFactory(proposal=p)
    with attachment.file.open("rb") as f:
        assert f.read().startswith(b"%PDF")
    assert attachment.uploaded_by == p.created_by
