"""The transition service on PostgreSQL: main path, side exits, guards, audit rows, tasks, outbox."""

import datetime as dt

import pytest

from core.calendar import VN_TZ
from notifications.models import Outbox
from workflow.models import Settlement, Task, TransitionEvent
from workflow.services.audit import verify_chains
from workflow.services.errors import Conflict, GuardFailed, NotAllowedFromStatus, NotFound, NotPermitted
from workflow.services.implementation import decide_advance, request_advance, submit_progress_report
from workflow.services.transitions import available_triggers, fire, fire_batch

from .world import APPRAISAL, T0, at, build_world, complete_proposal, drive, file_settlement

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return build_world()


def test_main_path_end_to_end(w):
    p = complete_proposal(w)
    p = drive(w, p, "settle")
    assert p.status == "settled"
    assert (p.recommended_amount, p.verified_amount, p.approved_amount, p.settled_amount) == (
        280_000_000,
        280_000_000,
        280_000_000,
        275_000_000,
    )
    transitions = list(p.events.filter(kind="transition").values_list("trigger", "from_status", "to_status"))
    assert transitions == [
        ("lodge", "drafted", "lodged"),
        ("district_submit", "lodged", "district_submitted"),
        ("appraise", "district_submitted", "appraised"),
        ("verify_finance", "appraised", "finance_verified"),
        ("approve", "finance_verified", "approved"),
        ("accept", "approved", "implemented"),
        ("file_settlement", "implemented", "settlement_filed"),
        ("settle", "settlement_filed", "settled"),
    ]
    # Every task was closed by the step that completed it; nothing is left open.
    tasks = list(p.tasks.order_by("id").values_list("status", "role", "outcome", "completed_by__username"))
    assert tasks == [
        ("lodged", "district_officer", "district_submit", "district"),
        ("district_submitted", "appraiser", "appraise", "appraiser"),
        ("appraised", "finance_officer", "verify_finance", "finance"),
        ("finance_verified", "approver", "approve", "approver"),
        ("approved", "appraiser", "accept", "appraiser"),
        # The settlement dossier is the unit's own task (TT 36 Đ18.1); units settle with the Sở Công Thương.
        ("implemented", "applicant", "file_settlement", "applicant"),
        ("settlement_filed", "appraiser", "settle", "appraiser"),
    ]
    assert not p.tasks.filter(completed_at__isnull=True).exists()
    assert verify_chains(proposal_id=p.pk).ok


def test_lodge_writes_the_exact_audit_row_task_and_outbox(w):
    p = complete_proposal(w)
    event = fire(p.pk, "lodge", actor=w.user("applicant"), now=T0, ip="203.113.1.5")
    row = TransitionEvent.objects.get(pk=event.pk)
    assert (row.seq, row.kind, row.trigger, row.from_status, row.to_status) == (
        2,
        "transition",
        "lodge",
        "drafted",
        "lodged",
    )
    assert (row.actor.username, row.on_behalf_of, row.role, row.ip) == (
        "applicant",
        None,
        "applicant",
        "203.113.1.5",
    )
    assert row.data["revision_round"] == 0
    assert row.data["dossier"]["budget_lines"] == [
        ["Máy tách vỏ lụa", "máy", "1.00", 620_000_000, 0, 300_000_000, 320_000_000]
    ]
    assert len(event.receipt_pin) == 6 and p.__class__.objects.get(pk=p.pk).pin_hash
    assert row.prev_hash == TransitionEvent.objects.get(proposal=p, seq=1).hash
    assert row.hash == row.compute_hash()
    task = Task.objects.get(proposal=p, completed_at__isnull=True)
    assert (task.status, task.role, task.unit_id, task.assignee_id) == (
        "lodged",
        "district_officer",
        w.district.pk,
        None,
    )
    # 5 working days after Monday 2/3/2026, at the end of the office day.
    assert task.due_at == dt.datetime(2026, 3, 9, 17, 0, tzinfo=VN_TZ)
    p.refresh_from_db()
    assert (p.status, p.lodged_at, p.status_changed_at) == ("lodged", T0, T0)
    outbox = sorted(Outbox.objects.values_list("recipient__username", "channel", "template"))
    assert outbox == [
        ("applicant", "email", "proposal.lodge"),
        ("applicant", "sms", "proposal.lodge"),
        ("district", "email", "task.waiting"),
        ("district", "sms", "task.waiting"),
        ("district2", "email", "task.waiting"),
    ]


