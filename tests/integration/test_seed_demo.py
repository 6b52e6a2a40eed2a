"""seed_demo: ≥30 đề án with every status reached through the transition service; idempotent; refused with
DEBUG off unless --force."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.models import AdministrativeUnit, Organisation, User
from workflow.lifecycle import Status
from workflow.models import Proposal, Task, TransitionEvent
from workflow.services.audit import verify_chains

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _counts():
    return (
        AdministrativeUnit.objects.count(),
        User.objects.count(),
        Organisation.objects.count(),
        Proposal.objects.count(),
        TransitionEvent.objects.count(),
        Task.objects.count(),
    )


def test_seed_demo_fills_every_status_and_a_second_run_adds_nothing(settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "demo-password-1"
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "33 đề án" in out.getvalue()
    assert Proposal.objects.count() >= 30
    assert set(Proposal.objects.values_list("status", flat=True)) == set(Status.values)
    # Every status was reached through the transition service: each đề án past the draft has its audit rows.
    for p in Proposal.objects.exclude(status=Status.DRAFTED, revision_round=0):
        assert p.events.filter(kind="transition").exists(), p
    assert verify_chains().ok
    assert Proposal.objects.filter(revision_round__gte=1).exists()  # returned for revision
    # Đề án under way belong to the plan year of their approval; the others to next year's plan.
    assert len(set(Proposal.objects.values_list("plan_year", flat=True))) >= 2

    for username, role in [
        ("applicant", "applicant"),
        ("district", "district_officer"),
        ("appraiser", "appraiser"),
        ("finance", "finance_officer"),
        ("approver", "approver"),
        ("auditor", "auditor"),
        ("head", "department_head"),
        ("admin", "administrator"),
    ]:
        user = User.objects.get(username=username)
        assert user.has_role(role) and user.check_password("demo-password-1"), username
        assert user.get_full_name() and user.email and user.phone
    assert User.objects.get(username="applicant").organisation is not None
    assert User.objects.get(username="district").unit.level == "district"
    assert User.objects.get(username="appraiser").unit.code == "70"
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert "applicant" in out.getvalue() and "demo-password-1" in out.getvalue()

    before = _counts()
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert _counts() == before
    assert "không có gì thay đổi" in again.getvalue()


def test_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())
    assert Proposal.objects.count() == 0 and not User.objects.filter(username="applicant").exists()
