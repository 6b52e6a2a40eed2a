"""Settlement as the law has it (domain.md §6.3, TT 36/2013 Đ18, TTLT 26/TT 28 Đ8.3.c):

* after acceptance the settlement dossier is the implementing unit's own task, due 15 days after the
  acceptance, in its portal and its reminders — not a deadline on an officer's task;
* the unit files the dossier (spending per source, vouchers adding up to each); that fires ``file_settlement``;
* units settle with the Sở Công Thương (not the Sở Tài chính): the settlement never exceeds, per source, what the
  vouchers show, nor the approved amount;
* advances above the settled amount are a refund, owed until the Sở records it paid back.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from core.calendar import VN_TZ
from notifications.models import Outbox
from workflow.models import Settlement, Task, TransitionEvent
from workflow.reminders import run_sweep
from workflow.selectors import TaskFilters, task_page
from workflow.services.errors import Conflict, GuardFailed, NotAllowedFromStatus, NotPermitted
from workflow.services.implementation import decide_advance, record_refund, refunds_owed, request_advance
from workflow.services.transitions import fire

from .world import at, build_world, complete_proposal, drive, file_settlement

pytestmark = pytest.mark.django_db


def vn(y, m, d, h=9):
    return dt.datetime(y, m, d, h, tzinfo=VN_TZ)


@pytest.fixture
def w():
    return build_world()


@pytest.fixture
def accepted(w):
    """Approved for 280.000.000, advanced 196.000.000 (70 %), accepted on 30/6/2026 (a Tuesday)."""
    p = drive(w, complete_proposal(w), "approve")
    advance = request_advance(p.pk, actor=w.user("applicant"), now=at(20), amount=196_000_000)
    decide_advance(advance.pk, actor=w.user("finance"), now=at(21), pay=True)
    fire(
        p.pk,
        "accept",
        actor=w.user("appraiser"),
        now=vn(2026, 6, 30, 10),
        data={"accepted_on": "2026-06-30", "results": "Đạt công suất"},
    )
    p.refresh_from_db()
    return p


def test_after_acceptance_the_dossier_is_the_units_own_task_due_in_15_days(w, accepted):
    task = Task.objects.get(proposal=accepted, completed_at__isnull=True)
    assert (task.status, task.role, task.unit_id, task.organisation_id) == (
        "implemented",
        "applicant",
        None,
        w.org.pk,
    )
    assert task.due_at == vn(2026, 7, 15, 17)
    # No officer's box holds it.
    for name in ("appraiser", "finance", "head", "district"):
        for box in ("inbox", "queue"):
            rows = task_page(w.user(name), box, now=vn(2026, 7, 1), filters=TaskFilters()).rows
            assert accepted.pk not in {r.proposal_id for r in rows}, (name, box)
    # The unit sees its deadline on its đề án page in the portal.
    client = Client()
    client.force_login(w.user("applicant"))
    page = client.get(f"/don-vi/{accepted.pk}/").content.decode()
    assert "15/07/2026" in page


def test_the_units_reminders_go_to_its_people_and_late_ones_to_the_head_of_the_so(w, accepted):
    run_sweep(now=vn(2026, 7, 13, 8))  # Monday: 2 working days before the 15th
    soon = Outbox.objects.filter(template="task.due_soon", context__proposal=accepted.pk)
    assert set(soon.values_list("recipient__username", flat=True)) == {"applicant"}
    run_sweep(now=vn(2026, 7, 16, 8))  # overdue: the unit again
    late = Outbox.objects.filter(template="task.overdue", context__proposal=accepted.pk)
    assert set(late.values_list("recipient__username", flat=True)) == {"applicant"}
    run_sweep(now=vn(2026, 7, 21, 8))  # 3 working days after the overdue notice: the Sở's head
    escalated = Outbox.objects.filter(template="task.escalated", context__proposal=accepted.pk)
    assert set(escalated.values_list("recipient__username", flat=True)) == {"head"}
    assert escalated.first().context["unit"] == w.org.name


def test_the_finance_officer_no_longer_settles_and_the_so_cong_thuong_does(w, accepted):
    file_settlement(
        accepted, w.user("applicant"), vn(2026, 7, 10), national=0, local=150_000_000, counterpart=0
    )
    accepted.refresh_from_db()
    assert accepted.status == "settlement_filed"
    task = Task.objects.get(proposal=accepted, completed_at__isnull=True)
    assert (task.role, task.unit_id) == ("appraiser", w.province.pk)
    # The unit hears its dossier was received; the Sở Công Thương's queue hears a settlement waits.
    told = Outbox.objects.filter(context__proposal=accepted.pk)
    assert set(
        told.filter(template="proposal.file_settlement").values_list("recipient__username", flat=True)
    ) == {"applicant"}
    waiting = told.filter(template="task.waiting", context__task=task.pk)
    assert set(waiting.values_list("recipient__username", flat=True)) == {
        "appraiser",
        "appraiser2",
    }
    from notifications.models import MessageTemplate

    assert MessageTemplate.objects.filter(code="proposal.file_settlement").exists()
    filed = TransitionEvent.objects.get(proposal=accepted, trigger="file_settlement")
    assert (filed.actor.username, filed.role, filed.data["local_spent"], filed.data["late"]) == (
        "applicant",
        "applicant",
        150_000_000,
        False,
    )
    data = {"national_amount": 0, "local_amount": 150_000_000}
    with pytest.raises(NotPermitted):
        fire(accepted.pk, "settle", actor=w.user("finance"), now=vn(2026, 7, 20), data=data)
    fire(accepted.pk, "settle", actor=w.user("appraiser"), now=vn(2026, 7, 20), data=data)
    s = Settlement.objects.get(proposal=accepted)
    assert (s.national_amount, s.local_amount, s.advanced_amount, s.refund_amount, s.payable_amount) == (
        0,
        150_000_000,
        196_000_000,
        46_000_000,
        0,
    )


def test_a_refund_is_owed_until_the_so_records_it_paid_back(w, accepted):
    file_settlement(
        accepted, w.user("applicant"), vn(2026, 7, 10), national=0, local=150_000_000, counterpart=0
    )
    fire(
        accepted.pk,
        "settle",
        actor=w.user("appraiser"),
        now=vn(2026, 7, 20),
        data={"national_amount": 0, "local_amount": 150_000_000},
    )
    from workflow.models import Proposal

    owed = refunds_owed(Proposal.objects.all())
    assert [(s.proposal_id, s.refund_amount) for s in owed] == [(accepted.pk, 46_000_000)]
    with pytest.raises(NotPermitted):
        record_refund(
            accepted.pk,
            actor=w.user("finance"),
            now=vn(2026, 8, 3),
            paid_on=dt.date(2026, 8, 1),
            receipt="GNT 12",
        )
    with pytest.raises(GuardFailed, match="số chứng từ"):
        record_refund(
            accepted.pk,
            actor=w.user("appraiser"),
            now=vn(2026, 8, 3),
            paid_on=dt.date(2026, 8, 1),
            receipt=" ",
        )
    record_refund(
        accepted.pk,
        actor=w.user("appraiser"),
        now=vn(2026, 8, 3),
        paid_on=dt.date(2026, 8, 1),
        receipt="GNT 12",
    )
    assert list(refunds_owed(Proposal.objects.all())) == []
    row = TransitionEvent.objects.get(proposal=accepted, trigger="refund_paid")
    assert (row.kind, row.actor.username, row.data) == (
        "action",
        "appraiser",
        {"amount": 46_000_000, "paid_on": "2026-08-01", "receipt": "GNT 12"},
    )
    with pytest.raises(Conflict):
        record_refund(
            accepted.pk,
            actor=w.user("appraiser"),
            now=vn(2026, 8, 4),
            paid_on=dt.date(2026, 8, 1),
            receipt="GNT 13",
        )


def test_a_dossier_filed_late_is_marked_late(w, accepted):
    file_settlement(
        accepted, w.user("applicant"), vn(2026, 7, 20), national=0, local=150_000_000, counterpart=0
    )
    filed = TransitionEvent.objects.get(proposal=accepted, trigger="file_settlement")
    assert (filed.data["due_on"], filed.data["late"]) == ("2026-07-15", True)


def test_the_so_records_the_refund_on_the_de_an_page(w, accepted):
    """The đề án page tells the Sở what is still owed and leads to the form that records it paid back."""
    file_settlement(
        accepted, w.user("applicant"), vn(2026, 7, 10), national=0, local=150_000_000, counterpart=0
    )
    fire(
        accepted.pk,
        "settle",
        actor=w.user("appraiser"),
        now=vn(2026, 7, 20),
        data={"national_amount": 0, "local_amount": 150_000_000},
    )
    client = Client()
    client.force_login(w.user("appraiser"))
    page = client.get(f"/de-an/{accepted.pk}/").content.decode()
    assert "Đơn vị còn phải nộp trả 46.000.000" in page
    assert f"/de-an/{accepted.pk}/nop-tra/" in page
    refused = client.post(f"/de-an/{accepted.pk}/nop-tra/", {"paid_on": "2026-08-01", "receipt": ""})
    assert refused.status_code == 400
    assert Settlement.objects.get(proposal=accepted).refunded_on is None
    done = client.post(f"/de-an/{accepted.pk}/nop-tra/", {"paid_on": "2026-08-01", "receipt": "GNT 12"})
    assert (done.status_code, done["Location"]) == (302, f"/de-an/{accepted.pk}/")
    settlement = Settlement.objects.get(proposal=accepted)
    assert (settlement.refunded_on, settlement.refund_receipt) == (dt.date(2026, 8, 1), "GNT 12")
    assert TransitionEvent.objects.filter(
        proposal=accepted, trigger="refund_paid", actor__username="appraiser"
    ).exists()
    page = client.get(f"/de-an/{accepted.pk}/").content.decode()
    assert "đã nộp ngày 01/08/2026 (chứng từ GNT 12)" in page
    # The Sở Tài chính may see the đề án but does not record refunds: refused with the reason, nothing written.
    finance = Client()
    finance.force_login(w.user("finance"))
    answer = finance.post(f"/de-an/{accepted.pk}/nop-tra/", {"paid_on": "2026-08-02", "receipt": "GNT 13"})
    assert answer.status_code == 403
    assert "Chỉ Sở Công Thương của tỉnh mới ghi nhận việc nộp trả kinh phí." in answer.content.decode()
    assert Settlement.objects.get(proposal=accepted).refund_receipt == "GNT 12"


def test_the_so_sends_a_settlement_dossier_back_and_the_unit_files_again(w, accepted):
    """The dossier is returned with the reason: the unit's own task opens again, it is told why, the old dossier no
    longer counts, and the settlement waits for the new one."""
    from workflow.services.portal import status_view

    file_settlement(
        accepted, w.user("applicant"), vn(2026, 7, 10), national=0, local=270_000_000, counterpart=0
    )
    reason = "Bảng kê thiếu hóa đơn mua máy; đề nghị bổ sung."
    with pytest.raises(GuardFailed):
        fire(accepted.pk, "return_settlement", actor=w.user("appraiser"), now=vn(2026, 7, 13))  # no reason
    fire(accepted.pk, "return_settlement", actor=w.user("appraiser"), now=vn(2026, 7, 13), comment=reason)
    accepted.refresh_from_db()
    assert accepted.status == "implemented"
    task = Task.objects.get(proposal=accepted, completed_at__isnull=True)
    assert (task.role, task.organisation_id, task.due_at) == ("applicant", w.org.pk, vn(2026, 7, 28, 17))
    notices = Outbox.objects.filter(template="proposal.return_settlement", recipient__username="applicant")
    assert notices.exists() and {n.context["comment"] for n in notices} == {reason}
    assert status_view(accepted, now=vn(2026, 7, 14), with_reasons=True).last_reason == reason
    # The returned dossier no longer counts: the unit files again before anything is settled.
    with pytest.raises(NotAllowedFromStatus):
        fire(
            accepted.pk, "settle", actor=w.user("appraiser"), now=vn(2026, 7, 14), data={"national_amount": 0}
        )
    file_settlement(
        accepted, w.user("applicant"), vn(2026, 7, 20), national=0, local=275_000_000, counterpart=0
    )
    fire(
        accepted.pk,
        "settle",
        actor=w.user("appraiser"),
        now=vn(2026, 7, 22),
        data={"national_amount": 0, "local_amount": 275_000_000},
    )
    accepted.refresh_from_db()
    assert (accepted.status, accepted.settled_amount) == ("settled", 275_000_000)


def test_a_dossier_filed_after_a_stop_goes_back_to_the_stopped_de_an(w):
    p = drive(w, complete_proposal(w), "approve")
    fire(p.pk, "stop", actor=w.user("approver"), now=at(40), comment="Nhà cung cấp không giao được máy")
    file_settlement(p, w.user("applicant"), at(45), national=0, local=50_000_000, counterpart=0)
    fire(
        p.pk,
        "return_settlement",
        actor=w.user("appraiser"),
        now=at(47),
        comment="Thiếu biên bản xác nhận khối lượng",
    )
    p.refresh_from_db()
    assert p.status == "stopped"
