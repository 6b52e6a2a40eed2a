"""Notifications on PostgreSQL: the outbox rows a transition writes, rendering, email and SMS delivery (a real
HTTP gateway on a local port), retries and failure, preferences, daily digests, and a real Celery worker."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.utils import timezone

from core.calendar import VN_TZ
from notifications.models import Delivery, Outbox, Preference
from notifications.rendering import render
from notifications.services import deliver, deliver_due, queue_message, requeue
from workflow.services.transitions import fire

from .world import T0, at, build_world, complete_proposal, drive

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def w(db):
    return build_world()


def rows(**filters):
    return sorted(Outbox.objects.filter(**filters).values_list("template", "recipient__username", "channel"))


# --- a local SMS gateway --------------------------------------------------------------------------------------


class Gateway:
    """An HTTP server on 127.0.0.1 that records every POST and answers with ``status``."""

    def __init__(self, keep_alive: bool = False) -> None:
        self.status, self.answer, self.delay = 200, b'{"status": "queued"}', 0.0
        self.requests: list[dict] = []
        self.sockets: list = []
        self.ports: list[int] = []  # the client's port of each request: one per TCP connection
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
            disable_nagle_algorithm = True

            def setup(self):
                super().setup()
                gateway.sockets.append(self.connection)

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.ports.append(self.client_address[1])
                gateway.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "content_type": self.headers.get("Content-Type"),
                        "json": json.loads(body),
                    }
                )
                time.sleep(gateway.delay)
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(gateway.answer)))
                self.end_headers()
                self.wfile.write(gateway.answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, userinfo: str = "") -> str:
        return f"http://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}/api/sms"

    def close_idle(self) -> None:
        """What a gateway does to a connection left idle: close it from its side."""
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.sockets.clear()


@pytest.fixture
def gateway(settings):
    gw = Gateway()
    settings.SMS_URL = gw.url("tok-123")
    yield gw
    gw.server.shutdown()
    gw.server.server_close()


# --- what a transition queues ---------------------------------------------------------------------------------


def test_lodge_queues_the_receipt_to_the_applicant_and_the_task_to_the_district_queue(w):
    p = complete_proposal(w)
    event = fire(p.pk, "lodge", actor=w.user("applicant"), now=T0)
    assert rows() == [
        ("proposal.lodge", "applicant", "email"),
        ("proposal.lodge", "applicant", "sms"),
        ("task.waiting", "district", "email"),
        ("task.waiting", "district", "sms"),
        ("task.waiting", "district2", "email"),
    ]
    receipt = Outbox.objects.get(template="proposal.lodge", channel="email")
    p.refresh_from_db()
    assert receipt.context == {
        "proposal": p.pk,
        "tracking_code": p.tracking_code,
        "title": p.title,
        "trigger": "lodge",
        "from": "drafted",
        "to": "lodged",
        "comment": "",
        "event": event.pk,
        "pin": event.receipt_pin,
        "dossier_due_at": p.dossier_due_at.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y"),
        "step_due_at": "17:00 09/03/2026",
    }
    assert (receipt.idempotency_key, receipt.state, receipt.digest, receipt.next_attempt_at) == (
        f"event:{event.pk}:{w.users['applicant'].pk}:email",
        "pending",
        False,
        T0,
    )
    waiting = Outbox.objects.get(template="task.waiting", recipient__username="district2")
    assert "pin" not in waiting.context  # the PIN goes to the applicant only
    assert (waiting.context["step"], waiting.context["due_at"]) == (
        "Đã nộp, chờ cấp huyện/xã",
        "17:00 09/03/2026",
    )

    text = render("proposal.lodge", receipt.context, recipient_name="applicant")
    assert text.subject == f"Biên nhận hồ sơ đề án khuyến công {p.tracking_code}"
    assert (
        f"Mã hồ sơ: {p.tracking_code}\nMã PIN tra cứu: {event.receipt_pin} (chỉ gửi một lần; vui lòng giữ kín)\n"
        "Hạn xem xét của bước tiếp theo: 17:00 09/03/2026\n" in text.body
    )
    assert text.sms == (
        f"Khuyến công: đã nhận hồ sơ {p.tracking_code}, mã PIN tra cứu {event.receipt_pin}. "
        "Hạn xem xét: 17:00 09/03/2026."
    )
    english = render("proposal.lodge", receipt.context, language="en", recipient_name="applicant")
    assert english.subject == f"Receipt for industrial promotion proposal {p.tracking_code}"


def test_the_main_path_tells_the_applicant_each_step_and_each_next_queue_its_task(w):
    p = drive(w, complete_proposal(w), "approve")
    assert rows() == sorted(
        [
            ("proposal.lodge", "applicant", "email"),
            ("proposal.lodge", "applicant", "sms"),
            ("task.waiting", "district", "email"),
            ("task.waiting", "district", "sms"),
            ("task.waiting", "district2", "email"),
            ("proposal.district_submit", "applicant", "email"),
            ("proposal.district_submit", "applicant", "sms"),
            ("task.waiting", "appraiser", "email"),
            ("task.waiting", "appraiser2", "email"),
            ("proposal.appraise", "applicant", "email"),
            ("proposal.appraise", "applicant", "sms"),
            ("task.waiting", "finance", "email"),
            ("proposal.verify_finance", "applicant", "email"),
            ("proposal.verify_finance", "applicant", "sms"),
            ("task.waiting", "approver", "email"),
            ("proposal.approve", "applicant", "email"),
            ("proposal.approve", "applicant", "sms"),
            # The approved đề án waits for acceptance by the province's appraisers.
            ("task.waiting", "appraiser", "email"),
            ("task.waiting", "appraiser2", "email"),
        ]
    )
    approval = Outbox.objects.get(template="proposal.approve", channel="sms")
    assert {k: approval.context[k] for k in ("decision_number", "decision_date", "amount")} == {
        "decision_number": "123/QĐ-UBND",
        "decision_date": "20/03/2026",
        "amount": "280.000.000\u00a0₫",
    }
    assert render("proposal.approve", approval.context).sms == (
        f"Khuyến công: đề án {p.tracking_code} đã được phê duyệt (QĐ 123/QĐ-UBND), kinh phí 280.000.000\u00a0₫."
    )


def test_return_for_revision_sends_the_reason_and_nothing_to_staff(w):
    p = drive(w, complete_proposal(w), "lodge")
    Outbox.objects.all().delete()
    fire(p.pk, "return_for_revision", actor=w.user("district"), now=at(3), comment="Bổ sung báo giá thứ hai")
    assert rows() == [
        ("proposal.return_for_revision", "applicant", "email"),
        ("proposal.return_for_revision", "applicant", "sms"),
    ]
    sms = Outbox.objects.get(channel="sms")
    assert render(sms.template, sms.context).sms == (
        f"Khuyến công: đề án {p.tracking_code} được trả lại để bổ sung: Bổ sung báo giá thứ hai"
    )


def test_settlement_tells_the_applicant_what_is_still_owed(w):
    p = drive(w, complete_proposal(w), "settle")
    row = Outbox.objects.get(template="proposal.settle", channel="email")
    assert render(row.template, row.context).subject == f"Đề án {p.tracking_code} đã được quyết toán"
    assert (
        "quyết toán 275.000.000\u00a0₫; đã tạm ứng 0\u00a0₫.\nSố còn được thanh toán: 275.000.000\u00a0₫."
        in (render(row.template, row.context).body)
    )


def test_a_repeated_key_writes_nothing(w):
    applicant = w.user("applicant")
    assert queue_message(recipients=[applicant], template="task.due_soon", context={}, key="k", now=T0) == 2
    assert queue_message(recipients=[applicant], template="task.due_soon", context={}, key="k", now=T0) == 0
    assert Outbox.objects.count() == 2


def test_the_outbox_row_holds_exactly_what_was_queued(w):
    """The rows reach PostgreSQL as one JSON document: text with quotes and accents, nested values, a date and
    the next attempt's microseconds come back as they were queued; a key repeated in one call is written once."""
    applicant = w.user("applicant")
    now = T0.replace(microsecond=123456)
    context = {
        "title": 'Đề án "Máy sấy nông sản" – xã Tân Phú\\n',
        "amount": 1_250_000_000,
        "items": [{"name": "máy", "qty": 2}, None, True],
        "accepted_on": dt.date(2026, 3, 10),
    }
    assert (
        queue_message(
            recipients=[applicant, applicant], template="task.due_soon", context=context, key="x", now=now
        )
        == 2
    )
    stored = list(
        Outbox.objects.filter(idempotency_key__startswith="x:")
        .order_by("channel")
        .values_list(
            "recipient",
            "channel",
            "template",
            "context",
            "idempotency_key",
            "digest",
            "next_attempt_at",
            "state",
            "attempts",
            "last_error",
            "created_at",
        )
    )
    expected_context = {**context, "accepted_on": "2026-03-10"}
    assert stored == [
        (
            applicant.pk,
            "email",
            "task.due_soon",
            expected_context,
            f"x:{applicant.pk}:email",
            False,
            now,
            "pending",
            0,
            "",
            now,
        ),
        (
            applicant.pk,
            "sms",
            "task.due_soon",
            expected_context,
            f"x:{applicant.pk}:sms",
            False,
            now,
            "pending",
            0,
            "",
            now,
        ),
    ]


