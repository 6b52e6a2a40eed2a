"""core/statements.py on PostgreSQL: a Shape gives exactly the objects its queryset gives, each call with its own
values; update() and insert() write exactly what save() writes; what cannot be written once is refused."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.signals import post_save
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from core.calendar import VN_TZ
from core.models import User
from core.statements import Shape, ShapeError, insert, together, update
from notifications.models import Preference
from workflow.models import Proposal, Task, TransitionEvent
from workflow.services import transitions

from ..factories import ProposalFactory, UserFactory
from .world import at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 4, 10, 30, tzinfo=VN_TZ)


def _fields(obj, depth: int = 1) -> dict:
    """What a caller can read from a model object: its fields, annotations and loaded related objects (whose
    own cache points back at it: one level)."""
    values = {k: v for k, v in vars(obj).items() if k != "_state"}
    cache = {
        name: _fields(rel, 0) if rel is not None and depth else rel is None
        for name, rel in obj._state.fields_cache.items()
    }
    return {"values": values, "related": cache, "db": obj._state.db, "adding": obj._state.adding}


def _row(model, pk) -> dict:
    return model.objects.filter(pk=pk).values().get()


def _people_and_queue(org: int, unit: int, role: str):
    """Users with their preference and an annotation, as a Shape may select them."""
    in_queue = Exists(User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=role))
    return (
        User.objects.select_related("notification_preference")
        .annotate(in_queue=in_queue)
        .filter(Q(organisation_id=org) | Q(unit_id=unit, in_queue=True), is_active=True)
        .order_by("pk")
    )


def test_a_shape_gives_the_objects_of_its_queryset_with_related_rows_and_annotations():
    w = build_world()
    p = drive(w, complete_proposal(w), "district_submit")
    shape = Shape(User, _people_and_queue, org=int, unit=int, role=str)
    Preference.objects.create(user=w.user("appraiser"), sms=False, frequency="daily")
    args = {"org": p.implementing_org_id, "unit": w.province.pk, "role": "appraiser"}
    expected = sorted(_people_and_queue(**args), key=lambda u: u.pk)
    got = sorted(shape.list(**args), key=lambda u: u.pk)
    assert [u.username for u in got] == [u.username for u in expected]
    assert len(got) >= 2  # the applicant and the appraiser at least
    assert [_fields(u) for u in got] == [_fields(u) for u in expected]
    appraiser = next(u for u in got if u.username == "appraiser")
    assert appraiser.in_queue is True and appraiser.notification_preference.frequency == "daily"
    # Another call with other values is another query's answer, not the first one's.
    other = shape.list(org=w.other_org.pk, unit=w.province.pk, role="approver")
    assert {u.username for u in other} == {
        u.username for u in _people_and_queue(org=w.other_org.pk, unit=w.province.pk, role="approver")
    }
    assert {u.username for u in other}.isdisjoint({"appraiser"})


def test_a_values_list_shape_gives_the_tuples_of_its_queryset_and_builds_no_object(monkeypatch):
    """The transition's recipients: each person's columns and their preference's (None without one) and the
    annotation, exactly as values_list() gives them, with no User or Preference made."""
    w = build_world()
    p = drive(w, complete_proposal(w), "district_submit")
    Preference.objects.create(user=w.user("appraiser"), sms=False, frequency="daily")
    queue = transitions._applicants_and_queue
    args = {"org": p.implementing_org_id, "unit": w.province.pk, "role": "appraiser"}
    expected = list(queue(**args))
    made = []
    real_init = User.__init__

    def counting(self, *a, **k):
        made.append(self)
        real_init(self, *a, **k)

    monkeypatch.setattr(User, "__init__", counting)
    got = transitions._APPLICANTS_AND_QUEUE.list(**args)
    assert made == []
    assert got == expected and all(type(row) is tuple for row in got)
    by_name = dict(User.objects.values_list("pk", "username"))
    appraiser = next(row for row in got if by_name[row[0]] == "appraiser")
    assert appraiser[3:6] == (True, False, "daily") and appraiser[-1] is True
    applicant = next(row for row in got if by_name[row[0]] == "applicant")
    assert applicant[3:6] == (None, None, None)  # no preference row
    assert transitions._APPLICANTS_AND_QUEUE.list(
        org=w.other_org.pk, unit=w.province.pk, role="approver"
    ) == list(queue(org=w.other_org.pk, unit=w.province.pk, role="approver"))


def test_a_values_shape_other_than_a_plain_values_list_is_refused():
    ProposalFactory()
    with pytest.raises(ShapeError, match="values_list"):
        Shape(Proposal, lambda pk: Proposal.objects.filter(pk=pk).order_by().values("pk"), pk=int).list(pk=1)
    with pytest.raises(ShapeError, match="values_list"):
        Shape(
            Proposal,
            lambda pk: Proposal.objects.filter(pk=pk).order_by().values_list("pk", flat=True),
            pk=int,
        ).list(pk=1)
    with pytest.raises(ShapeError, match="values_list"):
        Shape(
            Proposal,
            lambda pk: Proposal.objects.filter(pk=pk).order_by().values_list("pk", named=True),
            pk=int,
        ).list(pk=1)
    with pytest.raises(ShapeError, match="annotations last"):
        Shape(
            Proposal,
            lambda pk: Proposal.objects.filter(pk=pk).annotate(n=F("pk")).order_by().values_list("n", "pk"),
            pk=int,
        ).list(pk=1)


def test_the_open_task_shape_locks_and_reads_the_chain_head_as_the_orm_does():
    w = build_world()
    p = drive(w, complete_proposal(w), "district_submit")
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            task = transitions._OPEN_TASK.one(proposal=p.pk)
        expected = transitions._open_task(p.pk).get()
    assert "FOR UPDATE" in captured.captured_queries[0]["sql"]
    head = TransitionEvent.objects.filter(proposal=p).order_by("-seq").values_list("seq", "hash").first()
    assert (task.head_seq, task.head_hash) == head
    assert _fields(task) == _fields(expected)
    assert task.status == "district_submitted" and task.completed_at is None
    with transaction.atomic():
        assert transitions._OPEN_TASK.one(proposal=p.pk + 10_000) is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_locking_shape_outside_a_transaction_is_refused():
    w = build_world()
    p = complete_proposal(w)
    with pytest.raises(TransactionManagementError):
        transitions._LOCK.one(pk=p.pk)


def test_values_of_the_wrong_kind_or_missing_are_refused():
    with pytest.raises(TypeError):
        transitions._LOCK.one(pk=None)
    with pytest.raises(TypeError):
        transitions._LOCK.one(pk="7")
    with pytest.raises(TypeError):
        transitions._LOCK.one(id=7)


def test_a_queryset_that_cannot_be_written_once_is_refused():
    ProposalFactory()
    with pytest.raises(ShapeError, match="depends on its values"):
        Shape(Proposal, lambda n: Proposal.objects.order_by("pk")[:n], n=int).list(n=1)
    with pytest.raises(ShapeError, match="changed"):
        Shape(Proposal, lambda t: Proposal.objects.filter(title__contains=t).order_by(), t=str).list(t="máy")
    with pytest.raises(ShapeError, match="not found"):
        Shape(Proposal, lambda pk: Proposal.objects.order_by(), pk=int).list(pk=1)
    with pytest.raises(ShapeError, match="selects Task"):
        Shape(Proposal, lambda pk: Task.objects.filter(pk=pk), pk=int).list(pk=1)
    with pytest.raises(ShapeError, match="prefetch"):
        Shape(Proposal, lambda pk: Proposal.objects.filter(pk=pk).prefetch_related("tasks"), pk=int).list(
            pk=1
        )


def test_a_shape_is_built_once_and_sends_one_statement_a_call():
    p, q = ProposalFactory(), ProposalFactory()
    built = []

    def build(pk):
        built.append(pk)
        return Proposal.objects.filter(pk=pk).order_by()

    shape = Shape(Proposal, build, pk=int)
    with CaptureQueriesContext(connection) as captured:
        assert shape.one(pk=p.pk).tracking_code == p.tracking_code
        assert shape.one(pk=q.pk).tracking_code == q.tracking_code
        assert shape.one(pk=q.pk + 1) is None
    assert len(built) == 2 and p.pk not in built  # two sets of stand-in values, at the first call only
    assert len(captured.captured_queries) == 3


def test_update_writes_what_save_with_update_fields_writes():
    w = build_world()
    p = drive(w, complete_proposal(w), "district_submit")
    a = Task.objects.get(proposal=p, completed_at__isnull=True)
    b = Task.objects.create(
        proposal=p,
        status="district_submitted",
        role="appraiser",
        unit=w.province,
        created_at=at(0),
        completed_at=at(0),
    )
    fields = ["completed_at", "completed_by", "outcome", "assignee", "claimed_at"]
    for task, write in ((a, lambda t: update(t, fields)), (b, lambda t: t.save(update_fields=fields))):
        task.completed_at, task.completed_by, task.outcome = NOW, w.user("appraiser"), "appraise"
        task.assignee, task.claimed_at = w.user("appraiser"), NOW
        task.role = "approver"  # not among the fields: stays as stored
        write(task)
    written = ("completed_at", "completed_by_id", "outcome", "assignee_id", "claimed_at", "role")
    ra, rb = _row(Task, a.pk), _row(Task, b.pk)
    assert {k: ra[k] for k in written} == {k: rb[k] for k in written}
    assert (ra["role"], ra["completed_at"], ra["outcome"]) == ("appraiser", NOW, "appraise")
    assert ra["completed_by_id"] == ra["assignee_id"] == w.user("appraiser").pk


def test_update_of_a_missing_row_is_an_error_as_with_save():
    p = ProposalFactory()
    ghost = Proposal.objects.get(pk=p.pk)
    Proposal.objects.filter(pk=p.pk).delete()
    ghost.title = "Không còn"
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        update(ghost, ["title"])


def test_insert_writes_what_save_writes_and_sets_the_new_key():
    w = build_world()
    p = complete_proposal(w)
    made = Task(
        proposal=p, status="lodged", role="district_officer", unit=w.district, created_at=NOW, due_at=at(5)
    )
    saved = Task(
        proposal=p, status="lodged", role="district_officer", unit=w.district, created_at=NOW, due_at=at(5)
    )
    Task.objects.filter(proposal=p, completed_at__isnull=True).update(completed_at=NOW, outcome="x")
    insert(made)
    Task.objects.filter(pk=made.pk).update(completed_at=NOW)
    saved.save(force_insert=True)
    assert made.pk and made.pk != saved.pk and not made._state.adding and made._state.db == "default"
    ra, rb = _row(Task, made.pk), _row(Task, saved.pk)
    ra.pop("id"), rb.pop("id"), ra.pop("completed_at"), rb.pop("completed_at")
    assert ra == rb
    event = TransitionEvent(
        proposal=p,
        seq=99,
        kind="action",
        trigger="t",
        from_status="lodged",
        to_status="lodged",
        actor=None,
        created_at=NOW,
        data={"ngày": dt.date(2026, 3, 4), "n": 1},
        ip="10.0.0.1",
        prev_hash="0" * 64,
        hash="f" * 64,
    )
    insert(event)
    row = _row(TransitionEvent, event.pk)
    assert (
        row["data"] == {"ngày": "2026-03-04", "n": 1} and row["ip"] == "10.0.0.1" and row["created_at"] == NOW
    )


def test_a_model_with_save_signals_or_an_expression_goes_through_save():
    heard = []

    def listener(sender, instance, **kwargs):
        heard.append(instance.pk)

    post_save.connect(listener, sender=User, dispatch_uid="test_statements")
    try:
        user = UserFactory()
        heard.clear()
        user.first_name = "Bình"
        update(user, ["first_name"])
        assert heard == [user.pk]
    finally:
        post_save.disconnect(dispatch_uid="test_statements", sender=User)
    p = ProposalFactory(revision_round=1)
    p.revision_round = F("revision_round") + 1
    update(p, ["revision_round"])
    assert Proposal.objects.get(pk=p.pk).revision_round == 2


def test_the_statement_cursor_is_kept_per_session_and_logging_sees_its_statements():
    from core.statements import cursor

    p = ProposalFactory()
    first = cursor()
    assert cursor() is first
    with CaptureQueriesContext(connection) as captured:
        logging = cursor()
        assert logging is not first  # the logging cursor is another class: its statements are counted
        assert transitions._LOCK.one(pk=p.pk).pk == p.pk
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["SELECT"]
    assert cursor() is not logging  # logging off again
    first.close()
    assert cursor() is not first  # a closed cursor is replaced


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_new_database_session_gets_a_new_statement_cursor():
    from core.statements import cursor

    p = ProposalFactory()
    before = cursor()
    connection.close()
    after = cursor()
    assert after is not before and after.cursor.connection is connection.connection
    assert (
        Shape(Proposal, lambda pk: Proposal.objects.filter(pk=pk).order_by(), pk=int).one(pk=p.pk).pk == p.pk
    )


# --- together(): a block's single-row writes in one statement ------------------------------------------------


def _writes(captured) -> list[str]:
    return [
        q["sql"] for q in captured.captured_queries if q["sql"].split()[0] in ("WITH", "UPDATE", "INSERT")
    ]


def test_together_sends_the_blocks_writes_in_one_statement_and_each_does_what_it_would_alone():
    w = build_world()
    p = drive(w, complete_proposal(w), "district_submit")
    task = Task.objects.get(proposal=p, completed_at__isnull=True)
    fresh = Task(proposal=p, status="appraised", role="finance_officer", unit=w.province, created_at=NOW)
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        with together():
            p.title = "Tên mới"
            update(p, ["title"])
            task.completed_at, task.outcome = NOW, "appraise"
            update(task, ["completed_at", "outcome"])
            assert _writes(captured) == []  # nothing sent yet
        assert len(_writes(captured)) == 1 and _writes(captured)[0].startswith("WITH ")
        with together():
            insert(fresh)
            assert fresh.pk is None  # the key comes when the block ends
            event = TransitionEvent(
                proposal=p, seq=99, kind="action", trigger="t", from_status="x", to_status="x", actor=None,
                created_at=NOW, data={}, prev_hash="0" * 64, hash="f" * 64,
            )  # fmt: skip
            insert(event)
    assert len(_writes(captured)) == 2
    assert fresh.pk and event.pk and not fresh._state.adding and fresh._state.db == "default"
    assert Proposal.objects.get(pk=p.pk).title == "Tên mới"
    assert _row(Task, task.pk)["outcome"] == "appraise" and _row(Task, task.pk)["completed_at"] == NOW
    assert (_row(Task, fresh.pk)["status"], _row(TransitionEvent, event.pk)["seq"]) == ("appraised", 99)


def test_a_read_inside_the_block_sees_the_writes_waiting():
    w = build_world()
    p = complete_proposal(w)
    with transaction.atomic(), together():
        p.title = "Đã đổi"
        update(p, ["title"])
        assert Proposal.objects.values_list("title", flat=True).get(pk=p.pk) == "Đã đổi"
        made = Task(proposal=p, status="lodged", role="district_officer", unit=w.district, created_at=NOW)
        Task.objects.filter(proposal=p, completed_at__isnull=True).update(completed_at=NOW, outcome="x")
        insert(made)
        assert Task.objects.filter(proposal=p, completed_at__isnull=True).count() == 1
        assert made.pk is not None  # sent before the read


def test_a_missing_row_in_the_block_is_an_error_and_nothing_of_the_block_stays():
    w = build_world()
    p = complete_proposal(w)
    ghost = ProposalFactory()
    stale = Proposal.objects.get(pk=ghost.pk)
    Proposal.objects.filter(pk=ghost.pk).delete()
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic(), together():
        p.title, stale.title = "Không được ghi", "Không còn"
        update(p, ["title"])
        update(stale, ["title"])
    assert Proposal.objects.get(pk=p.pk).title != "Không được ghi"


def test_an_exception_inside_the_block_sends_nothing():
    w = build_world()
    p = complete_proposal(w)
    with CaptureQueriesContext(connection) as captured, pytest.raises(ZeroDivisionError), together():
        p.title = "Không được ghi"
        update(p, ["title"])
        1 / 0  # noqa: B018
    assert _writes(captured) == []
    assert Proposal.objects.get(pk=p.pk).title != "Không được ghi"
    p.title = "Sau đó"
    update(p, ["title"])  # the connection is back to writing at once
    assert Proposal.objects.get(pk=p.pk).title == "Sau đó"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transaction_begun_inside_the_block_keeps_its_writes():
    """together() in autocommit, and a transaction inside it: the transaction's write goes out within it and is
    committed with it, seen from another connection before the block ends."""
    import psycopg
    from django.db import connection as django_connection

    w = build_world()
    p = complete_proposal(w)
    settings = django_connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432, user=settings["USER"],
        dbname=settings["NAME"], autocommit=True,
    )  # fmt: skip
    try:
        with together():
            with transaction.atomic():
                p.title = "Ghi trong giao dịch"
                update(p, ["title"])
            seen = other.execute("SELECT title FROM workflow_proposal WHERE id = %s", [p.pk]).fetchone()[0]
            assert seen == "Ghi trong giao dịch"
    finally:
        other.close()
