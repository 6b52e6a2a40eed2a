"""The national track (khuyến công quốc gia, domain.md §2.1, §6; TT 36/2013 Đ6–Đ18 as amended by TT 17/2018):
registration with the Sở by its window, base-level appraisal, the dossier to the Cục, ministry appraisal, the
Minister's decision, a contract, acceptance, and liquidation and settlement with the Cục — never the provincial
leader's approval. The ministry side works in the system (the Cục's own queue) or is recorded by the Sở; both
write the same audit events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from core.calendar import VN_TZ
from core.models import User
from notifications.models import Outbox
from workflow.models import ApprovalDecision, BudgetLine, NationalRecord, Settlement, Task, TransitionEvent
from workflow.selectors import queue
from workflow.services.errors import GuardFailed, NotAllowedFromStatus, NotPermitted
from workflow.services.transitions import available_triggers, fire

from .world import APPRAISAL, build_world, complete_proposal, file_settlement

pytestmark = pytest.mark.django_db


def vn(y, m, d, h=9):
    return dt.datetime(y, m, d, h, tzinfo=VN_TZ)


def end_of(y, m, d):
    return dt.datetime(y, m, d, 17, tzinfo=VN_TZ)  # core.calendar.END_OF_DAY


@pytest.fixture
def w():
    return build_world()


@pytest.fixture
def cuc(w):
    user = User.objects.create_user(username="cuc", password="x-password-1", email="cuc@moit.gov.vn")
    user.groups.add(Group.objects.get_or_create(name="ministry_officer")[0])
    return user


def national(w, *, plan_year=2027):
    """Chị Lan's machinery đề án, funded from the national budget, for plan year 2027."""
    p = complete_proposal(w, now=vn(2026, 4, 1))
    p.funding_kind, p.plan_year = "national", plan_year
    p.save(update_fields=["funding_kind", "plan_year"])
    BudgetLine.objects.filter(proposal=p).update(national_amount=300_000_000, local_amount=0)
    return p


def open_task(p) -> Task:
    return Task.objects.get(proposal=p, completed_at__isnull=True)


def status(p) -> str:
    p.refresh_from_db()
    return p.status


def to_ministry(w, p):
    """Registered 4/5/2026, appraised at base level 1/6, sent to the Cục 15/9."""
    fire(p.pk, "lodge", actor=w.user("applicant"), now=vn(2026, 5, 4))
    fire(p.pk, "appraise", actor=w.user("appraiser"), now=vn(2026, 6, 1), data=APPRAISAL)
    fire(
        p.pk,
        "send_to_ministry",
        actor=w.user("appraiser"),
        now=vn(2026, 9, 15),
        data={"letter_number": "1234/SCT-QLCN", "letter_date": "2026-09-15"},
    )


def ministry_steps(p, actor):
    fire(
        p.pk,
        "appraise_ministry",
        actor=actor,
        now=vn(2026, 11, 2),
        data={"appraisal_number": "55/BB-CĐM", "appraisal_date": "2026-10-30", "amount": 270_000_000},
    )
    fire(
        p.pk,
        "approve",
        actor=actor,
        now=vn(2026, 12, 15),
        data={"decision_number": "3100/QĐ-BCT", "decision_date": "2026-12-14", "amount": 260_000_000},
    )
    fire(
        p.pk,
        "contract",
        actor=actor,
        now=vn(2027, 2, 1),
        data={"contract_number": "12/2027/HĐ-KCQG", "contract_date": "2027-02-01"},
    )


def accept_and_file(w, p):
    fire(
        p.pk,
        "accept",
        actor=w.user("appraiser2"),
        now=vn(2027, 9, 10),
        data={"accepted_on": "2027-09-10", "results": "Máy vận hành đạt công suất"},
    )
    file_settlement(
        p, w.user("applicant"), vn(2027, 9, 20), national=255_000_000, local=0, counterpart=320_000_000
    )