# --- email and SMS delivery -----------------------------------------------------------------------------------


def test_delivery_sends_email_and_sms_and_keeps_the_pin_out_of_the_log(w, gateway):
    p = complete_proposal(w)
    event = fire(p.pk, "lodge", actor=w.user("applicant"), now=T0)
    p.refresh_from_db()
    assert deliver_due(now=T0) == {"sent": 5}
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("applicant@example.vn", f"Biên nhận hồ sơ đề án khuyến công {p.tracking_code}"),
        ("district2@example.vn", f"Đề án {p.tracking_code} chờ xử lý: Đã nộp, chờ cấp huyện/xã"),
        ("district@example.vn", f"Đề án {p.tracking_code} chờ xử lý: Đã nộp, chờ cấp huyện/xã"),
    ]
    receipt = next(m for m in mail.outbox if m.to == ["applicant@example.vn"])
    assert receipt.body.startswith("Kính gửi applicant,\n\nHệ thống đã nhận hồ sơ đề án “Hỗ trợ ứng dụng máy")
    assert f"Mã PIN tra cứu: {event.receipt_pin} " in receipt.body
    assert sorted((r["json"]["to"], r["json"]["text"]) for r in gateway.requests) == [
        ("+84911111111", f"Khuyen cong: de an {p.tracking_code} cho xu ly, han 17:00 09/03/2026."),
        (
            "+84912345678",
            f"Khuyen cong: da nhan ho so {p.tracking_code}, ma PIN tra cuu {event.receipt_pin}. "
            "Han xem xet: 17:00 09/03/2026.",
        ),
    ]
    # Sent once; the PIN is masked in the outbox and in the delivery log an administrator can search.
    assert set(Outbox.objects.values_list("state", "attempts", "sent_at")) == {("sent", 1, T0)}
    assert Outbox.objects.get(template="proposal.lodge", channel="sms").context["pin"] == "••••••"
    log = Delivery.objects.get(channel="email", recipient__username="applicant")
    assert (log.outcome, log.address, log.error) == ("sent", "applicant@example.vn", "")
    assert "Mã PIN tra cứu: •••••• " in log.body and event.receipt_pin not in log.body
    assert Delivery.objects.count() == 5
    assert deliver_due(now=T0 + dt.timedelta(hours=1)) == {}


