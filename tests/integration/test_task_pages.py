"""The task boxes' page query (``selectors.task_page``, hand-written SQL) against the ORM querysets ``inbox``,
``queue`` and ``archive`` with the same filters: every filter, every box, walked page by page through the keyset
cursors (ties on the deadline and tasks with no deadline included), gives the same tasks in the same order."""

import datetime as dt
import itertools

import pytest
from django.db.models import F, Q

from workflow.selectors import (
    TaskFilters,
    TaskRow,
    _encode,
    archive,
    due_soon_limit,
    inbox,
    queue,
    task_page,
)
from workflow.services.tasks import claim

from .world import at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db

NOW = at(9)  # Wednesday 11/3/2026: the first lodged tasks are overdue, later ones due soon or later


def reference(user, box, filters: TaskFilters, now):
    """The same box and filters through the ORM, in the page's order."""
    qs = {"inbox": inbox, "queue": queue, "archive": archive}[box](user)
    f = filters
    if f.status:
        qs = qs.filter(status=f.status)
    if f.content_type:
        qs = qs.filter(proposal__content_type=f.content_type)
    if f.plan_year:
        qs = qs.filter(proposal__plan_year=f.plan_year)
    if f.unit:
        qs = qs.filter(Q(proposal__district_id=f.unit) | Q(proposal__commune_id=f.unit))
    if f.q:
        q = f.q.strip()
        qs = qs.filter(Q(proposal__tracking_code__iexact=q) | Q(proposal__title__icontains=q))
    if box != "archive":
        soon = due_soon_limit(now)
        if f.due == "overdue":
            qs = qs.filter(due_at__lt=now)
        elif f.due == "soon":
            qs = qs.filter(due_at__gte=now, due_at__lt=soon)
        elif f.due == "ok":
            qs = qs.filter(Q(due_at__gte=soon) | Q(due_at__isnull=True))
        return list(qs.order_by(F("due_at").asc(nulls_last=True), "id").values_list("pk", flat=True))
    return list(qs.order_by("-completed_at", "-id").values_list("pk", flat=True))


def walk(user, box, filters, now, size):
    seen, cursor = [], ""
    for _ in range(100):
        page = task_page(user, box, now=now, filters=filters, cursor=cursor, size=size)
        assert len(page.rows) <= size
        seen += [row.pk for row in page.rows]
        if not page.next_cursor:
            return seen, page
        cursor = page.next_cursor
    raise AssertionError("the cursors never ended")


@pytest.fixture
def w():
    w = build_world()
    titles = ["Máy sấy tiêu", "Máy tách điều", "Lò sấy 100%_an toàn", "Máy sấy cà phê", "Xưởng cơ khí"]
    lodged = []
    for i in range(14):
        p = complete_proposal(
            w,
            title=titles[i % len(titles)],
            district=w.other_district if i % 4 == 3 else None,  # no commune: the place is the district
            now=at(i % 7),
        )
        lodged.append(drive(w, p, "lodge", start=at(i % 7)))
    from workflow.models import Proposal, Task

    Proposal.objects.filter(pk__in=[p.pk for p in lodged[:3]]).update(plan_year=2027, content_type="training")
    tasks = list(Task.objects.filter(completed_at__isnull=True).order_by("id"))
    # Ties on the deadline and tasks without one: the cursor must step over both.
    Task.objects.filter(pk__in=[t.pk for t in tasks[4:8]]).update(due_at=tasks[4].due_at)
    Task.objects.filter(pk__in=[t.pk for t in tasks[10:12]]).update(due_at=None)
    district = w.user("district")
    for t in tasks[0:12:3]:
        if t.unit_id == district.unit_id:
            claim(t.pk, actor=district, now=at(7))
    # The district officer's archive: two đề án sent on to the province.
    from workflow.services.transitions import fire

    for p in (lodged[1], lodged[2]):
        fire(p.pk, "district_submit", actor=w.user("district"), now=at(8), comment="Đề nghị Sở xem xét")
    return w