SETTLE = {
    "national_amount": 255_000_000,
    "local_amount": 0,
    "counterpart_amount": 320_000_000,
    "liquidation_number": "12/2027/TLHĐ",
    "liquidation_date": "2027-11-20",
}
PATH = [
    "lodge",
    "appraise",
    "send_to_ministry",
    "appraise_ministry",
    "approve",
    "contract",
    "accept",
    "file_settlement",
    "settle",
]


def transitions(p) -> list[tuple[str, str, str]]:
    return list(
        TransitionEvent.objects.filter(proposal=p, kind="transition")
        .order_by("seq")
        .values_list("trigger", "from_status", "to_status")
    )


def test_recorded_by_the_so_from_registration_to_settlement(w):
    p = national(w)
    fire(p.pk, "lodge", actor=w.user("applicant"), now=vn(2026, 5, 4))
    assert status(p) == "registered"
    task = open_task(p)
    # The Sở appraises at base level and reports the registrations to the Cục by 20/6 of the year before.
    assert (task.role, task.unit_id, task.due_at) == ("appraiser", w.province.pk, end_of(2026, 6, 20))
    assert p.dossier_due_at == end_of(2026, 9, 30)

    fire(p.pk, "appraise", actor=w.user("appraiser"), now=vn(2026, 6, 1), data=APPRAISAL)
    assert status(p) == "base_appraised"
    assert open_task(p).due_at == end_of(2026, 9, 30)  # the dossier to the Cục by 30/9
    fire(
        p.pk,
        "send_to_ministry",
        actor=w.user("appraiser"),
        now=vn(2026, 9, 15),
        data={"letter_number": "1234/SCT-QLCN", "letter_date": "2026-09-15"},
    )
    task = open_task(p)
    assert (status(p), task.role, task.unit_id, task.due_at) == (
        "sent_to_ministry",
        "appraiser",
        w.province.pk,
        None,
    )

    # The same appraiser records the Cục's and the Minister's decisions: recording is not deciding.
    ministry_steps(p, w.user("appraiser"))
    p.refresh_from_db()
    assert (p.status, p.recommended_amount, p.verified_amount, p.approved_amount) == (
        "contracted",
        280_000_000,
        270_000_000,
        260_000_000,
    )
    assert ApprovalDecision.objects.get(approvals__proposal=p).number == "3100/QĐ-BCT"
    records = list(
        NationalRecord.objects.filter(proposal=p).values_list("kind", "number", "amount", "recorded")
    )
    assert records == [
        ("letter", "1234/SCT-QLCN", None, True),
        ("ministry_appraisal", "55/BB-CĐM", 270_000_000, True),
        ("contract", "12/2027/HĐ-KCQG", 260_000_000, True),
    ]

    accept_and_file(w, p)
    task = open_task(p)
    # Liquidation and settlement with the Cục by 22/01 of the year after the plan year.
    assert (status(p), task.role, task.due_at) == ("settlement_filed", "appraiser", end_of(2028, 1, 22))
    fire(p.pk, "settle", actor=w.user("appraiser"), now=vn(2027, 11, 20), data=SETTLE)
    assert status(p) == "settled"
    settlement = Settlement.objects.get(proposal=p)
    assert (settlement.national_amount, settlement.payable_amount) == (255_000_000, 255_000_000)
    assert NationalRecord.objects.filter(proposal=p, kind="liquidation", number="12/2027/TLHĐ").exists()
    assert [t for t, _f, _s in transitions(p)] == PATH
    # The audit row of the Minister's decision carries its number, date and amount.
    approve = TransitionEvent.objects.get(proposal=p, trigger="approve")
    assert (approve.role, approve.data["decision_number"], approve.data["amount"]) == (
        "appraiser",
        "3100/QĐ-BCT",
        260_000_000,
    )