@pytest.mark.parametrize(
    "until,holder",
    [
        ("lodge", "district"),
        ("district_submit", "appraiser"),
        ("appraise", "finance"),
        ("verify_finance", "approver"),
    ],
)
def test_return_for_revision_from_every_review_status(w, until, holder):
    p = drive(w, complete_proposal(w), until)
    source = p.status
    event = fire(
        p.pk, "return_for_revision", actor=w.user(holder), now=at(30), comment="Bổ sung báo giá thứ hai"
    )
    p.refresh_from_db()
    assert (p.status, p.revision_round) == ("drafted", 1)
    assert (event.from_status, event.to_status, event.comment) == (
        source,
        "drafted",
        "Bổ sung báo giá thứ hai",
    )
    assert not p.tasks.filter(completed_at__isnull=True).exists()
    # The applicant lodges again: back to the reviewer who returned it, and the round is recorded.
    again = fire(p.pk, "lodge", actor=w.user("applicant"), now=at(31))
    assert again.data["revision_round"] == 1
    assert (again.from_status, again.to_status) == ("drafted", source)
    task = p.tasks.get(completed_at__isnull=True)
    assert (task.status, task.role) == (
        source,
        {
            "district": "district_officer",
            "appraiser": "appraiser",
            "finance": "finance_officer",
            "approver": "approver",
        }[holder],
    )
    assert again.receipt_pin == ""  # the PIN is issued once, at the first lodging


@pytest.mark.parametrize(
    "until,holder",
    [
        ("lodge", "district"),
        ("district_submit", "appraiser"),
        ("appraise", "finance"),
        ("verify_finance", "approver"),
    ],
)
def test_reject_from_every_review_status_is_final(w, until, holder):
    p = drive(w, complete_proposal(w), until)
    fire(p.pk, "reject", actor=w.user(holder), now=at(30), comment="Không thuộc đối tượng hỗ trợ")
    p.refresh_from_db()
    assert p.status == "rejected"
    assert not p.tasks.filter(completed_at__isnull=True).exists()
    assert available_triggers(w.user("applicant"), p, now=at(31)) == []
    with pytest.raises(NotAllowedFromStatus, match="Không thể “Nộp hồ sơ”"):
        fire(p.pk, "lodge", actor=w.user("applicant"), now=at(31))


@pytest.mark.parametrize("until", [None, "lodge"])
def test_withdraw_from_drafted_and_lodged(w, until):
    p = complete_proposal(w)
    if until:
        drive(w, p, until)
    fire(p.pk, "withdraw", actor=w.user("applicant"), now=at(5))
    p.refresh_from_db()
    assert p.status == "withdrawn"
    assert not p.tasks.filter(completed_at__isnull=True).exists()


def test_withdraw_refused_once_the_department_holds_it(w):
    p = drive(w, complete_proposal(w), "district_submit")
    with pytest.raises(NotAllowedFromStatus):
        fire(p.pk, "withdraw", actor=w.user("applicant"), now=at(5))