FILTERS = [
    TaskFilters(),
    TaskFilters(status="lodged"),
    TaskFilters(status="district_submitted"),
    TaskFilters(content_type="training"),
    TaskFilters(content_type="machinery", status="lodged"),
    TaskFilters(plan_year=2027),
    TaskFilters(plan_year=2026),
    TaskFilters(due="overdue"),
    TaskFilters(due="soon"),
    TaskFilters(due="ok"),
    TaskFilters(q="sấy"),
    TaskFilters(q="SẤY TIÊU"),
    TaskFilters(q="100%_"),
    TaskFilters(q="%"),
    TaskFilters(q="_"),
]


@pytest.mark.parametrize("name", ["district", "district2", "district_other", "appraiser", "applicant"])
def test_every_box_and_filter_matches_the_orm_page_by_page(w, name):
    user = w.user(name)
    filters = [
        *FILTERS,
        TaskFilters(unit=w.commune.pk),
        TaskFilters(unit=w.other_district.pk),
        TaskFilters(unit=w.district.pk, due="overdue"),
    ]
    compared = 0
    for box, f, size in itertools.product(("inbox", "queue", "archive"), filters, (2, 25)):
        expected = reference(user, box, f, NOW)
        got, _ = walk(user, box, f, NOW, size)
        assert got == expected, (box, f, size)
        compared += len(expected)
    if name in ("district", "district_other"):
        assert compared > 0  # the world gives these officers tasks to compare


def test_the_world_has_ties_and_tasks_without_a_deadline_in_the_queue(w):
    district = w.user("district")
    pks, page = walk(district, "queue", TaskFilters(), NOW, 2)
    rows = task_page(district, "queue", now=NOW, filters=TaskFilters(), size=50).rows
    dues = [r.due_at for r in rows]
    assert None in dues and dues[-1] is None  # no deadline sorts last
    assert len(set(d for d in dues if d)) < len([d for d in dues if d])  # some deadlines are shared
    assert pks == [r.pk for r in rows]


def test_a_row_carries_what_the_list_shows(w):
    district = w.user("district")
    rows = task_page(district, "queue", now=NOW, filters=TaskFilters(q="Lò sấy")).rows
    assert rows and all(isinstance(r, TaskRow) for r in rows)
    row = rows[0]
    from workflow.models import Task

    task = Task.objects.select_related("proposal").get(pk=row.pk)
    assert row.id == task.pk and row.proposal_id == task.proposal_id and row.proposal.pk == task.proposal_id
    assert (row.proposal.tracking_code, row.proposal.title) == (
        task.proposal.tracking_code,
        "Lò sấy 100%_an toàn",
    )
    assert row.status == "lodged" and row.step == "Đã nộp, chờ cấp huyện/xã"
    assert row.place == "Xã Đức Liễu"
    assert row.due_at == task.due_at and row.due_at.tzinfo is not None
    assert row.due_state in ("overdue", "soon", "ok")
    other = task_page(w.user("district_other"), "queue", now=NOW, filters=TaskFilters()).rows
    assert other and {r.place for r in other} == {"Huyện Lộc Ninh"}  # no commune: the district's name


def test_cursors_that_are_not_ours_start_from_the_first_page(w):
    district = w.user("district")
    first = task_page(district, "queue", now=NOW, filters=TaskFilters())
    for cursor in (
        "garbage",
        _encode(["not a date", 1]),
        _encode(["2026-03-10T09:00:00", 1]),  # no time zone
        _encode([None, "x"]),
        _encode([dt.datetime(2026, 3, 10).isoformat(), None]),
    ):
        page = task_page(district, "queue", now=NOW, filters=TaskFilters(), cursor=cursor)
        assert [r.pk for r in page.rows] == [r.pk for r in first.rows], cursor


def test_an_officer_without_a_unit_or_role_has_an_empty_queue(w):
    from core.models import User

    nobody = User.objects.create_user(username="nobody", password="x-password-1")
    assert task_page(nobody, "queue", now=NOW, filters=TaskFilters()).rows == []
    lost = w.user("district2")
    lost.groups.clear()
    lost = w.user("district2")
    assert task_page(lost, "queue", now=NOW, filters=TaskFilters()).rows == []