def test_sms_gateway_receives_the_exact_json_with_the_bearer_token(w, gateway, settings):
    settings.SMS_URL, settings.SMS_TOKEN = gateway.url(), "from-env-token"
    user = w.user("district")
    queue_message(
        recipients=[user],
        template="task.due_today",
        key="t1",
        now=T0,
        channels=["sms"],
        context={"tracking_code": "KC2026-000009", "due_at": "17:00 02/03/2026"},
    )
    assert deliver_due(now=T0) == {"sent": 1}
    assert gateway.requests == [
        {
            "path": "/api/sms",
            "authorization": "Bearer from-env-token",
            "content_type": "application/json; charset=utf-8",
            "json": {
                "to": "+84911111111",
                "text": "Khuyen cong: de an KC2026-000009 den han xu ly hom nay (17:00 02/03/2026).",
                "sender": "KHUYENCONG",
                "reference": f"t1:{user.pk}:sms",
            },
        }
    ]


def test_a_failing_gateway_is_retried_with_backoff_then_marked_failed(w, gateway, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "MAX_ATTEMPTS": 3, "RETRY_BASE_SECONDS": 60}
    gateway.status, gateway.answer = 500, b"gateway down"
    queue_message(
        recipients=[w.user("district")],
        template="task.overdue",
        key="late",
        now=T0,
        channels=["sms"],
        context={"tracking_code": "KC2026-000009", "due_at": "17:00 02/03/2026"},
    )
    row = Outbox.objects.get()

    assert deliver_due(now=T0) == {"retry": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts, row.next_attempt_at, row.last_error) == (
        "pending",
        1,
        T0 + dt.timedelta(seconds=60),
        "SMS gateway HTTP 500: gateway down",
    )
    assert deliver_due(now=T0 + dt.timedelta(seconds=59)) == {}  # not due yet
    assert deliver_due(now=T0 + dt.timedelta(seconds=60)) == {"retry": 1}
    row.refresh_from_db()
    assert (row.attempts, row.next_attempt_at) == (2, T0 + dt.timedelta(seconds=180))
    assert deliver_due(now=T0 + dt.timedelta(seconds=180)) == {"failed": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error, row.sent_at) == (
        "failed",
        3,
        "SMS gateway HTTP 500: gateway down",
        None,
    )
    assert deliver_due(now=T0 + dt.timedelta(days=1)) == {}
    assert len(gateway.requests) == 3
    assert list(Delivery.objects.order_by("id").values_list("outcome", "error")) == [
        ("retry", "SMS gateway HTTP 500: gateway down")
    ] * 2 + [("failed", "SMS gateway HTTP 500: gateway down")]

    # An administrator requeues it once the gateway is back.
    gateway.status, gateway.answer = 200, b"{}"
    assert requeue([row.pk], now=T0 + dt.timedelta(days=1)) == 1
    assert deliver_due(now=T0 + dt.timedelta(days=1)) == {"sent": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 1, "")


