"""Tasks (claim, release, reassign, delegation), deadlines across Tết, and the audit chain on PostgreSQL."""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections

from core.calendar import VN_TZ
from workflow.models import Task, TransitionEvent
from workflow.services import tasks as task_services
from workflow.services.audit import verify_chains
from workflow.services.errors import Conflict, GuardFailed, NotFound, NotPermitted
from workflow.services.transitions import fire

from .world import at, build_world, complete_proposal, drive


@pytest.fixture
def w(db):
    return build_world()


def tamper(sql: str, event_id: int) -> None:
    """What a superuser can do: switch the audit table's trigger off, change a row, switch it back on."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE workflow_transitionevent DISABLE TRIGGER workflow_transitionevent_no_change"
        )
        cursor.execute(sql, [event_id])
        cursor.execute(
            "ALTER TABLE workflow_transitionevent ENABLE TRIGGER workflow_transitionevent_no_change"
        )


def test_appraisal_due_date_across_tet_2027(w):
    p = complete_proposal(w)
    fire(p.pk, "lodge", actor=w.user("applicant"), now=dt.datetime(2027, 1, 28, 10, tzinfo=VN_TZ))
    fire(
        p.pk,
        "district_submit",
        actor=w.user("district"),
        now=dt.datetime(2027, 2, 2, 9, tzinfo=VN_TZ),
        comment="Đề nghị thẩm định",
    )
    task = Task.objects.get(proposal=p, completed_at__isnull=True)
    # 15 working days from 2/2/2027 skip the Tết holidays of 4–10/2/2027 (journeys.md §7).
    assert task.due_at == dt.datetime(2027, 3, 2, 17, 0, tzinfo=VN_TZ)


def test_sla_edited_in_admin_applies_to_new_tasks(w):
    from workflow.models import SlaPolicy

    before = drive(w, complete_proposal(w), "lodge")  # the process now holds its copy of the policies
    policy = SlaPolicy.objects.get(status="lodged")
    assert before.tasks.get().due_at != dt.datetime(2026, 3, 16, 17, 0, tzinfo=VN_TZ)
    policy.days = 10
    policy.save()  # as the admin saves it: the copy is dropped
    p = drive(w, complete_proposal(w), "lodge")
    assert p.tasks.get().due_at == dt.datetime(2026, 3, 16, 17, 0, tzinfo=VN_TZ)


def test_claim_release_reassign_are_audited(w):
    p = drive(w, complete_proposal(w), "lodge")
    task = p.tasks.get()
    task_services.claim(task.pk, actor=w.user("district"), now=at(1))
    with pytest.raises(Conflict, match="district đã nhận"):
        task_services.claim(task.pk, actor=w.user("district2"), now=at(1))
    with pytest.raises(NotFound):  # another district's task: not even told that it exists
        task_services.claim(task.pk, actor=w.user("district_other"), now=at(1))
    with pytest.raises(NotPermitted):
        task_services.release(task.pk, actor=w.user("district2"), now=at(1))
    task_services.release(task.pk, actor=w.user("district"), now=at(2))
    task.refresh_from_db()
    assert task.assignee_id is None
    actions = list(p.events.filter(kind="action").values_list("trigger", "actor__username", "data"))
    assert actions[1:] == [
        ("claim", "district", {"task": task.pk, "assignee": w.user("district").pk}),
        ("release", "district", {"task": task.pk, "previous_assignee": w.user("district").pk}),
    ]


def test_unit_head_reassigns_within_the_unit(w):
    p = drive(w, complete_proposal(w), "district_submit")
    task = p.tasks.get(completed_at__isnull=True)
    with pytest.raises(NotPermitted):
        task_services.reassign(task.pk, actor=w.user("appraiser"), assignee=w.user("appraiser2"), now=at(3))
    with pytest.raises(GuardFailed):
        task_services.reassign(task.pk, actor=w.user("head"), assignee=w.user("finance"), now=at(3))
    task_services.reassign(task.pk, actor=w.user("head"), assignee=w.user("appraiser2"), now=at(3))
    task.refresh_from_db()
    assert task.assignee.username == "appraiser2"
    from notifications.models import Outbox

    assert list(
        Outbox.objects.filter(template="task.assigned")
        .order_by("recipient__username", "channel")
        .values_list("recipient__username", "channel")
    ) == [("appraiser2", "email")]
    assert p.events.filter(trigger="reassign", actor__username="head").count() == 1


def test_delegation_is_recorded_as_on_behalf_of(w):
    p = drive(w, complete_proposal(w), "verify_finance")
    head = w.user("head")
    with pytest.raises(NotPermitted):
        fire(
            p.pk,
            "approve",
            actor=head,
            now=at(20),
            data={"decision_number": "7/QĐ", "decision_date": "2026-03-20"},
        )
    task_services.delegate(
        actor=w.user("approver"),
        substitute=head,
        starts_on=dt.date(2026, 3, 20),
        ends_on=dt.date(2026, 3, 27),
        now=at(17),
    )
    event = fire(
        p.pk,
        "approve",
        actor=w.user("head"),
        now=at(20),
        data={"decision_number": "7/QĐ", "decision_date": "2026-03-20"},
    )
    assert (event.actor.username, event.on_behalf_of.username, event.role) == ("head", "approver", "approver")
    assert Task.objects.get(proposal=p, status="finance_verified").completed_by.username == "approver"
    system = TransitionEvent.objects.get(proposal__isnull=True)
    assert (system.trigger, system.actor.username, system.seq) == ("delegate", "approver", 1)
    # Outside the date range the delegation gives nothing.
    p2 = drive(w, complete_proposal(w, title="Đề án thứ hai"), "verify_finance")
    with pytest.raises(NotPermitted):
        fire(
            p2.pk,
            "approve",
            actor=w.user("head"),
            now=at(40),
            data={"decision_number": "8/QĐ", "decision_date": "2026-04-10"},
        )


def test_verify_audit_intact_then_names_the_altered_row(w, capsys):
    p = drive(w, complete_proposal(w), "approve")
    drive(w, complete_proposal(w, title="Khác"), "lodge")
    call_command("verify_audit")
    assert "Audit chains intact" in capsys.readouterr().out
    target = TransitionEvent.objects.get(proposal=p, seq=3)
    tamper("UPDATE workflow_transitionevent SET comment = comment || 'x' WHERE id = %s", target.pk)
    with pytest.raises(Exception) as exc:
        call_command("verify_audit")
    assert f"proposal={p.pk} seq=3 row id={target.pk}" in str(exc.value)


def test_verify_audit_names_a_deleted_row(w):
    p = drive(w, complete_proposal(w), "appraise")
    victim = TransitionEvent.objects.get(proposal=p, seq=2)
    after = TransitionEvent.objects.get(proposal=p, seq=3)
    tamper("DELETE FROM workflow_transitionevent WHERE id = %s", victim.pk)
    with pytest.raises(Exception) as exc:
        call_command("verify_audit")
    assert f"proposal={p.pk} seq=3 row id={after.pk}" in str(exc.value)


def test_postgresql_refuses_update_and_delete_of_audit_rows(w):
    from django.db import transaction
    from django.db.utils import DatabaseError

    p = drive(w, complete_proposal(w), "lodge")
    for sql in (
        "UPDATE workflow_transitionevent SET comment = 'sửa' WHERE proposal_id = %s",
        "DELETE FROM workflow_transitionevent WHERE proposal_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [p.pk])
    assert p.events.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_race_exactly_one_wins_each_round():
    w = build_world()
    for round_no in range(3):
        p = drive(w, complete_proposal(w, title=f"Vòng {round_no}"), "lodge")
        users = [w.user("district"), w.user("district2")] * 4
        outcomes = race(
            users, lambda user, pk=p.pk: fire(pk, "district_submit", actor=user, now=at(1), comment="Đề nghị")
        )
        assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
        assert p.events.filter(trigger="district_submit").count() == 1
        assert p.tasks.filter(completed_at__isnull=True).count() == 1
        p.refresh_from_db()
        assert p.status == "district_submitted"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_race_eight_claims_one_holder():
    w = build_world()
    p = drive(w, complete_proposal(w), "lodge")
    task = p.tasks.get()
    users = [w.user("district"), w.user("district2")] * 4
    outcomes = race(users, lambda user: task_services.claim(task.pk, actor=user, now=at(1)))
    # The winner's own repeat claims are no-ops; the other officer always gets the conflict.
    task.refresh_from_db()
    assert outcomes.count("conflict") == 4
    assert p.events.filter(trigger="claim").count() == 1


def race(users, action) -> list[str]:
    """Run ``action(user)`` in one thread per user, all released at once; 'ok' or 'conflict' per thread."""
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []

    def attempt(user):
        try:
            barrier.wait()
            action(user)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_verify_audit_in_parallel_gives_the_single_pass_report():
    """``manage.py verify_audit`` splits the đề án between processes; its report, intact or broken, is the one a
    single pass gives: the same counts, the same first broken row (in a later range, with rows before it)."""
    w = build_world()
    drive(w, complete_proposal(w, title="Một"), "approve")
    drive(w, complete_proposal(w, title="Hai"), "appraise")
    last = drive(w, complete_proposal(w, title="Ba"), "approve")
    task_services.delegate(
        actor=w.user("appraiser"),
        substitute=w.user("appraiser2"),
        starts_on=at().date(),
        ends_on=at(5).date(),
        now=at(),
    )  # an event of the chain with no đề án
    single = verify_chains()
    assert single.ok and single.chains == 4
    assert verify_chains(workers=2) == single
    assert verify_chains(workers=3) == single

    target = TransitionEvent.objects.get(proposal=last, seq=4)
    tamper("UPDATE workflow_transitionevent SET comment = comment || 'x' WHERE id = %s", target.pk)
    broken = verify_chains()
    assert (broken.ok, broken.broken_proposal, broken.broken_seq, broken.broken_id) == (
        False,
        last.pk,
        4,
        target.pk,
    )
    assert verify_chains(workers=2) == broken
    with pytest.raises(Exception) as exc:
        call_command("verify_audit", workers=2)
    assert f"proposal={last.pk} seq=4 row id={target.pk}" in str(exc.value)
