"""Task boxes kept in Redis per user while nothing they show has changed (core/pages.py): a kept page is the page
that would be built, every write through Django ends it at once, the clock ends it where a badge would change,
and what must never be kept (a message, another person's token, a filtered box) is not."""

import datetime as dt
import re
import threading
import time

import pytest
import redis
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import pages
from core.templatetags import shell
from workflow.models import Task
from workflow.selectors import PageProposal, TaskFilters, TaskPage, TaskRow
from workflow.services.tasks import claim

from .world import at, build_world, complete_proposal, drive

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
QUEUE, INBOX = "/cong-viec/hang-cho/", "/cong-viec/cua-toi/"


@pytest.fixture
def w(settings, monkeypatch):
    settings.KC_PAGE_CACHE = True
    monkeypatch.setattr(pages, "_down_until", 0.0)
    monkeypatch.setattr(pages, "_owed", False)
    shell.clear()
    pages.changed()  # this test's rows were written before the switch was on
    yield build_world()
    shell.clear()


def signed_in(w, name, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(w.user(name))
    return client


def get(client, url, **headers):
    """(page with its tokens blanked, statements sent, tokens)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    html = response.content.decode()
    return TOKEN.sub("csrf", html), [q["sql"] for q in ctx.captured_queries], TOKEN.findall(html)


def built(sql) -> bool:
    """Whether the page was built (its rows read) rather than served from the kept copy."""
    return any("workflow_task" in s for s in sql)


def rows(html) -> list[str]:
    return re.findall(r'data-task="(\d+)"', html)


def generation(*, settled=True) -> int:
    """The counter in Redis, once this process's owed step is taken (``settled``: the step thread may not have run
    yet)."""
    if settled:
        pages.settle()
    return int(pages._client().get(pages.GENERATION))


def test_a_kept_box_is_the_page_built_and_only_the_user_is_read_for_it(w):
    for i in range(3):
        drive(w, complete_proposal(w, title=f"Đề án {i}"), "lodge")
    client = signed_in(w, "district", enforce_csrf_checks=True)
    first, sql, first_tokens = get(client, QUEUE)
    assert built(sql) and len(rows(first)) == 3
    page, sql, tokens = get(client, QUEUE)
    assert page == first
    # The user with their groups, nothing else: no rows, no counts, no session statement.
    assert len(sql) == 1 and "core_user" in sql[0] and not built(sql)
    # Each request has its own masked token, and it is one this session's forms accept.
    assert len(set(first_tokens)) == len(set(tokens)) == 1 and tokens[0] != first_tokens[0]
    task = rows(page)[0]
    response = client.post(reverse("tasks:claim", args=[task]), {"csrfmiddlewaretoken": tokens[0]})
    assert response.status_code == 302
    assert Task.objects.get(pk=task).assignee == w.user("district")


def test_a_claim_by_someone_else_shows_on_the_next_page(w):
    tasks = [drive(w, complete_proposal(w, title=f"Đề án {i}"), "lodge").tasks.get() for i in range(3)]
    client = signed_in(w, "district")
    get(client, QUEUE)
    html, sql, _ = get(client, QUEUE)
    assert not built(sql) and len(rows(html)) == 3
    claim(tasks[0].pk, actor=w.user("district2"), now=at(1))  # committed by the service
    html, sql, _ = get(client, QUEUE)
    assert built(sql)
    assert rows(html) == [str(t.pk) for t in tasks[1:]]
    assert re.search(r'data-count="queue">2<', html)


def test_the_officer_s_own_claim_shows_its_message_once_and_then_the_page_is_kept(w):
    task = drive(w, complete_proposal(w), "lodge").tasks.get()
    client = signed_in(w, "district")
    get(client, INBOX)
    get(client, INBOX)  # kept, with no row
    response = client.post(reverse("tasks:claim", args=[task.pk]), follow=True)
    html = response.content.decode()
    assert 'class="kc-messages"' in html and f'data-task="{task.pk}"' in html
    page, sql, _ = get(client, INBOX)
    assert built(sql) and 'class="kc-messages"' not in page  # the page with the message was not kept
    again, sql, _ = get(client, INBOX)
    assert not built(sql) and again == page


def test_a_role_taken_away_or_a_name_changed_ends_the_kept_page(w):
    head = w.user("head")
    head.groups.add(Group.objects.get(name="auditor"))
    client = signed_in(w, "head")
    get(client, INBOX)
    html, sql, _ = get(client, INBOX)
    assert not built(sql) and "/kiem-tra/" in html
    head.groups.remove(Group.objects.get(name="auditor"))
    html, sql, _ = get(client, INBOX)
    assert built(sql) and "/kiem-tra/" not in html
    type(head).objects.filter(pk=head.pk).update(first_name="Trần Thị Hoa")
    html, sql, _ = get(client, INBOX)
    assert built(sql) and "Trần Thị Hoa" in html
    head.groups.clear()
    assert client.get(INBOX).status_code == 403  # refused before any page is looked up


def test_a_deadline_reached_while_kept_turns_the_badge(w):
    task = drive(w, complete_proposal(w), "lodge").tasks.get()
    claim(task.pk, actor=w.user("district"), now=at(1))
    due = timezone.now() + dt.timedelta(seconds=2)
    Task.objects.filter(pk=task.pk).update(due_at=due)
    client = signed_in(w, "district")
    html, sql, _ = get(client, INBOX)
    assert "kc-due--soon" in html
    html, sql, _ = get(client, INBOX)
    assert not built(sql) and "kc-due--soon" in html
    time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.2)
    html, sql, _ = get(client, INBOX)
    assert built(sql) and "kc-due--overdue" in html


def test_where_the_rows_badges_change_with_the_clock():
    now = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
    soon = now + dt.timedelta(days=2)

    def row(pk, due, *, dossier=None, done=None):
        return TaskRow(
            pk, pk, "lodged", "district_officer", 1, 1, None, now, due, done, None, "",
            proposal=PageProposal(pk, f"KC-{pk}", "Đề án", "lodged", dossier), place="",
        )  # fmt: skip

    page = TaskPage(
        [
            row(1, now - dt.timedelta(hours=1)),  # overdue already: no longer moves
            row(2, now + dt.timedelta(hours=5)),  # due soon: overdue at its deadline
            row(
                3, soon + dt.timedelta(hours=3), dossier=now + dt.timedelta(hours=4)
            ),  # ok; dossier late at +4 h
            row(4, soon + dt.timedelta(hours=1)),  # ok: due soon once the window reaches it
            row(5, now + dt.timedelta(hours=1), done=now - dt.timedelta(days=1)),  # finished
            row(6, None),
        ],
        None,
        TaskFilters(),
        soon,
    )
    assert page.shown_until(now) == (now + dt.timedelta(hours=4), soon + dt.timedelta(hours=1))
    assert TaskPage([row(1, now - dt.timedelta(hours=1))], None, TaskFilters(), soon).shown_until(now) == (
        None,
        None,
    )


def test_what_is_never_served_from_a_kept_copy(w, settings):
    drive(w, complete_proposal(w), "lodge")
    client = signed_in(w, "district")
    for url, headers in (
        (QUEUE + "?status=lodged", {}),  # a filtered box
        (QUEUE + "?due=overdue", {}),  # chosen by the clock
        (QUEUE, {"Cache-Control": "no-cache"}),  # a forced reload
    ):
        for _ in range(2):
            assert built(get(client, url, **headers)[1]), url
    get(client, QUEUE)
    assert not built(get(client, QUEUE)[1])
    settings.KC_PAGE_CACHE = False
    assert built(get(client, QUEUE)[1])


def test_each_officer_and_language_has_a_page_of_its_own(w):
    drive(w, complete_proposal(w), "lodge")
    one, two = signed_in(w, "district"), signed_in(w, "district2")
    get(one, QUEUE)
    mine, sql, _ = get(one, QUEUE)
    assert not built(sql)
    theirs, sql, _ = get(two, QUEUE)  # the same unit's queue, the same rows
    assert built(sql) and theirs != mine and "district2" in theirs and "district2" not in mine
    again, sql, _ = get(two, QUEUE)
    assert not built(sql) and again == theirs
    english, sql, _ = get(one, QUEUE, **{"Accept-Language": "en"})
    assert built(sql) and 'lang="en"' in english and 'lang="vi"' in mine


def redis_down(monkeypatch):
    """Redis refusing connections: a real client on a port nothing listens on, no connection kept from before."""
    monkeypatch.setattr(pages, "_client", lambda: redis.Redis.from_url("redis://127.0.0.1:9/0"))
    monkeypatch.setattr(pages, "_local", threading.local())


def test_a_page_is_built_while_redis_cannot_be_reached(w, monkeypatch):
    drive(w, complete_proposal(w), "lodge")
    client = signed_in(w, "district")
    expected, _, _ = get(client, QUEUE)
    redis_down(monkeypatch)
    for _ in range(2):
        html, sql, _ = get(client, QUEUE)
        assert built(sql) and html == expected
    pages.changed()  # only logged


def test_a_step_redis_could_not_take_is_taken_at_the_next_contact(w, monkeypatch):
    task = drive(w, complete_proposal(w), "lodge").tasks.get()
    client = signed_in(w, "district")
    get(client, QUEUE)
    html, sql, _ = get(client, QUEUE)
    assert not built(sql) and rows(html) == [str(task.pk)]
    start, reachable = generation(), pages._client
    redis_down(monkeypatch)
    claim(task.pk, actor=w.user("district2"), now=at(1))  # committed; its step cannot be taken
    html, sql, _ = get(client, QUEUE)
    assert built(sql) and rows(html) == []
    monkeypatch.setattr(pages, "_client", reachable)  # Redis is back
    assert generation(settled=False) == start
    monkeypatch.setattr(pages, "_down_until", 0.0)  # the pause is over
    html, sql, _ = get(client, QUEUE)  # the owed step first: the copy with the claimed task is not served
    assert built(sql) and rows(html) == []
    assert generation() == start + 1
    assert not built(get(client, QUEUE)[1])  # kept again


@pytest.mark.parametrize(
    ("sql", "seen"),
    [
        ('UPDATE "workflow_task" SET "assignee_id" = %s WHERE "id" = %s', True),
        ('INSERT INTO "workflow_transitionevent" ("proposal_id") VALUES (%s)', True),
        ('DELETE FROM "core_user_groups" WHERE "user_id" = %s', True),  # a role taken away
        ('SELECT "id" FROM "workflow_task" WHERE "id" = %s FOR UPDATE', False),
        ('SELECT "id" FROM "workflow_task" FOR NO KEY UPDATE OF "workflow_task"', False),
        ('UPDATE "django_session" SET "session_data" = %s', False),
        (
            'INSERT INTO "notifications_outbox" ("key") VALUES (%s) ON CONFLICT ("key") DO UPDATE SET "key" = %s',
            False,
        ),
        ('UPDATE "notifications_outbox" SET "sent_at" = %s', False),
        ('WITH a AS (UPDATE "workflow_proposal" SET "status" = %s RETURNING 1) SELECT 1', True),
        ('WITH a AS (SELECT 1) SELECT * FROM "workflow_task", a', False),
        ('TRUNCATE "workflow_task", "axes_accesslog"', True),
        ("COPY workflow_transitionevent FROM STDIN", True),
        ('  update "core_user" set "last_login" = %s', True),
    ],
)
def test_the_statements_that_end_the_kept_pages(sql, seen):
    assert pages.writes_seen_table(sql) is seen


def test_one_step_a_committed_transaction_none_for_a_rolled_back_one(w):
    task = drive(w, complete_proposal(w), "lodge").tasks.get()
    start = generation()
    with transaction.atomic():
        for _ in range(3):
            Task.objects.filter(pk=task.pk).update(outcome="a")
        assert generation() == start  # not before the commit
    assert generation() == start + 1
    with pytest.raises(RuntimeError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(outcome="b")
        raise RuntimeError
    assert generation() == start + 1
    Task.objects.filter(pk=task.pk).update(outcome="c")  # autocommit: at once
    assert generation() == start + 2
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():  # a savepoint rolled back …
            Task.objects.filter(pk=task.pk).update(outcome="d")
            raise RuntimeError
        Task.objects.filter(pk=task.pk).update(outcome="e")  # … then a write that stays
    assert generation() == start + 3
    client = signed_in(w, "district")  # signing in writes the session and last_login
    after_login = generation()
    client.get(QUEUE)
    client.get(QUEUE)
    assert generation() == after_login  # reading pages writes nothing a page shows


def test_a_connection_redis_dropped_is_opened_again(w, monkeypatch):
    monkeypatch.setattr(pages, "_local", threading.local())
    start = generation()
    pages._incr()
    kept = pages._local.conn
    kept.send_command("CLIENT", "ID")
    pages._client().client_kill_filter(_id=kept.read_response())  # Redis drops the kept connection
    with pytest.raises(redis.ConnectionError):
        pages._incr()
    pages._incr()
    assert generation() == start + 2 and pages._local.conn is not kept


def test_a_commit_does_not_wait_for_the_step_and_the_request_that_wrote_does(w, monkeypatch):
    task = drive(w, complete_proposal(w), "lodge").tasks.get()
    start = generation()
    with pages._step_lock:  # the step thread busy: a commit is not held up
        Task.objects.filter(pk=task.pk).update(outcome="a")
        assert pages._owed
    assert generation() == start + 1
    client = signed_in(w, "district")
    after_login = generation()
    monkeypatch.setattr(pages, "_wake", lambda: None)  # no step thread: only the request can take it
    client.post(reverse("tasks:claim", args=[task.pk]))
    assert not pages._owed and generation(settled=False) == after_login + 1  # taken before the answer


def test_a_kept_page_answers_with_the_headers_of_the_page_built(w):
    drive(w, complete_proposal(w), "lodge")
    client = signed_in(w, "district")
    client.get(QUEUE)  # the CSRF cookie set, as a browser then sends it
    built_page = client.get(QUEUE, headers={"Cache-Control": "no-cache"})
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as ctx:
        kept_page = client.get(QUEUE)
    assert not built([q["sql"] for q in ctx.captured_queries])
    assert kept_page.status_code == built_page.status_code == 200
    assert dict(kept_page.headers) == dict(built_page.headers)
    assert kept_page.cookies.keys() == built_page.cookies.keys()
