"""The reminder sweep at fixed times: deadlines across Tết 2027 (journeys.md §7), escalation to the unit head,
the monthly progress report, idempotency, the management command and the beat schedule."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from core.calendar import VN_TZ
from notifications.models import Outbox
from workflow.models import Task
from workflow.reminders import run_sweep
from workflow.services.implementation import submit_progress_report
from workflow.services.tasks import claim
from workflow.services.transitions import fire

from .world import build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db


def vn(y, m, d, h=8, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=VN_TZ)


@pytest.fixture
def w():
    return build_world()


@pytest.fixture
def tet(w):
    """Two đề án whose appraisal opened on Tuesday 2/2/2027: one claimed by appraiser2, one in the queue."""
    tasks = {}
    for name in ("claimed", "queued"):
        p = complete_proposal(w, now=vn(2027, 2, 1), title=f"Đề án {name}")
        fire(p.pk, "lodge", actor=w.user("applicant"), now=vn(2027, 2, 1, 9))
        fire(
            p.pk,
            "district_submit",
            actor=w.user("district"),
            now=vn(2027, 2, 2, 9),
            comment="Đề nghị Sở xem xét",
        )
        tasks[name] = Task.objects.get(proposal=p, completed_at__isnull=True)
    claim(tasks["claimed"].pk, actor=w.user("appraiser2"), now=vn(2027, 2, 2, 10))
    Outbox.objects.all().delete()  # the transitions' own messages are another test's business
    return tasks


def test_the_appraisal_deadline_falls_after_tet(tet):
    # 15 working days from 2/2/2027, not counting 4–10/2 (Tết) nor weekends.
    assert {t.due_at for t in tet.values()} == {vn(2027, 3, 2, 17)}


def test_sweep_across_tet_sends_each_reminder_once_on_the_right_day(tet):
    claimed, queued = tet["claimed"].pk, tet["queued"].pk
    written_by_day = {}
    day = dt.date(2027, 2, 2)
    while day <= dt.date(2027, 3, 12):
        for hour in (7, 8, 15):  # the beat runs several times a day; only the first run of a day writes
            written = run_sweep(now=vn(day.year, day.month, day.day, hour, 30))
            if written:
                written_by_day[(day, hour)] = written
        day += dt.timedelta(days=1)

    assert written_by_day == {
        (dt.date(2027, 2, 26), 7): {"task.due_soon": 3},  # Friday: two working days before Tuesday 2/3
        (dt.date(2027, 3, 2), 7): {"task.due_today": 3},
        (dt.date(2027, 3, 3), 7): {"task.overdue": 3},  # the morning after
        (dt.date(2027, 3, 8), 7): {"task.escalated": 2},  # three more working days: Thu 4, Fri 5, Mon 8
    }
    sent = sorted(Outbox.objects.values_list("template", "context__task", "recipient__username", "channel"))
    assert sent == sorted(
        [
            # The holder hears of their task; the unclaimed task goes to the appraisers' queue (no phones: email).
            ("task.due_soon", claimed, "appraiser2", "email"),
            ("task.due_soon", queued, "appraiser", "email"),
            ("task.due_soon", queued, "appraiser2", "email"),
            ("task.due_today", claimed, "appraiser2", "email"),
            ("task.due_today", queued, "appraiser", "email"),
            ("task.due_today", queued, "appraiser2", "email"),
            ("task.overdue", claimed, "appraiser2", "email"),
            ("task.overdue", queued, "appraiser", "email"),
            ("task.overdue", queued, "appraiser2", "email"),
            # The head of the province unit (department_head) hears of both.
            ("task.escalated", claimed, "head", "email"),
            ("task.escalated", queued, "head", "email"),
        ]
    )
    escalation = Outbox.objects.get(template="task.escalated", context__task=claimed)
    assert escalation.idempotency_key == f"task:{claimed}:escalated:{escalation.recipient_id}:email"
    assert {k: escalation.context[k] for k in ("due_at", "working_days_late", "holder", "unit", "step")} == {
        "due_at": "17:00 02/03/2027",
        "working_days_late": 4,
        "holder": "appraiser2",
        "unit": "Tỉnh Bình Phước",
        "step": "Huyện/xã đã trình Sở Công Thương",
    }
    assert escalation.created_at == vn(2027, 3, 8, 7, 30)


def test_a_worker_restart_does_not_send_again(tet):
    assert run_sweep(now=vn(2027, 3, 8, 7, 30)) == {"task.overdue": 3, "task.escalated": 2}
    # Delivered, then the sweep runs again (a restarted worker, a second beat): nothing new.
    Outbox.objects.update(state="sent")
    assert run_sweep(now=vn(2027, 3, 8, 7, 30)) == {}
    assert run_sweep(now=vn(2027, 3, 9, 7, 30)) == {}
    assert Outbox.objects.count() == 5


def test_the_escalation_delay_is_configurable(tet, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "ESCALATE_AFTER_WORKING_DAYS": 1}
    assert run_sweep(now=vn(2027, 3, 3, 7, 30)) == {"task.overdue": 3}
    assert run_sweep(now=vn(2027, 3, 4, 7, 30)) == {"task.escalated": 2}


def test_no_reminders_on_a_day_off_and_none_for_completed_tasks(tet, w):
    assert (
        run_sweep(now=vn(2027, 2, 27, 9)) == {}
    )  # Saturday: the Friday sweep already sent, Monday catches up
    fire(
        tet["claimed"].proposal_id,
        "appraise",
        actor=w.user("appraiser2"),
        now=vn(2027, 3, 1, 9),
        data={
            "verdict": "pass",
            "score": 85,
            "recommended_amount": 280_000_000,
            "opinions": {
                "policy_fit": "Phù hợp",
                "objectives_budget": "Hợp lý",
                "capacity": "Đủ năng lực",
                "integration": "Không trùng lặp",
                "dossier": "Đầy đủ",
            },
        },
    )
    Outbox.objects.exclude(template__startswith="task.due").delete()
    assert run_sweep(now=vn(2027, 3, 1, 7, 30)) == {"task.due_soon": 2}  # only the queued one is left
    assert set(Outbox.objects.values_list("context__task", flat=True)) == {tet["queued"].pk}


def test_monthly_progress_report_reminder_before_the_25th(w):
    approved = drive(w, complete_proposal(w), "approve")  # approved on 20/3/2026
    other = drive(w, complete_proposal(w, title="Đề án khác"), "lodge")
    fire(
        other.pk, "withdraw", actor=w.user("applicant"), now=vn(2026, 3, 5, 9)
    )  # not approved: no report due
    Outbox.objects.all().delete()
    # 25/3/2026 is a Wednesday: the reminder goes out two working days before, on Monday 23/3.
    assert run_sweep(now=vn(2026, 3, 20, 7, 30)) == {}
    assert run_sweep(now=vn(2026, 3, 23, 7, 30)) == {"progress.reminder": 2}
    assert run_sweep(now=vn(2026, 3, 24, 7, 30)) == {}
    assert sorted(Outbox.objects.values_list("idempotency_key", "recipient__username", "channel")) == [
        (f"progress:{approved.pk}:2026-03:{w.users['applicant'].pk}:email", "applicant", "email"),
        (f"progress:{approved.pk}:2026-03:{w.users['applicant'].pk}:sms", "applicant", "sms"),
    ]
    row = Outbox.objects.get(channel="email")
    assert (row.context["month"], row.context["deadline"]) == ("03/2026", "25/03/2026")

    # April: the report already went in on the 10th, so no reminder; May: no report yet, reminder again.
    submit_progress_report(
        approved.pk,
        actor=w.user("applicant"),
        now=vn(2026, 4, 10, 9),
        period=dt.date(2026, 4, 1),
        percent_complete=40,
        summary="Đã lắp đặt máy",
    )
    assert run_sweep(now=vn(2026, 4, 23, 7, 30)) == {}
    assert run_sweep(now=vn(2026, 5, 21, 7, 30)) == {"progress.reminder": 2}  # 25/5 is a Monday


def test_send_reminders_command_runs_the_sweep_once(tet):
    out = StringIO()
    call_command("send_reminders", "--now", "2027-02-26T07:30:00+07:00", stdout=out)
    assert out.getvalue() == "task.due_soon: 3\ntotal: 3\n"
    out = StringIO()
    call_command("send_reminders", "--now", "2027-02-26T08:30", stdout=out)  # local time when no offset
    assert out.getvalue() == "total: 0\n"


def test_the_beat_schedule_runs_both_sweeps():
    from config.celery import app

    app.loader.import_default_modules()
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert sorted(entry["task"] for entry in schedule.values()) == [
        "notifications.tasks.deliver_pending",
        "workflow.tasks.send_reminders",
    ]
    assert all(entry["task"] in app.tasks for entry in schedule.values())
    assert app.conf.task_acks_late and app.conf.worker_prefetch_multiplier == 1