def test_an_unreachable_gateway_is_a_retryable_failure(w, settings):
    settings.SMS_URL = "http://127.0.0.1:9/sms"  # discard port: connection refused
    queue_message(
        recipients=[w.user("district")],
        template="task.overdue",
        key="late",
        now=T0,
        channels=["sms"],
        context={},
    )
    assert deliver_due(now=T0) == {"retry": 1}
    assert Outbox.objects.get().last_error.startswith("SMS gateway unreachable: ")


# --- preferences and digests ----------------------------------------------------------------------------------


def test_email_only_preference(w):
    Preference.objects.create(user=w.users["applicant"], sms=False)
    Preference.objects.create(user=w.users["district"], email=False)
    fire(complete_proposal(w).pk, "lodge", actor=w.user("applicant"), now=T0)
    assert rows() == [
        ("proposal.lodge", "applicant", "email"),
        ("task.waiting", "district", "sms"),
        ("task.waiting", "district2", "email"),
    ]


def test_a_person_read_as_columns_gets_the_rows_a_user_object_gets(w):
    """The transition reads its recipients as columns (notifications.services.recipient), other callers pass
    users: the same people give the same rows, preference or none, address or none."""
    from notifications.services import RECIPIENT_COLUMNS, Notice, queue_notices, recipient

    Preference.objects.create(user=w.users["applicant"], sms=False, frequency="daily")
    Preference.objects.create(user=w.users["district"], email=False)
    w.users["district2"].phone = "+84922222222"  # no preference row: email and SMS, immediately
    w.users["district2"].save(update_fields=["phone"])
    names = ["applicant", "district", "district2", "appraiser"]
    users = list(
        type(w.users["applicant"])
        .objects.filter(username__in=names)
        .select_related("notification_preference")
    )
    people = [
        recipient(*row)
        for row in type(w.users["applicant"])
        .objects.filter(username__in=names)
        .values_list(*RECIPIENT_COLUMNS)
    ]

    def written(key, recipients):
        queue_notices([Notice(tuple(recipients), "task.waiting", {}, key)], now=T0)
        return sorted(
            Outbox.objects.filter(idempotency_key__startswith=f"{key}:").values_list(
                "recipient__username", "channel", "digest", "next_attempt_at"
            )
        )

    as_users, as_columns = written("u", users), written("c", people)
    assert (
        as_users
        == as_columns
        == [
            ("applicant", "email", True, dt.datetime(2026, 3, 3, 7, 0, tzinfo=VN_TZ)),
            ("appraiser", "email", False, T0),  # no phone number
            ("district", "sms", False, T0),
            ("district2", "email", False, T0),
            ("district2", "sms", False, T0),
        ]
    )