def test_stop_then_settle_by_volume_done(w):
    p = drive(w, complete_proposal(w), "approve")
    request_advance(p.pk, actor=w.user("applicant"), now=at(20), amount=196_000_000)
    advance = p.advances.get()
    decide_advance(advance.pk, actor=w.user("finance"), now=at(21), pay=True)
    fire(p.pk, "stop", actor=w.user("approver"), now=at(40), comment="Thiên tai, không tiếp tục được")
    p.refresh_from_db()
    assert p.status == "stopped"
    task = p.tasks.get(completed_at__isnull=True)
    # The unit owes its settlement dossier of the volume done; it is the unit's task, not the Sở's.
    assert (task.status, task.role, task.unit_id, task.organisation_id) == (
        "stopped",
        "applicant",
        None,
        w.org.pk,
    )
    file_settlement(p, w.user("applicant"), at(44), national=0, local=150_000_000, counterpart=0)
    fire(
        p.pk,
        "settle",
        actor=w.user("appraiser"),
        now=at(45),
        data={"national_amount": 0, "local_amount": 150_000_000},
    )
    s = Settlement.objects.get(proposal=p)
    assert (s.by_volume_done, s.advanced_amount, s.refund_amount, s.payable_amount) == (
        True,
        196_000_000,
        46_000_000,
        0,
    )


def test_journey_six_advance_limit_and_what_is_still_owed(w):
    p = drive(w, complete_proposal(w), "approve")
    with pytest.raises(GuardFailed) as refused:
        request_advance(p.pk, actor=w.user("applicant"), now=at(20), amount=200_000_000)
    assert "70 % kinh phí được phê duyệt 280.000.000\u00a0₫, tức 196.000.000\u00a0₫" in str(refused.value)
    assert not p.advances.exists()
    advance = request_advance(p.pk, actor=w.user("applicant"), now=at(20), amount=196_000_000)
    decide_advance(advance.pk, actor=w.user("finance"), now=at(21), pay=True)
    assert list(
        Outbox.objects.filter(template="advance.paid")
        .order_by("channel")
        .values_list("recipient__username", "channel")
    ) == [("applicant", "email"), ("applicant", "sms")]
    submit_progress_report(
        p.pk,
        actor=w.user("applicant"),
        now=at(22),
        period=dt.date(2026, 3, 1),
        percent_complete=40,
        summary="Đã ký hợp đồng mua máy",
    )
    with pytest.raises(Conflict):
        submit_progress_report(
            p.pk,
            actor=w.user("applicant"),
            now=at(23),
            period=dt.date(2026, 3, 1),
            percent_complete=45,
            summary="Lần hai",
        )
    fire(
        p.pk,
        "accept",
        actor=w.user("appraiser"),
        now=at(120),
        data={"accepted_on": "2026-06-30", "results": "Đạt công suất"},
    )
    task = p.tasks.get(completed_at__isnull=True)
    # The 15 days are the unit's: its own task, in its portal and reminders (TT 36 Đ18.1).
    assert task.due_at == dt.datetime(2026, 7, 15, 17, 0, tzinfo=VN_TZ)  # 15 days after acceptance
    assert (task.role, task.organisation_id, task.unit_id) == ("applicant", w.org.pk, None)
    file_settlement(p, w.user("applicant"), at(126), national=0, local=275_000_000, counterpart=0)
    fire(
        p.pk,
        "settle",
        actor=w.user("appraiser"),
        now=at(130),
        data={"national_amount": 0, "local_amount": 275_000_000},
    )
    s = Settlement.objects.get(proposal=p)
    assert (s.payable_amount, s.refund_amount) == (79_000_000, 0)
    actions = list(p.events.filter(kind="action").values_list("trigger", flat=True))
    assert actions == ["create", "advance_request", "advance_paid", "progress_report", "settlement_dossier"]


# --- guards, each with its message -------------------------------------------------------------------------


def test_lodge_lists_what_is_missing(w):
    p = complete_proposal(w)
    p.need = ""
    p.save(update_fields=["need"])
    p.attachments.filter(kind="quote").delete()
    with pytest.raises(GuardFailed) as exc:
        fire(p.pk, "lodge", actor=w.user("applicant"), now=T0)
    text = str(exc.value)
    assert "Sự cần thiết" in text
    assert "Báo giá" in text
    p.refresh_from_db()
    assert p.status == "drafted"
    assert p.events.count() == 1 and not p.tasks.exists() and not Outbox.objects.exists()


def test_lodge_refused_over_the_machinery_cap(w):
    p = complete_proposal(w, support=310_000_000)
    with pytest.raises(GuardFailed, match="300.000.000"):
        fire(p.pk, "lodge", actor=w.user("applicant"), now=T0)