def test_the_provincial_leader_and_the_finance_department_never_act_on_a_national_de_an(w):
    p = national(w)
    to_ministry(w, p)
    ministry = {"appraisal_number": "55/BB-CĐM", "appraisal_date": "2026-10-30", "amount": 270_000_000}
    fire(p.pk, "appraise_ministry", actor=w.user("appraiser"), now=vn(2026, 11, 2), data=ministry)
    decision = {"decision_number": "9/QĐ-UBND", "decision_date": "2026-12-14", "amount": 260_000_000}
    with pytest.raises(NotPermitted):
        fire(p.pk, "approve", actor=w.user("approver"), now=vn(2026, 12, 15), data=decision)
    assert not [t.name for t in available_triggers(w.user("approver"), p, now=vn(2026, 12, 15))]
    with pytest.raises(NotAllowedFromStatus):
        fire(p.pk, "verify_finance", actor=w.user("finance"), now=vn(2026, 12, 15), data={})
    assert status(p) == "ministry_appraised"
    assert not TransitionEvent.objects.filter(proposal=p, trigger="approve").exists()


def test_registration_after_the_window_is_refused_with_the_date(w):
    p = national(w)
    with pytest.raises(GuardFailed) as exc:
        fire(p.pk, "lodge", actor=w.user("applicant"), now=vn(2026, 5, 21))
    assert (
        "Đã hết hạn đăng ký đề án khuyến công quốc gia năm 2027 (ngày 20/05/2026). Hãy đăng ký cho năm kế hoạch "
        "sau, hoặc đề nghị Sở Công Thương hướng dẫn."
    ) in exc.value.problems
    assert status(p) == "drafted"
    assert not TransitionEvent.objects.filter(proposal=p, kind="transition").exists()
    # Registered for the next plan year, it goes through (the window of 2028 ends on 20/5/2027).
    p.plan_year = 2028
    p.save(update_fields=["plan_year"])
    fire(p.pk, "lodge", actor=w.user("applicant"), now=vn(2026, 5, 21))
    assert status(p) == "registered"
    assert open_task(p).due_at == end_of(2027, 6, 20)


def test_the_windows_are_configuration(w, settings):
    settings.KHUYENCONG = {
        **settings.KHUYENCONG,
        "NATIONAL_WINDOWS": {**settings.KHUYENCONG["NATIONAL_WINDOWS"], "registration": (5, 31, -1)},
    }
    p = national(w)
    fire(p.pk, "lodge", actor=w.user("applicant"), now=vn(2026, 5, 29))
    assert status(p) == "registered"


def test_a_return_for_revision_resumes_at_the_ministry_after_the_window(w):
    """The window applies to the first registration; a dossier the Cục returned comes back to the Cục."""
    p = national(w)
    to_ministry(w, p)
    fire(
        p.pk, "return_for_revision", actor=w.user("appraiser"), now=vn(2026, 10, 5), comment="Bổ sung báo giá"
    )
    assert status(p) == "drafted"
    fire(p.pk, "lodge", actor=w.user("applicant"), now=vn(2026, 10, 12))
    assert status(p) == "sent_to_ministry"