def test_daily_digest_gathers_the_days_messages_into_one_email(w):
    Preference.objects.create(user=w.users["applicant"], frequency="daily", sms=False)
    p = complete_proposal(w)
    fire(p.pk, "lodge", actor=w.user("applicant"), now=T0)
    fire(
        p.pk,
        "district_submit",
        actor=w.user("district"),
        now=T0 + dt.timedelta(hours=2),
        comment="Đề nghị Sở xem xét",
    )
    fire(
        p.pk,
        "return_for_revision",
        actor=w.user("appraiser"),
        now=T0 + dt.timedelta(hours=5),
        comment="Thiếu báo giá",
    )
    tomorrow_7am = dt.datetime(2026, 3, 3, 7, 0, tzinfo=VN_TZ)
    mine = Outbox.objects.filter(recipient__username="applicant").order_by("id")
    # The receipt (PIN) never waits; the other two wait for the next morning's digest.
    assert list(mine.values_list("template", "digest", "next_attempt_at")) == [
        ("proposal.lodge", False, T0),
        ("proposal.district_submit", True, tomorrow_7am),
        ("proposal.return_for_revision", True, tomorrow_7am),
    ]
    deliver_due(now=T0 + dt.timedelta(hours=6))
    assert [m.subject for m in mail.outbox if m.to == ["applicant@example.vn"]] == [
        f"Biên nhận hồ sơ đề án khuyến công {p.tracking_code}"
    ]
    mail.outbox.clear()

    deliver_due(now=tomorrow_7am)
    digest = [m for m in mail.outbox if m.to == ["applicant@example.vn"]]
    assert [m.subject for m in digest] == ["Khuyến công: 2 thông báo ngày 03/03/2026"]
    assert digest[0].body.startswith(
        "Kính gửi applicant,\n\nBản tổng hợp 2 thông báo của hệ thống khuyến công:\n\n"
        f"1. Đề án {p.tracking_code} đã được trình Sở Công Thương\n\n"
    )
    assert f"\n\n2. Đề án {p.tracking_code} được trả lại để bổ sung\n\n" in digest[0].body
    assert "Lý do / ý kiến: Thiếu báo giá" in digest[0].body
    log = Delivery.objects.get(recipient__username="applicant", subject__startswith="Khuyến công: 2")
    assert sorted(log.messages.values_list("template", flat=True)) == [
        "proposal.district_submit",
        "proposal.return_for_revision",
    ]
    assert set(mine.values_list("state", flat=True)) == {"sent"}