@pytest.mark.parametrize(
    "trigger,until,who,data,comment,message",
    [
        ("district_submit", "lodge", "district", {}, "", "ý kiến đề xuất"),
        (
            "appraise",
            "district_submit",
            "appraiser",
            {**APPRAISAL, "opinions": {}},
            "",
            "Sự phù hợp với nguyên tắc",
        ),
        (
            "appraise",
            "district_submit",
            "appraiser",
            {**APPRAISAL, "recommended_amount": 300_000_001},
            "",
            "không được vượt kinh phí đơn vị đề nghị 300.000.000",
        ),
        ("appraise", "district_submit", "appraiser", {**APPRAISAL, "score": 101}, "", "từ 0 đến 100"),
        (
            "verify_finance",
            "appraise",
            "finance",
            {"national_amount": 100_000_000, "local_amount": 180_000_001},
            "",
            "vượt kinh phí Sở Công Thương đề nghị 280.000.000",
        ),
        (
            "verify_finance",
            "appraise",
            "finance",
            {"national_amount": "abc", "local_amount": 1},
            "",
            "số đồng",
        ),
        ("approve", "verify_finance", "approver", {"decision_date": "2026-03-20"}, "", "số quyết định"),
        (
            "approve",
            "verify_finance",
            "approver",
            {"decision_number": "1/QĐ", "decision_date": "2026-03-20", "amount": 280_000_001},
            "",
            "vượt kinh phí Sở Tài chính thẩm tra",
        ),
        ("accept", "approve", "appraiser", {"accepted_on": "2026-06-30"}, "", "kết quả nghiệm thu"),
        (
            "settle",
            "file_settlement",
            "appraiser",
            {"national_amount": 0, "local_amount": 280_000_001},
            "",
            "vượt kinh phí được phê duyệt 280.000.000",
        ),
        (
            "settle",
            "file_settlement",
            "appraiser",
            {"national_amount": 0, "local_amount": 276_000_000},
            "",
            "Quyết toán nguồn khuyến công địa phương 276.000.000\u00a0₫ vượt số đã chi theo chứng từ 275.000.000",
        ),
        ("file_settlement", "accept", "applicant", {}, "", "Chưa có hồ sơ quyết toán"),
        ("return_for_revision", "lodge", "district", {}, "", "Cần nêu lý do"),
        ("reject", "district_submit", "appraiser", {}, "  ", "Cần nêu lý do"),
        ("stop", "approve", "approver", {}, "", "Cần nêu lý do"),
    ],
)
def test_guards_refuse_with_a_reason_and_write_nothing(w, trigger, until, who, data, comment, message):
    p = drive(w, complete_proposal(w), until)
    before = (p.status, p.events.count(), p.tasks.count(), Outbox.objects.count())
    with pytest.raises(GuardFailed, match=message):
        fire(p.pk, trigger, actor=w.user(who), now=at(200), data=data, comment=comment)
    p.refresh_from_db()
    assert (p.status, p.events.count(), p.tasks.count(), Outbox.objects.count()) == before


def test_conflict_when_the_status_changed_since_the_user_looked(w):
    p = drive(w, complete_proposal(w), "lodge")
    with pytest.raises(Conflict, match="vừa được người khác xử lý"):
        fire(
            p.pk,
            "district_submit",
            actor=w.user("district"),
            now=at(1),
            comment="ok",
            expected_status="drafted",
        )


def test_unknown_or_invisible_proposal_is_not_found(w):
    p = complete_proposal(w)
    with pytest.raises(NotFound):
        fire(p.pk + 999, "lodge", actor=w.user("applicant"), now=T0)
    with pytest.raises(NotFound):  # another organisation's draft is not even visible
        fire(p.pk, "lodge", actor=w.user("applicant_other"), now=T0)