def test_in_the_system_the_cuc_acts_in_its_own_queue(w, cuc, settings):
    settings.KHUYENCONG = {**settings.KHUYENCONG, "NATIONAL_MODE": "in_system"}
    p = national(w)
    to_ministry(w, p)
    task = open_task(p)
    assert (task.role, task.unit_id, task.organisation_id) == ("ministry_officer", None, None)
    assert list(queue(cuc).values_list("proposal_id", flat=True)) == [p.pk]
    assert not queue(w.user("appraiser")).filter(proposal=p).exists()
    # The Cục's officers are told that work waits in their queue.
    assert Outbox.objects.filter(
        template="task.waiting", recipient=cuc, context__tracking_code=p.tracking_code
    ).exists()
    # The Sở can no longer record what the Cục decides in the system.
    data = {"appraisal_number": "55/BB-CĐM", "appraisal_date": "2026-10-30", "amount": 270_000_000}
    with pytest.raises(NotPermitted):
        fire(p.pk, "appraise_ministry", actor=w.user("appraiser"), now=vn(2026, 11, 2), data=data)

    ministry_steps(p, cuc)
    assert status(p) == "contracted"
    assert open_task(p).unit_id == w.province.pk  # nghiệm thu cơ sở: the Sở
    accept_and_file(w, p)
    assert open_task(p).role == "ministry_officer"
    fire(p.pk, "settle", actor=cuc, now=vn(2027, 11, 20), data=SETTLE)
    assert status(p) == "settled"
    assert [t for t, _f, _s in transitions(p)] == PATH
    assert set(NationalRecord.objects.filter(proposal=p).values_list("recorded", flat=True)) == {False}
    roles = dict(TransitionEvent.objects.filter(proposal=p, kind="transition").values_list("trigger", "role"))
    assert (roles["appraise"], roles["approve"], roles["settle"]) == (
        "appraiser",
        "ministry_officer",
        "ministry_officer",
    )


def test_both_modes_write_the_same_transitions(w, cuc, settings):
    recorded = national(w)
    to_ministry(w, recorded)
    ministry_steps(recorded, w.user("appraiser"))
    settings.KHUYENCONG = {**settings.KHUYENCONG, "NATIONAL_MODE": "in_system"}
    in_system = national(w)
    to_ministry(w, in_system)
    ministry_steps(in_system, cuc)
    assert transitions(recorded) == transitions(in_system)
    keys = [
        sorted(e.data)
        for e in TransitionEvent.objects.filter(proposal=recorded, kind="transition").order_by("seq")
    ]
    assert keys == [
        sorted(e.data)
        for e in TransitionEvent.objects.filter(proposal=in_system, kind="transition").order_by("seq")
    ]


def test_the_cuc_settles_from_the_acceptance_minutes_only_when_the_unit_is_late(w):
    p = national(w)
    to_ministry(w, p)
    ministry_steps(p, w.user("appraiser"))
    fire(
        p.pk,
        "accept",
        actor=w.user("appraiser2"),
        now=vn(2027, 9, 10),
        data={"accepted_on": "2027-09-10", "results": "Đạt"},
    )
    data = {"national_amount": 250_000_000, "liquidation_number": "15/TLHĐ", "liquidation_date": "2027-10-01"}
    with pytest.raises(GuardFailed) as exc:
        fire(p.pk, "settle_from_minutes", actor=w.user("appraiser"), now=vn(2027, 9, 20), data=data)
    assert (
        "Đơn vị thực hiện còn hạn nộp hồ sơ quyết toán đến ngày 25/09/2027; chỉ quyết toán theo biên bản nghiệm thu "
        "khi đơn vị chậm nộp."
    ) in exc.value.problems
    fire(p.pk, "settle_from_minutes", actor=w.user("appraiser"), now=vn(2027, 10, 1), data=data)
    assert status(p) == "settled"
    assert Settlement.objects.get(proposal=p).national_amount == 250_000_000


def test_the_ministry_side_stops_a_contracted_de_an_not_the_provincial_leader(w):
    p = national(w)
    to_ministry(w, p)
    ministry_steps(p, w.user("appraiser"))
    with pytest.raises(NotPermitted):
        fire(p.pk, "stop", actor=w.user("approver"), now=vn(2027, 5, 1), comment="Không triển khai được")
    fire(p.pk, "stop", actor=w.user("appraiser"), now=vn(2027, 5, 1), comment="QĐ 800/QĐ-BCT dừng đề án")
    assert status(p) == "stopped"
    assert (open_task(p).role, open_task(p).organisation_id) == ("applicant", w.org.pk)