# --- concurrency and the real worker --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_delivering_the_same_row_send_it_once(gateway):
    w = build_world()
    now = timezone.now()
    row = Outbox.objects.create(
        recipient=w.users["district"],
        channel="sms",
        template="task.overdue",
        context={"tracking_code": "KC2026-000009", "due_at": "x"},
        idempotency_key="race",
        created_at=now,
        next_attempt_at=now,
    )
    gateway.delay = 0.5
    outcomes, barrier = [], threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            outcomes.append(deliver(row.pk, now=now))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes, key=str) == [None, "sent"]
    assert len(gateway.requests) == 1
    assert Delivery.objects.filter(messages=row).count() == 1


@pytest.fixture
def celery_worker():
    """A real ``celery worker`` process on Redis, on a queue of its own, reading the test database."""
    from django.conf import settings

    from config.celery import app

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs Redis as the Celery broker (REDIS_URL)")
    queue = f"kc-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "REDIS_URL": settings.REDIS_URL,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    log = open(ROOT / "var" / f"{queue}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield proc
    finally:
        app.conf.task_default_queue = previous
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        (ROOT / "var" / f"{queue}.log").unlink(missing_ok=True)


def wait_until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_delivers_each_row_exactly_once(celery_worker):
    from notifications.tasks import deliver_outbox, deliver_pending

    w = build_world()
    with transaction.atomic():  # delivery is queued only when this commits
        queue_message(
            recipients=[w.users["district"]],
            template="task.waiting",
            key="first",
            now=timezone.now(),
            context={"tracking_code": "KC2026-000009", "step": "Thẩm định", "due_at": "17:00 02/03/2027"},
        )
    first = list(Outbox.objects.filter(idempotency_key__startswith="first:").order_by("channel"))
    assert [r.channel for r in first] == ["email", "sms"]
    assert wait_until(lambda: set(Outbox.objects.values_list("state", flat=True)) == {"sent"}), (
        "the worker did not deliver; see its log in var/"
    )

    # A duplicate task, a sweep, then a sentinel row: when the sentinel is sent the worker has run all three.
    for r in first:
        deliver_outbox.delay(r.pk)
    deliver_pending.delay()
    with transaction.atomic():
        queue_message(
            recipients=[w.users["district"]],
            template="task.waiting",
            key="sentinel",
            now=timezone.now(),
            context={"tracking_code": "KC2026-000010"},
            channels=["email"],
        )
    assert wait_until(
        lambda: Outbox.objects.filter(idempotency_key__startswith="sentinel:", state="sent").exists()
    )
    for r in first:
        r.refresh_from_db()
        assert (r.state, r.attempts) == ("sent", 1)
        assert list(Delivery.objects.filter(messages=r).values_list("outcome", "address")) == [
            ("sent", "district@example.vn" if r.channel == "email" else "+84911111111")
        ]
    assert celery_worker.poll() is None


def test_messages_to_a_gateway_share_one_kept_alive_connection_and_survive_its_closing(w, settings):
    """A worker sends message after message over one HTTP/1.1 connection; when the gateway has closed it while
    idle, the next message goes out on a new one, and every message reaches the gateway exactly once."""
    gw = Gateway(keep_alive=True)
    settings.SMS_URL = gw.url("tok-123")
    try:
        people = [w.users["district"], w.users["applicant"]]  # both have a mobile number
        for key in ("ka0", "ka1"):
            queue_message(
                recipients=people, template="task.waiting", key=key, now=T0, context={}, channels=["sms"]
            )
        assert deliver_due(now=T0) == {"sent": 4}
        assert len(set(gw.ports)) == 1  # one TCP connection for the four

        gw.close_idle()
        time.sleep(0.1)
        queue_message(
            recipients=people, template="task.waiting", key="after", now=T0, context={}, channels=["sms"]
        )
        assert deliver_due(now=T0) == {"sent": 2}
        refs = [r["json"]["reference"] for r in gw.requests]
        assert len(refs) == len(set(refs)) == 6  # nothing sent twice, nothing lost
        assert len(set(gw.ports[4:])) == 1 and gw.ports[4] != gw.ports[0]  # a new connection after the close
        assert Delivery.objects.filter(outcome="sent").count() == 6
    finally:
        gw.server.shutdown()
        gw.server.server_close()