def test_claimed_task_belongs_to_its_holder(w):
    from workflow.services.tasks import claim

    p = drive(w, complete_proposal(w), "lodge")
    task = p.tasks.get(completed_at__isnull=True)
    claim(task.pk, actor=w.user("district2"), now=at(1))
    with pytest.raises(NotPermitted, match="đang do district2 xử lý"):
        fire(p.pk, "district_submit", actor=w.user("district"), now=at(1), comment="ok")
    fire(p.pk, "district_submit", actor=w.user("district2"), now=at(1), comment="ok")


def test_batch_approval_one_decision_per_item_results(w):
    ready = [drive(w, complete_proposal(w, title=f"Đề án {i}"), "verify_finance") for i in range(3)]
    not_ready = drive(w, complete_proposal(w, title="Chưa thẩm tra"), "appraise")
    items = [
        (p.pk, {"decision_number": "45/QĐ-UBND", "decision_date": "2026-03-20"}) for p in [*ready, not_ready]
    ]
    results = fire_batch(items, "approve", actor=w.user("approver"), now=at(25))
    assert [r.ok for r in results] == [True, True, True, False]
    assert "Không thể “Phê duyệt”" in results[3].message
    from workflow.models import ApprovalDecision

    decision = ApprovalDecision.objects.get(number="45/QĐ-UBND")
    assert sorted(decision.approvals.values_list("proposal_id", flat=True)) == sorted(p.pk for p in ready)


def test_a_transition_is_six_statements_in_a_warm_process(w):
    """The statements of one ``district_submit`` once the process holds its copies of the configuration: lock
    the đề án; the open task (locked) with the audit chain's head; the status and the task's closing in one
    statement; the next task and the audit row in one; the recipients with their preferences; the outbox rows
    (benchmark B1 counts the same)."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = drive(w, complete_proposal(w, title="Làm nóng"), "lodge")
    p = drive(w, complete_proposal(w), "lodge")
    fire(
        first.pk, "district_submit", actor=w.user("district"), now=at(1), comment="Đề nghị"
    )  # loads the copies
    from core.models import User

    officer = User.objects.select_related("unit").get(username="district")
    _ = officer.role_names  # loaded once per request by the views' permission checks
    with CaptureQueriesContext(connection) as captured:
        fire(p.pk, "district_submit", actor=officer, now=at(1), comment="Đề nghị thẩm định")

    def what(sql: str):
        if sql.startswith("WITH "):  # core.statements.together: one write in each clause
            return tuple(re.findall(r'AS \((UPDATE|INSERT INTO) "?(\w+)"?', sql))
        return re.match(r'(SELECT|UPDATE|INSERT INTO) .*?"?(\w+)"?[ .(]', sql.replace("FROM ", "")).groups()

    statements = [what(q["sql"]) for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert statements == [
        ("SELECT", "workflow_proposal"),
        ("SELECT", "workflow_task"),
        (("UPDATE", "workflow_proposal"), ("UPDATE", "workflow_task")),
        (("INSERT INTO", "workflow_task"), ("INSERT INTO", "workflow_transitionevent")),
        ("SELECT", "core_user"),
        ("INSERT INTO", "notifications_outbox"),
    ]
    assert "FOR UPDATE" in captured.captured_queries[1]["sql"]
    assert (
        "workflow_transitionevent" in captured.captured_queries[2]["sql"]
    )  # the chain head, in the task read
    assert p.events.order_by("-seq").first().prev_hash == p.events.order_by("-seq")[1].hash
    # What the combined statements wrote: the status, the closed task, the next task under its new id, the audit
    # row under its own, and the outbox rows that name both.
    p.refresh_from_db()
    closed, opened = p.tasks.order_by("pk")
    event = p.events.order_by("-seq").first()
    assert (p.status, closed.outcome, closed.completed_by_id, opened.status, opened.completed_at) == (
        "district_submitted",
        "district_submit",
        officer.pk,
        "district_submitted",
        None,
    )
    from notifications.models import Outbox

    keys = set(Outbox.objects.filter(context__proposal=p.pk).values_list("idempotency_key", flat=True))
    assert any(k.startswith(f"task:{opened.pk}:waiting:") for k in keys)
    assert any(k.startswith(f"event:{event.pk}:") for k in keys)