def test_reminders_count_down_to_the_windows_in_the_cucs_queue(w, cuc, settings):
    """The settlement with the Cục is due on 22/01 of N+1: due soon two working days before (Thursday 20/01/2028),
    overdue after, and the heads of the Sở are told when it is still open three working days later."""
    from workflow.reminders import run_sweep

    settings.KHUYENCONG = {**settings.KHUYENCONG, "NATIONAL_MODE": "in_system"}
    p = national(w)
    to_ministry(w, p)
    ministry_steps(p, cuc)
    accept_and_file(w, p)
    run_sweep(now=vn(2028, 1, 20, 8))
    soon = Outbox.objects.get(template="task.due_soon", context__tracking_code=p.tracking_code)
    assert (soon.recipient, soon.context["unit"], soon.context["due_at"]) == (
        cuc,
        "Cục, Bộ Công Thương",
        "17:00 22/01/2028",
    )
    run_sweep(now=vn(2028, 2, 21, 8))  # after Tết Mậu Thân
    assert Outbox.objects.filter(
        template="task.overdue", recipient=cuc, context__tracking_code=p.tracking_code
    ).exists()
    escalated = Outbox.objects.filter(template="task.escalated", context__tracking_code=p.tracking_code)
    assert {m.recipient.username for m in escalated} == {"head"}


def test_the_sos_dashboard_counts_down_to_the_windows(w):
    """The head of the Sở sees each statutory date with the days left, and how many national đề án it still waits
    for; a date passed with đề án still waiting is shown overdue."""
    import re

    from django.test import Client
    from django.utils import timezone

    p = national(w)
    fire(
        p.pk, "lodge", actor=w.user("applicant"), now=vn(2026, 5, 4)
    )  # registered; not yet reported to the Cục
    today = timezone.now().astimezone(VN_TZ).date()
    client = Client()
    client.force_login(w.user("head"))
    page = client.get("/thong-ke/").content.decode()
    row = re.search(r'<tr data-window="registration_report">\s*<td>2027</td>(.*?)</tr>', page, re.S)
    assert row is not None, page[:2000]
    cells = re.sub(r"<[^>]+>", "|", row.group(1))
    late = (today - dt.date(2026, 6, 20)).days
    assert "Sở Công Thương báo cáo đăng ký kế hoạch với Cục" in cells
    assert "20/06/2026" in cells
    assert f"quá hạn {late} ngày" in cells
    assert cells.rstrip("|").endswith("1")
    # Next year's registration window, open with nothing registered yet.
    nxt = re.search(
        rf'<tr data-window="registration">\s*<td>{today.year + 1}</td>.*?</tr>', page, re.S
    ) or re.search(rf'<tr data-window="registration">\s*<td>{today.year + 2}</td>.*?</tr>', page, re.S)
    assert nxt is not None and "còn " in nxt.group(0)


def test_the_so_records_the_ministers_decision_with_its_scan(w):
    """Recorded by the Sở: the decision's number, date, amount and its scan, kept with the đề án and hashed in the
    audit row; a file that is not a document is refused with nothing written."""
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from workflow.models import Attachment

    p = national(w)
    to_ministry(w, p)
    fire(
        p.pk,
        "appraise_ministry",
        actor=w.user("appraiser"),
        now=vn(2026, 11, 2),
        data={"appraisal_number": "55/BB-CĐM", "appraisal_date": "2026-10-30", "amount": 270_000_000},
    )
    client = Client()
    client.force_login(w.user("appraiser"))
    url = f"/de-an/{p.pk}/thao-tac/approve/"
    form = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in form and "Số quyết định của Bộ trưởng" in form
    fields = {
        "expected_status": "ministry_appraised",
        "decision_number": "3100/QĐ-BCT",
        "decision_date": "2026-12-01",
        "amount": "260.000.000",
    }
    refused = client.post(url, {**fields, "document": SimpleUploadedFile("qd.pdf", b"MZ\x90\x00 not a pdf")})
    assert refused.status_code == 400
    assert "không phải là loại được nhận" in refused.content.decode()
    assert status(p) == "ministry_appraised"
    assert not Attachment.objects.filter(proposal=p, kind="ministry_document").exists()

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    done = client.post(url, {**fields, "document": SimpleUploadedFile("QD 3100.pdf", pdf)})
    assert done.status_code == 302, done.content.decode()[:3000]
    assert status(p) == "approved"
    scan = Attachment.objects.get(proposal=p, kind="ministry_document")
    assert (scan.original_name, scan.sha256, scan.uploaded_by.username) == (
        "QD 3100.pdf",
        hashlib.sha256(pdf).hexdigest(),
        "appraiser",
    )
    event = TransitionEvent.objects.get(proposal=p, trigger="approve")
    assert event.data["document"] == {
        "name": "QD 3100.pdf",
        "size": len(pdf),
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "attachment": scan.pk,
    }
    assert client.get(f"/de-an/tai-lieu/{scan.pk}/").status_code == 200