def test_a_delivery_batch_costs_the_same_statements_whatever_its_size(w, gateway):
    """One delivery task sends its rows in one transaction: one locking read, then the log rows, their links
    and the outbox states in one statement each, for 2 messages as for 12; each message logged once."""
    from django.test.utils import CaptureQueriesContext

    from notifications.services import deliver_many

    people = [w.users["district"], w.users["applicant"]]

    def batch(tag: str, n: int) -> tuple[int, list[int]]:
        for i in range(n // 2):
            queue_message(
                recipients=people,
                template="task.waiting",
                key=f"{tag}{i}",
                now=T0,
                context={},
                channels=["sms"],
            )
        ids = list(Outbox.objects.filter(idempotency_key__startswith=tag).values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as captured:
            outcomes = deliver_many(ids, now=T0)
        assert sorted(outcomes.values()) == ["sent"] * n
        return len(captured.captured_queries), ids

    small, _ = batch("small", 2)
    large, ids = batch("large", 12)
    assert small == large
    assert set(Outbox.objects.filter(pk__in=ids).values_list("state", "attempts")) == {("sent", 1)}
    assert Delivery.objects.filter(messages__in=ids).count() == 12
    assert len(gateway.requests) == 14


class DeliveryQueue:
    """A Redis queue of the test's own that the delivery tasks published meanwhile go to."""

    def __init__(self, broker, name: str):
        self.broker, self.name = broker, name

    def __len__(self) -> int:
        return self.broker.llen(self.name)

    def tasks(self) -> list[dict]:
        """The task messages, in the order they were published."""
        return [json.loads(m) for m in reversed(self.broker.lrange(self.name, 0, -1))]

    def batches(self) -> list[list[int]]:
        """The outbox ids each task carries."""
        import base64

        return [json.loads(base64.b64decode(t["body"]))[0][0] for t in self.tasks()]

    def clear(self) -> None:
        self.broker.delete(self.name)


@pytest.fixture
def delivery_queue(settings):
    import redis as redis_client

    from config.celery import app

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs Redis as the Celery broker (REDIS_URL)")
    queue = DeliveryQueue(
        redis_client.Redis.from_url(settings.CELERY_BROKER_URL), f"kc-test-{uuid.uuid4().hex[:8]}"
    )
    previous, app.conf.task_default_queue = app.conf.task_default_queue, queue.name
    try:
        yield queue
    finally:
        app.conf.task_default_queue = previous
        queue.clear()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_commits_close_together_share_one_delivery_task(settings, delivery_queue):
    """The publisher thread waits PUBLISH_WINDOW_SECONDS after a hand-over for others to fill a task: three
    transactions of two rows each, committed within the window, go out as one task of six ids."""
    from notifications.services import wait_for_publisher

    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "DELIVERY_BATCH": 6,
        "PUBLISH_WINDOW_SECONDS": 5.0,
        "PUBLISH_TASKS": 1,
    }
    w = build_world()
    assert wait_for_publisher(10)
    for key in ("c1", "c2", "c3"):
        with transaction.atomic():
            queue_message(
                recipients=[w.users["district"]], template="task.waiting", key=key, now=T0, context={}
            )
    written = sorted(Outbox.objects.values_list("pk", flat=True))
    deadline = time.monotonic() + 4
    while len(delivery_queue) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    # PUBLISH_TASKS full tasks (one, here) go out at once, before the window ends, with no one waiting.
    assert len(written) == 6 and delivery_queue.batches() == [written]
    assert wait_for_publisher(10)

    # A task that is not full waits out the window, unless someone waits for the publisher: then it goes
    # out at once (well within wait_for_publisher's 10 s, against a window of a minute).
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "PUBLISH_WINDOW_SECONDS": 60.0}
    delivery_queue.clear()
    with transaction.atomic():
        queue_message(recipients=[w.users["district"]], template="task.waiting", key="c4", now=T0, context={})
    assert wait_for_publisher(10)
    (batch,) = delivery_queue.batches()
    assert len(batch) == 2


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_within_the_window_only_full_tasks_go_out_and_the_rest_waits_for_more(settings, delivery_queue):
    """Two commits of three rows, with four ids to a task and a publish once one task is full: the first full
    task goes out at once and the two ids left over wait for the next hand-overs (not a second, half-empty
    task), until someone waits for the publisher. Each task's headers show its ids."""
    from notifications.services import wait_for_publisher

    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "DELIVERY_BATCH": 4,
        "PUBLISH_WINDOW_SECONDS": 60.0,
        "PUBLISH_TASKS": 1,
    }
    w = build_world()
    people = [w.users["district"], w.users["applicant"], w.users["appraiser"]]
    assert wait_for_publisher(10)
    for key in ("d1", "d2"):
        with transaction.atomic():
            queue_message(
                recipients=people, template="task.waiting", key=key, now=T0, context={}, channels=["email"]
            )
    written = sorted(Outbox.objects.values_list("pk", flat=True))
    assert len(written) == 6
    deadline = time.monotonic() + 10
    while len(delivery_queue) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # time enough for a second task, were one sent
    assert len(delivery_queue.tasks()) == 1
    assert wait_for_publisher(10)  # the two left over go out now
    batches = delivery_queue.batches()
    assert [len(b) for b in batches] == [4, 2]
    assert sorted(pk for b in batches for pk in b) == written
    assert [t["headers"]["argsrepr"] for t in delivery_queue.tasks()] == [repr((b,)) for b in batches]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_full_tasks_of_a_window_wait_for_it_and_go_out_in_one_publish(settings, delivery_queue):
    """Each publish costs a round trip to Redis, so within the window full tasks wait too, until the thread holds
    PUBLISH_TASKS of them: three commits of two rows, two ids to a task and three tasks to a publish, give
    nothing after the first two commits (two full tasks, the window not over) and all three tasks at the third."""
    from notifications.services import wait_for_publisher

    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "DELIVERY_BATCH": 2,
        "PUBLISH_WINDOW_SECONDS": 60.0,
        "PUBLISH_TASKS": 3,
    }
    w = build_world()
    assert wait_for_publisher(10)
    for key in ("w1", "w2"):
        with transaction.atomic():
            queue_message(
                recipients=[w.users["district"]], template="task.waiting", key=key, now=T0, context={}
            )
    time.sleep(0.3)  # time enough for a publish, were one due
    assert len(delivery_queue) == 0
    with transaction.atomic():
        queue_message(recipients=[w.users["district"]], template="task.waiting", key="w3", now=T0, context={})
    deadline = time.monotonic() + 5
    while len(delivery_queue) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    written = sorted(Outbox.objects.values_list("pk", flat=True))
    assert len(written) == 6 and delivery_queue.batches() == [written[0:2], written[2:4], written[4:6]]
    assert wait_for_publisher(10)
    assert len(delivery_queue) == 3


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_commit_hands_its_rows_to_the_broker_in_batches_from_the_publisher_thread(settings, delivery_queue):
    """The request does not publish: after commit the new ids go to the process's publisher thread, which puts
    one ``deliver_batch`` task per DELIVERY_BATCH ids on the broker; a rolled-back transaction publishes none."""
    from notifications.services import wait_for_publisher

    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DELIVERY_BATCH": 4}
    w = build_world()
    people = [w.users["district"], w.users["applicant"]]
    with transaction.atomic():
        for key in ("b1", "b2", "b3"):
            queue_message(recipients=people, template="task.waiting", key=key, now=T0, context={})
        written = sorted(Outbox.objects.values_list("pk", flat=True))
        assert len(delivery_queue) == 0  # nothing before the commit
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_message(recipients=people, template="task.waiting", key="rolled-back", now=T0, context={})
        raise RuntimeError
    assert wait_for_publisher(10)
    assert {t["headers"]["task"] for t in delivery_queue.tasks()} == {"notifications.tasks.deliver_batch"}
    batches = delivery_queue.batches()
    assert len(written) == 12 and [len(b) for b in batches] == [4, 4, 4]
    assert sorted(pk for b in batches for pk in b) == written
