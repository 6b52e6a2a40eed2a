import pytest
from django.core.management import CommandError, call_command

from core.models import User
from workflow.lifecycle import Status
from workflow.models import Proposal, Task, TransitionEvent
from workflow.services.audit import verify_chains

pytestmark = pytest.mark.django_db


def test_seed_demo_covers_every_status_and_is_idempotent(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "applicant" in out and "khuyencong-demo" in out
    assert Proposal.objects.count() == 32
    assert set(Proposal.objects.values_list("status", flat=True)) == set(Status.values)
    assert Proposal.objects.filter(status="drafted", revision_round=1).count() == 2  # returned for revision
    assert Task.objects.filter(completed_at__isnull=True, due_at__isnull=False).exists()
    assert len(set(Proposal.objects.values_list("content_type", flat=True))) >= 7
    for username in ("applicant", "district", "appraiser", "finance", "approver", "auditor", "admin", "head"):
        assert User.objects.get(username=username).check_password("khuyencong-demo")
    assert verify_chains().ok
    counts = (Proposal.objects.count(), TransitionEvent.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert "nothing changed" in capsys.readouterr().out
    assert (Proposal.objects.count(), TransitionEvent.objects.count(), User.objects.count()) == counts


def test_seed_demo_refused_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert Proposal.objects.count() == 0
