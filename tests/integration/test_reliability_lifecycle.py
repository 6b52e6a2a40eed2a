"""Reliability of the lifecycle engine on PostgreSQL: races over many rounds, a connection killed mid-transaction,
10,000 random transitions that all verify, and a stateful property test over random triggers, actors and claims."""

import contextlib
import os
import random
import threading
import time

import pytest
from django.db import connection, connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from workflow.lifecycle import get_lifecycle
from workflow.models import Proposal, Task, TransitionEvent
from workflow.services import tasks as task_services
from workflow.services.audit import verify_chains
from workflow.services.errors import Conflict, WorkflowError
from workflow.services.transitions import fire

from .world import APPRAISAL, at, build_world, complete_proposal, drive, file_settlement

pytestmark = pytest.mark.slow
TARGET = int(os.environ.get("KC_RANDOM_TRANSITIONS", "10000"))

DATA = {
    "lodge": {},
    "district_submit": {},
    "appraise": APPRAISAL,
    "verify_finance": {"national_amount": 0, "local_amount": 280_000_000},
    "approve": {"decision_number": "1/QĐ", "decision_date": "2026-03-02"},
    "accept": {"accepted_on": "2026-03-02", "results": "Đạt"},
    "file_settlement": {},  # the dossier is filed through the portal service first (file_settlement)
    "settle": {"national_amount": 0, "local_amount": 200_000_000},
    "return_for_revision": {},
    "reject": {},
    "withdraw": {},
    "stop": {},
    "return_settlement": {},
}
COMMENT = {
    "district_submit": "Đề nghị",
    "return_for_revision": "Bổ sung",
    "reject": "Không đạt",
    "stop": "Dừng",
    "return_settlement": "Thiếu chứng từ",
}
HOLDERS = {
    "lodge": "applicant",
    "withdraw": "applicant",
    "district_submit": "district",
    "appraise": "appraiser",
    "accept": "appraiser",
    "verify_finance": "finance",
    "file_settlement": "applicant",
    "settle": "appraiser",
    "approve": "approver",
    "stop": "approver",
}


