"""``selectors.history`` (hand-written SQL, binary rows) against the ORM's TransitionEvent rows: the same rows in
the same order, every column equal, the people and units named as ``str()`` names them."""

import datetime as dt

import pytest

from workflow.models import HASHED_FIELDS, TransitionEvent
from workflow.selectors import HistoryRow, history
from workflow.services.tasks import delegate
from workflow.services.transitions import fire

from .world import at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db


def test_history_rows_equal_the_orm_events():
    w = build_world()
    p = drive(w, complete_proposal(w), "verify_finance")
    # An approval on someone's behalf (a delegation): every column takes a value somewhere.
    delegate(
        actor=w.user("approver"),
        substitute=w.user("head"),
        starts_on=dt.date(2026, 3, 20),
        ends_on=dt.date(2026, 3, 27),
        now=at(17),
    )
    fire(
        p.pk,
        "approve",
        actor=w.user("head"),
        now=at(20),
        comment="Đồng ý phê duyệt",
        data={"decision_number": "7/QĐ", "decision_date": "2026-03-20"},
    )
    from django.db import transaction

    from workflow.models import Proposal
    from workflow.services.audit import append_event

    with transaction.atomic():  # an action with no data and no actor (a system row)
        locked = Proposal.objects.select_for_update().get(pk=p.pk)
        append_event(proposal=locked, kind="action", trigger="note", actor=None, now=at(21), data={})
    rows = history(p)
    events = list(
        TransitionEvent.objects.filter(proposal=p)
        .select_related("actor", "on_behalf_of", "unit")
        .order_by("seq")
    )
    assert len(rows) == len(events) >= 5
    assert all(isinstance(r, HistoryRow) for r in rows)
    for row, e in zip(rows, events, strict=True):
        # Every hashed column a history shows (all but the đề án's id and the address), and the hash.
        for name in [f for f in HASHED_FIELDS if f not in ("proposal_id", "ip")] + ["hash"]:
            assert getattr(row, name) == getattr(e, name), (e.seq, name)
        assert row.pk == row.id == e.pk
        assert row.actor == (str(e.actor) if e.actor else None)
        assert row.on_behalf_of == (str(e.on_behalf_of) if e.on_behalf_of else None)
        assert row.unit == (str(e.unit) if e.unit else None)
        assert row.get_kind_display() == e.get_kind_display()
        assert row.created_at.tzinfo is not None
    assert any(r.data for r in rows) and any(not r.data for r in rows)  # decoded JSON, and {} for empty
    assert any(r.unit for r in rows) and any(r.comment for r in rows)
    approval = next(r for r in rows if r.trigger == "approve")
    assert approval.on_behalf_of == str(w.user("approver")) and approval.actor == str(w.user("head"))
    assert rows[-1].actor is None and rows[-1].data == {}


def test_verification_reads_the_rows_the_orm_reads():
    """verify_audit's binary read (workflow.services.audit._rows) gives exactly the ORM's values, addresses of
    every form included; a changed row is still caught."""
    from django.db import connection

    from workflow.services.audit import _rows, verify_chains

    w = build_world()
    p = complete_proposal(w)
    fire(p.pk, "lodge", actor=w.user("applicant"), now=at(0), ip="10.0.0.1")
    fire(p.pk, "withdraw", actor=w.user("applicant"), now=at(1), ip="2001:db8::1", comment="Rút hồ sơ")
    from django.db import transaction

    from workflow.models import Proposal
    from workflow.services.audit import append_event

    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=p.pk)
        for ip in ("::ffff:1.2.3.4", "192.168.1.20", None):
            append_event(
                proposal=locked,
                kind="action",
                trigger="note",
                actor=None,
                now=at(5),
                data={"nested": {"số tiền": 1_000_000, "list": [1, "hai"]}, "empty": {}},
                ip=ip,
            )
    qs = TransitionEvent.objects.filter(proposal=p)
    expected = list(qs.order_by("proposal_id", "seq").values_list("id", *HASHED_FIELDS, "hash"))
    assert list(_rows(qs, 2)) == expected
    assert {row[HASHED_FIELDS.index("ip") + 1] for row in expected} >= {
        "::ffff:1.2.3.4",
        "192.168.1.20",
        None,
    }
    assert verify_chains(workers=1).ok
    with connection.cursor() as cursor:  # the trigger refuses UPDATE: disable it for this one tampering
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE workflow_transitionevent DISABLE TRIGGER workflow_transitionevent_no_change"
        )
        cursor.execute(
            "UPDATE workflow_transitionevent SET ip = '192.168.1.21' WHERE proposal_id = %s AND ip = '192.168.1.20'",
            [p.pk],
        )
        cursor.execute(
            "ALTER TABLE workflow_transitionevent ENABLE TRIGGER workflow_transitionevent_no_change"
        )
    report = verify_chains(workers=1)
    assert not report.ok and report.problem == "row content does not match its hash"