def test_an_applicant_cannot_file_a_ministry_document(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from workflow.services.portal import add_attachment

    p = national(w)
    with pytest.raises(GuardFailed):
        add_attachment(
            p.pk,
            actor=w.user("applicant"),
            now=vn(2026, 4, 2),
            kind="ministry_document",
            filename="qd.pdf",
            content=SimpleUploadedFile("qd.pdf", b"%PDF-1.4\n%%EOF\n"),
        )


def test_the_applicant_hears_of_each_national_step_in_words_of_that_step(w):
    from notifications.rendering import render

    p = national(w)
    to_ministry(w, p)
    ministry_steps(p, w.user("appraiser"))
    sent = {
        m.template: m
        for m in Outbox.objects.filter(
            recipient__username="applicant", context__tracking_code=p.tracking_code
        )
    }
    assert {
        "proposal.send_to_ministry",
        "proposal.appraise_ministry",
        "proposal.approve",
        "proposal.contract",
    } <= set(sent)
    contract = sent["proposal.contract"]
    text = render(contract.template, contract.context).body
    assert "số 12/2027/HĐ-KCQG ngày 01/02/2027, giá trị 260.000.000" in text
    assert (
        "Bộ Công Thương (Cục)"
        in render("proposal.send_to_ministry", sent["proposal.send_to_ministry"].context).body
    )


def test_the_monthly_progress_reminder_starts_with_the_contract_not_the_decision(w):
    """Monthly reports to the Cục and the Sở (TT 36 Đ23.3.a) run while the contract does: a national đề án approved
    by the Minister but not yet contracted is not reminded; once contracted it is, before the 25th."""
    from workflow.reminders import run_sweep

    p = national(w)
    to_ministry(w, p)
    fire(
        p.pk,
        "appraise_ministry",
        actor=w.user("appraiser"),
        now=vn(2026, 11, 2),
        data={"appraisal_number": "55/BB-CĐM", "appraisal_date": "2026-10-30", "amount": 270_000_000},
    )
    fire(
        p.pk,
        "approve",
        actor=w.user("appraiser"),
        now=vn(2026, 12, 15),
        data={"decision_number": "3100/QĐ-BCT", "decision_date": "2026-12-14", "amount": 260_000_000},
    )
    run_sweep(now=vn(2027, 1, 21, 7))  # 2 working days before Monday 25/01/2027
    assert not Outbox.objects.filter(template="progress.reminder").exists()
    fire(
        p.pk,
        "contract",
        actor=w.user("appraiser"),
        now=vn(2027, 2, 1),
        data={"contract_number": "12/2027/HĐ-KCQG", "contract_date": "2027-02-01"},
    )
    run_sweep(now=vn(2027, 3, 23, 7))  # 2 working days before Thursday 25/03/2027
    reminded = Outbox.objects.filter(template="progress.reminder", context__tracking_code=p.tracking_code)
    assert {m.recipient.username for m in reminded} == {"applicant"}