def at_once(actors, action):
    """``action(actor)`` for every actor at the same moment, each in its own thread (and database connection);
    the results, in the order they finished."""
    barrier = threading.Barrier(len(actors))
    results = []

    def attempt(actor):
        try:
            barrier.wait()
            results.append(action(actor))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(a,)) for a in actors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def race(users, action):
    """``at_once`` through the service: "ok" for each success, "conflict" for each conflict error."""

    def attempt(user):
        try:
            action(user)
        except Conflict:
            return "conflict"
        return "ok"

    return at_once(users, attempt)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_threads_twenty_rounds_one_winner_each():
    w = build_world()
    users = [w.user("district"), w.user("district2")] * 8
    for round_no in range(20):
        p = drive(w, complete_proposal(w, title=f"Vòng {round_no}"), "lodge")
        outcomes = race(
            users, lambda u, pk=p.pk: fire(pk, "district_submit", actor=u, now=at(1), comment="ok")
        )
        assert sorted(outcomes) == ["conflict"] * 15 + ["ok"], round_no
        assert p.events.filter(trigger="district_submit").count() == 1
        assert Task.objects.filter(proposal=p, completed_at__isnull=True).count() == 1
        task = Task.objects.get(proposal=p, completed_at__isnull=True)
        appraisers = [w.user("appraiser"), w.user("appraiser2")] * 8
        outcomes = race(appraisers, lambda u, t=task.pk: task_services.claim(t, actor=u, now=at(2)))
        task.refresh_from_db()
        assert task.assignee is not None
        assert p.events.filter(trigger="claim").count() == 1
        # The winner's repeat claims are no-ops; the other appraiser's are conflicts.
        assert outcomes.count("conflict") == 8
    assert verify_chains().ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_api_clients_twenty_rounds_one_200_and_fifteen_409():
    """The same race through the REST API: one 200 per round, every other answer a 409 (never a 5xx)."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    w = build_world()

    def clients(*names):
        out = []
        for name in names:
            client = APIClient()
            token = Token.objects.get_or_create(user=w.user(name))[0].key
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            out.append(client)
        return out * (16 // len(names))

    officers, appraisers = clients("district", "district2"), clients("appraiser", "appraiser2")
    for round_no in range(20):
        p = drive(w, complete_proposal(w, title=f"Vòng API {round_no}"), "lodge")
        url = f"/api/proposals/{p.pk}/transitions/district_submit/"
        statuses = at_once(officers, lambda c, u=url: c.post(u, {"comment": "ok"}, format="json").status_code)
        assert sorted(statuses) == [200] + [409] * 15, round_no
        assert p.events.filter(trigger="district_submit").count() == 1
        task = Task.objects.get(proposal=p, completed_at__isnull=True)
        statuses = at_once(appraisers, lambda c, t=task.pk: c.post(f"/api/tasks/{t}/claim/").status_code)
        # The winner's own repeats are no-ops (200); the other appraiser's eight are conflicts.
        assert sorted(statuses) == [200] * 8 + [409] * 8, round_no
        assert p.events.filter(trigger="claim").count() == 1
    assert verify_chains().ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_connection_terminated_mid_transaction_leaves_nothing_half_written():
    w = build_world()
    p = drive(w, complete_proposal(w), "lodge")
    before = (TransitionEvent.objects.count(), Task.objects.count())
    holding, release = threading.Event(), threading.Event()

    def hold_the_row():
        with transaction.atomic():
            Proposal.objects.select_for_update().get(pk=p.pk)
            holding.set()
            release.wait(10)
        connections.close_all()

    errors, pids = [], []

    def victim():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.append(cursor.fetchone()[0])
        try:
            fire(p.pk, "district_submit", actor=w.user("district"), now=at(1), comment="ok")
        except WorkflowError as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    holding.wait(5)
    v = threading.Thread(target=victim)
    v.start()
    for _ in range(100):  # wait until the victim is blocked on the row lock
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'",
                [pids[0]] if pids else [0],
            )
            if cursor.fetchone()[0]:
                break
        time.sleep(0.05)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pids[0]])
    v.join(10)
    release.set()
    holder.join(10)
    assert len(errors) == 1 and isinstance(errors[0], Conflict)  # a clean error for the user
    p.refresh_from_db()
    assert p.status == "lodged"
    assert (TransitionEvent.objects.count(), Task.objects.count()) == before
    fire(p.pk, "district_submit", actor=w.user("district"), now=at(2), comment="ok")  # retrying succeeds
    p.refresh_from_db()
    assert p.status == "district_submitted"


@pytest.mark.django_db
def test_ten_thousand_random_transitions_all_verify():
    w = build_world()
    rng = random.Random(20261123)
    lifecycle = get_lifecycle()
    users = {name: w.user(name) for name in set(HOLDERS.values())}
    proposals = [complete_proposal(w, title=f"Đề án {i}") for i in range(200)]
    done = 0
    attempts = 0
    while done < TARGET and attempts < 6 * TARGET:
        attempts += 1
        p = rng.choice(proposals)
        status = Proposal.objects.values_list("status", flat=True).get(pk=p.pk)
        choices = lifecycle.triggers_from(status)
        if not choices:  # finished: start a fresh one in its place
            proposals[proposals.index(p)] = complete_proposal(w, title=f"Đề án {attempts}")
            continue
        t = rng.choice(choices)
        holder = HOLDERS.get(t.name)
        if holder is None:  # return / reject: whoever holds the step
            role = Task.objects.get(proposal=p, completed_at__isnull=True).role
            holder = {
                "district_officer": "district",
                "appraiser": "appraiser",
                "finance_officer": "finance",
                "approver": "approver",
            }[role]
        if t.name == "file_settlement":  # the unit's dossier, whose submission fires the step
            file_settlement(p, users[holder], at(1), national=0, local=200_000_000, counterpart=0)
        else:
            fire(
                p.pk,
                t.name,
                actor=users[holder],
                now=at(1),
                data=DATA[t.name],
                comment=COMMENT.get(t.name, ""),
            )
        done += 1
    assert done == TARGET
    report = verify_chains()
    assert report.ok and report.events >= TARGET


class LifecycleMachine(RuleBasedStateMachine):
    """Random triggers by random people, random claims: the invariants hold after every step."""

    world = None

    def __init__(self):
        super().__init__()
        self.p = complete_proposal(self.world, title="Máy trạng thái")
        self.users = [
            self.world.user(n)
            for n in (
                "applicant",
                "applicant_other",
                "district",
                "district2",
                "district_other",
                "appraiser",
                "appraiser2",
                "head",
                "finance",
                "finance_other",
                "approver",
                "auditor",
            )
        ]
        self.expected = "drafted"

    @rule(trigger=st.sampled_from(sorted(DATA)), who=st.integers(0, 11))
    def try_trigger(self, trigger, who):
        before = self.expected
        try:
            event = fire(
                self.p.pk,
                trigger,
                actor=self.users[who],
                now=at(1),
                data=DATA[trigger],
                comment=COMMENT.get(trigger, ""),
            )
        except WorkflowError:
            assert Proposal.objects.get(pk=self.p.pk).status == before
            return
        lifecycle = get_lifecycle()
        assert lifecycle.target(trigger, before) is not None  # only legal triggers move it
        self.expected = event.to_status

    @rule(who=st.integers(0, 11))
    def try_claim(self, who):
        task = Task.objects.filter(proposal=self.p, completed_at__isnull=True).first()
        if task is None:
            return
        with contextlib.suppress(WorkflowError):
            task_services.claim(task.pk, actor=self.users[who], now=at(1))

    @invariant()
    def invariants(self):
        p = Proposal.objects.get(pk=self.p.pk)
        assert p.status == self.expected
        assert Task.objects.filter(proposal=p, completed_at__isnull=True).count() <= 1
        assert verify_chains(proposal_id=p.pk).ok
        if p.approved_amount is not None:
            assert p.approved_amount <= (p.verified_amount or 0) <= (p.recommended_amount or 0)
        if p.settled_amount is not None:
            assert p.settled_amount <= p.approved_amount


@pytest.mark.django_db
def test_stateful_random_sequences_keep_the_invariants():
    LifecycleMachine.world = build_world()
    run_state_machine_as_test(
        LifecycleMachine,
        settings=settings(
            max_examples=25, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