def test_a_renamed_or_new_unit_shows_under_its_new_name(w):
    from core.models import AdministrativeUnit

    district = w.user("district")
    task_page(district, "queue", now=NOW, filters=TaskFilters())  # the copy of the unit names is loaded
    w.commune.name = "Xã Đức Liễu mới"
    w.commune.save()  # this process drops its copy at once (others within CONFIG_CACHE_SECONDS)
    rows = task_page(district, "queue", now=NOW, filters=TaskFilters(q="Lò sấy")).rows
    assert rows and {r.place for r in rows} == {"Xã Đức Liễu mới"}
    # A unit created by another process (no signal here): its id is not in the copy, which is read again.
    unit = AdministrativeUnit.objects.bulk_create(
        [AdministrativeUnit(code="25390", name="Xã Thống Nhất", level="commune", parent=w.district)]
    )[0]
    from workflow.models import Proposal

    # Only the đề án of that district: a commune outside the đề án's district is refused by the database.
    Proposal.objects.filter(title="Lò sấy 100%_an toàn", district=w.district).update(commune=unit)
    rows = task_page(district, "queue", now=NOW, filters=TaskFilters(q="Lò sấy")).rows
    assert rows and {r.place for r in rows} == {"Xã Thống Nhất"}


@pytest.mark.parametrize(
    "name", ["district", "district2", "district_other", "appraiser", "applicant", "auditor"]
)
def test_the_menu_counts_match_the_boxes(w, name):
    from workflow.selectors import box_counts

    user = w.user(name)
    assert box_counts(user) == {"inbox": inbox(user).count(), "queue": queue(user).count()}
    if name == "district":
        assert box_counts(user)["inbox"] > 0 and box_counts(user)["queue"] > 0


def _plan_cache_mode() -> str:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SHOW plan_cache_mode")
        return c.fetchone()[0]


def test_a_keyset_page_keeps_one_plan_and_leaves_the_session_as_it_was(w):
    """The deep pages run with the prepared statement's generic plan (PostgreSQL would plan them again at every
    call: core.db.fetch_generic); the session's setting is back to auto after each, and the pages are the
    ORM's."""
    from django.db import connection

    district = w.user("district")
    first = task_page(district, "queue", now=NOW, filters=TaskFilters(), size=3)
    assert first.next_cursor
    pages = [task_page(district, "queue", now=NOW, filters=TaskFilters(), cursor=first.next_cursor, size=3)]
    for _ in range(9):  # psycopg prepares the statement at its sixth run
        pages.append(
            task_page(district, "queue", now=NOW, filters=TaskFilters(), cursor=first.next_cursor, size=3)
        )
        assert _plan_cache_mode() == "auto"
    assert len({tuple(r.pk for r in p.rows) for p in pages}) == 1
    expected = reference(district, "queue", TaskFilters(), NOW)
    assert [r.pk for r in first.rows + pages[0].rows] == expected[:6]
    with connection.cursor() as c:
        c.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s AND statement LIKE %s",
            ["%FROM (SELECT s.id FROM workflow_task s%", "%(s.due_at, s.id) >%"],
        )
        plans = c.fetchall()
    assert plans and all(generic >= 1 and custom == 0 for generic, custom in plans), plans


def test_a_failing_keyset_statement_leaves_the_setting_as_it_was(w):
    from django.db import DataError, connection, transaction

    from core.db import binary_cursor, fetch_generic

    with pytest.raises(DataError), transaction.atomic(), binary_cursor() as c:
        fetch_generic(c, "SELECT 1 / %s", [0])
    assert _plan_cache_mode() == "auto"
    with binary_cursor() as c:
        assert fetch_generic(c, "SELECT %s::int + 1", [41]) == [(42,)]
    assert _plan_cache_mode() == "auto"
    assert connection.in_atomic_block  # the test's transaction goes on


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_keyset_statement_outside_a_transaction_leaves_the_setting_as_it_was():
    from django.db import DataError

    from core.db import binary_cursor, fetch_generic

    with pytest.raises(DataError), binary_cursor() as c:
        fetch_generic(c, "SELECT 1 / %s", [0])
    assert _plan_cache_mode() == "auto"
