"""seed_demo: ≥30 đề án with every status reached through the transition service, on today's map (Tỉnh Đồng
Nai with former Bình Phước, domain.md §8) with a history of 2024–2025 đề án in the old units; idempotent;
refused with DEBUG off unless --force."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.calendar import VN_TZ
from core.models import TWO_LEVEL_FROM, AdministrativeUnit, Organisation, User
from workflow.demo import HISTORY, NATIONALS, SPECS
from workflow.lifecycle import Status
from workflow.models import Proposal, Task, TransitionEvent
from workflow.permissions import can_view, visible_proposals
from workflow.selectors import orphan_queues
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
    assert f"{len(SPECS) + len(HISTORY) + len(NATIONALS)} đề án" in out.getvalue()
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
    assert User.objects.get(username="appraiser").unit.code == "2025-75"
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert "applicant" in out.getvalue() and "demo-password-1" in out.getvalue()
    _on_todays_map()
    _history_under_the_old_units()

    before = _counts()
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert _counts() == before
    assert "không có gì thay đổi" in again.getvalue()
    assert orphan_queues() == []


def _on_todays_map():
    """The demo of today: Tỉnh Đồng Nai's staff, commune officers who endorse, đề án in today's communes; no task
    waits where nobody works."""
    today = timezone.now().astimezone(VN_TZ).date()
    dong_nai = AdministrativeUnit.objects.get(code="2025-75")
    assert dong_nai.name == "Tỉnh Đồng Nai" and dong_nai.valid_from == TWO_LEVEL_FROM
    # The login "district" is the commune officer of the commune that Xã Đức Liễu (25417) became.
    district = User.objects.get(username="district").unit
    assert district.level == "commune" and district.is_valid_on(today) and district.parent == dong_nai
    assert district == AdministrativeUnit.objects.get(code="25417").successor
    for user in User.objects.filter(groups__name="district_officer", is_active=True):
        assert user.unit.level == "commune" and user.unit.is_valid_on(today), user
    # Applicants' organisations are addressed in today's communes.
    for org in Organisation.objects.all():
        assert org.address_unit.level == "commune" and org.address_unit.is_valid_on(today), org
    # Every đề án of today sits in today's commune of Tỉnh Đồng Nai, without a district.
    titles = [s.title for s in SPECS]
    todays = Proposal.objects.filter(title__in=titles).select_related("commune")
    assert todays.count() == len(SPECS)
    for p in todays:
        assert (p.province_id, p.district_id) == (dong_nai.pk, None), p
        assert p.commune.parent_id == dong_nai.pk and p.commune.is_valid_on(today), p
    # Their endorsements were given by today's commune officers, at their commune.
    endorsed = TransitionEvent.objects.filter(proposal__title__in=titles, trigger="district_submit")
    assert endorsed.exists()
    for event in endorsed.select_related("actor__unit", "proposal"):
        assert event.actor.unit_id == event.proposal.commune_id and event.unit_id == event.proposal.commune_id
    # No open task waits in a queue nobody can open, nor in a unit that no longer exists.
    assert orphan_queues() == []
    # The implementing units' own tasks (their settlement dossiers) are held by their organisation.
    own = Task.objects.filter(completed_at__isnull=True, unit__isnull=True)
    assert own.exists() and not own.filter(organisation__isnull=True).exists()
    assert set(own.values_list("role", flat=True)) == {"applicant"}
    open_tasks = Task.objects.filter(completed_at__isnull=True, unit__isnull=False).select_related("unit")
    assert open_tasks.exists()
    for task in open_tasks:
        assert task.unit.valid_to is None or task.unit.valid_to >= today, task
        assert task.unit.valid_from is None or task.unit.valid_from <= today, task
        assert task.unit.level != "district", task


def _history_under_the_old_units():
    """The đề án of 2024–2025, lodged before 1/7/2025 in former Bình Phước: they keep the old province, district
    and commune, were endorsed by the district officers of the day, and today's Sở of Đồng Nai sees them."""
    appraiser = User.objects.get(username="appraiser")
    visible = set(visible_proposals(appraiser).values_list("pk", flat=True))
    history = Proposal.objects.filter(title__in=[h.title for h in HISTORY]).select_related(
        "district", "province"
    )
    assert history.count() == len(HISTORY)
    for p in history:
        assert p.province.code == "70" and p.district.level == "district", p
        assert p.district.valid_to == dt.date(2025, 6, 30), p
        assert p.lodged_at is not None and p.created_at.date() < TWO_LEVEL_FROM, p
        assert can_view(appraiser, p) and p.pk in visible, p
        first_endorsement = p.events.filter(trigger="district_submit").order_by("seq").first()
        assert first_endorsement.actor.unit_id == p.district_id, p
        assert first_endorsement.created_at.astimezone(VN_TZ).date() < TWO_LEVEL_FROM, p
    statuses = sorted(history.values_list("status", flat=True))
    assert statuses.count("settled") > len(HISTORY) // 2 and "approved" in statuses
    # The one in implementation was approved by today's Sở, and its acceptance waits at Tỉnh Đồng Nai.
    ongoing = history.get(status="approved")
    approval = ongoing.events.get(trigger="approve")
    assert approval.actor == User.objects.get(username="approver")
    assert ongoing.tasks.get(completed_at__isnull=True).unit.code == "2025-75"
    # The officers of the units that ended on 30/6/2025 no longer log in.
    former = User.objects.filter(unit__valid_to=dt.date(2025, 6, 30))
    assert former.count() == 7 and not former.filter(is_active=True).exists()


def test_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())
    assert Proposal.objects.count() == 0 and not User.objects.filter(username="applicant").exists()


def test_the_demo_holds_national_de_an_at_every_national_status_decided_by_the_ministry_side(settings):
    """Khuyến công quốc gia (domain.md §2.1): one đề án at each status of the national track; the Minister's
    decisions recorded by the Sở's appraiser (the default "recorded" mode), never approved by the province."""
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "demo-password-1"
    call_command("seed_demo", stdout=StringIO())
    national = Proposal.objects.filter(funding_kind="national")
    assert set(national.values_list("status", flat=True)) == {
        "registered",
        "base_appraised",
        "sent_to_ministry",
        "ministry_appraised",
        "approved",
        "contracted",
        "implemented",
        "settlement_filed",
        "settled",
    }
    approvals = TransitionEvent.objects.filter(proposal__in=national, kind="transition", trigger="approve")
    assert approvals.exists()
    for event in approvals:
        assert (event.role, event.actor.username) == ("appraiser", "appraiser"), event
        assert event.data["decision_number"].endswith("/QĐ-BCT"), event
    assert not TransitionEvent.objects.filter(
        proposal__in=national, role__in=["approver", "finance_officer"]
    ).exists()
    # The local đề án follow the local track only.
    local = Proposal.objects.filter(funding_kind="local")
    assert not local.filter(status__in=["registered", "base_appraised", "contracted"]).exists()
    assert not TransitionEvent.objects.filter(proposal__in=local, trigger="send_to_ministry").exists()
    # Those of plan year 2026 were registered with the Sở of Bình Phước before 20/5/2025.
    for p in national.filter(plan_year=2026):
        lodged = p.events.get(kind="transition", trigger="lodge")
        assert lodged.created_at.astimezone(VN_TZ).date() <= dt.date(2025, 5, 20), p
        assert p.province.code == "70", p
