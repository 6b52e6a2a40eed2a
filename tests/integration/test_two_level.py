"""Today's map (domain.md §8): the date decides the structure, and scope follows succession.

A small map of the 2025 merger: old Tỉnh Bình Phước (GSO 70) with Huyện Bù Đăng and Xã Đức Liễu, ended on
30/6/2025; today's Tỉnh Đồng Nai (75) with Xã Nghĩa Trung, which Xã Đức Liễu became. A đề án lodged before
1/7/2025 is endorsed at the district of its day; one lodged (or lodged again) afterwards at today's commune;
no task opens at a district after 30/6/2025; today's officers see and act on the records of the units their
unit succeeds; a queue nobody can open is reported."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client

from core.calendar import VN_TZ
from core.models import AdministrativeUnit, EndorsementLevel, User
from core.succession import current, endorsement_level, lineage
from workflow.models import Proposal, Task
from workflow.permissions import can_view, visible_proposals
from workflow.selectors import orphan_queues
from workflow.services.errors import GuardFailed
from workflow.services.transitions import fire

from .world import APPRAISAL, build_world, complete_proposal

pytestmark = pytest.mark.django_db

END, START = dt.date(2025, 6, 30), dt.date(2025, 7, 1)


def moment(y, m, d, h=9):
    return dt.datetime(y, m, d, h, tzinfo=VN_TZ)


@pytest.fixture
def m():
    w = build_world()  # for its applicant and the dossier builder; the đề án are moved onto the map below
    unit = AdministrativeUnit.objects.create
    w.bp = unit(code="t70", name="Tỉnh Bình Phước", level="province", valid_to=END)
    w.dn = unit(code="t2025-75", name="Tỉnh Đồng Nai", level="province", valid_from=START)
    w.dn_old = unit(code="t75", name="Tỉnh Đồng Nai (cũ)", level="province", valid_to=END, successor=w.dn)
    w.bp.successor = w.dn
    w.bp.save()
    w.bu_dang = unit(
        code="t696", name="Huyện Bù Đăng", level="district", parent=w.bp, valid_to=END, successor=w.dn
    )
    w.nghia_trung = unit(
        code="t2025-25432", name="Xã Nghĩa Trung", level="commune", parent=w.dn, valid_from=START
    )
    w.duc_lieu = unit(
        code="t25387",
        name="Xã Đức Liễu",
        level="commune",
        parent=w.bu_dang,
        valid_to=END,
        successor=w.nghia_trung,
    )

    def person(username, role, unit):
        u = User.objects.create_user(
            username=username, password="x-password-1", unit=unit, first_name=username
        )
        u.groups.add(Group.objects.get(name=role))
        return u

    w.bu_dang_officer = person("bu_dang", "district_officer", w.bu_dang)
    w.nghia_trung_officer = person("nghia_trung", "district_officer", w.nghia_trung)
    w.bp_appraiser = person("bp_appraiser", "appraiser", w.bp)
    w.dn_appraiser = person("dn_appraiser", "appraiser", w.dn)
    return w


def on_map(w, *, district, commune, now, title="Đề án sấy điều") -> Proposal:
    p = complete_proposal(w, title=title, now=now)
    province = (district or commune).parent if district is None else district.parent
    Proposal.objects.filter(pk=p.pk).update(province=province, district=district, commune=commune)
    p.refresh_from_db()
    return p


def open_task(p) -> Task:
    return Task.objects.get(proposal=p, completed_at__isnull=True)


def test_the_units_of_a_day_and_their_successors(m):
    assert current(m.duc_lieu.pk, dt.date(2025, 6, 30)) == m.duc_lieu.pk
    assert current(m.duc_lieu.pk, dt.date(2025, 7, 1)) == m.nghia_trung.pk
    assert current(m.bu_dang.pk, dt.date(2026, 1, 5)) == m.dn.pk
    assert lineage(m.dn.pk) == {m.dn.pk, m.dn_old.pk, m.bp.pk, m.bu_dang.pk}
    assert lineage(m.nghia_trung.pk) == {m.nghia_trung.pk, m.duc_lieu.pk}
    assert endorsement_level(m.bp.pk, dt.date(2025, 3, 3)) == "district"
    assert endorsement_level(m.bp.pk, dt.date(2025, 7, 1)) == "commune"
    assert endorsement_level(m.dn.pk, dt.date(2026, 12, 7)) == "commune"


def test_before_the_reform_the_district_of_the_day_endorses(m):
    p = on_map(m, district=m.bu_dang, commune=m.duc_lieu, now=moment(2025, 3, 3))
    fire(p.pk, "lodge", actor=m.user("applicant"), now=moment(2025, 3, 3))
    task = open_task(p)
    assert (task.unit_id, task.role) == (m.bu_dang.pk, "district_officer")
    fire(
        p.pk, "district_submit", actor=m.bu_dang_officer, now=moment(2025, 3, 5), comment="Đề nghị Sở xem xét"
    )
    assert (open_task(p).unit_id, open_task(p).role) == (m.bp.pk, "appraiser")
    p.refresh_from_db()
    assert (p.province_id, p.district_id, p.commune_id) == (m.bp.pk, m.bu_dang.pk, m.duc_lieu.pk)


def test_after_the_reform_todays_commune_endorses_and_no_district_gets_a_task(m):
    p = on_map(m, district=None, commune=m.nghia_trung, now=moment(2026, 12, 7))
    fire(p.pk, "lodge", actor=m.user("applicant"), now=moment(2026, 12, 7))
    task = open_task(p)
    assert (task.unit_id, task.role) == (m.nghia_trung.pk, "district_officer")
    fire(p.pk, "district_submit", actor=m.nghia_trung_officer, now=moment(2026, 12, 8), comment="Đồng ý")
    assert open_task(p).unit_id == m.dn.pk
    assert not Task.objects.filter(unit__level="district", created_at__gte=moment(2025, 7, 1, 0)).exists()


def test_an_old_record_lodged_again_after_the_reform_goes_to_the_successors(m):
    """Returned for revision in June 2025, lodged again in 2026: today's commune endorses, today's Sở appraises;
    the record keeps its old units and the endorsement of its day in its history."""
    p = on_map(m, district=m.bu_dang, commune=m.duc_lieu, now=moment(2025, 6, 2))
    fire(p.pk, "lodge", actor=m.user("applicant"), now=moment(2025, 6, 2))
    fire(
        p.pk,
        "return_for_revision",
        actor=m.bu_dang_officer,
        now=moment(2025, 6, 4),
        comment="Bổ sung báo giá",
    )
    fire(p.pk, "lodge", actor=m.user("applicant"), now=moment(2026, 3, 2))
    assert open_task(p).unit_id == m.nghia_trung.pk
    # The commune officer of today sees the old record and endorses it; the appraisal goes to today's Sở.
    p.refresh_from_db()
    assert can_view(m.nghia_trung_officer, p)
    fire(p.pk, "district_submit", actor=m.nghia_trung_officer, now=moment(2026, 3, 3), comment="Đồng ý")
    assert open_task(p).unit_id == m.dn.pk
    assert can_view(m.dn_appraiser, p)
    assert p in visible_proposals(m.dn_appraiser)
    fire(p.pk, "appraise", actor=m.dn_appraiser, now=moment(2026, 3, 10), data=APPRAISAL)
    p.refresh_from_db()
    assert (p.status, p.province_id, p.district_id) == ("appraised", m.bp.pk, m.bu_dang.pk)
    assert list(p.tasks.order_by("id").values_list("unit__name", "outcome")) == [
        ("Huyện Bù Đăng", "return_for_revision"),
        ("Xã Nghĩa Trung", "district_submit"),
        ("Tỉnh Đồng Nai", "appraise"),
        ("Tỉnh Đồng Nai", ""),
    ]


def test_an_officer_of_an_ended_unit_or_another_province_does_not_see_todays_records(m):
    p = on_map(m, district=None, commune=m.nghia_trung, now=moment(2026, 12, 7))
    fire(p.pk, "lodge", actor=m.user("applicant"), now=moment(2026, 12, 7))
    p.refresh_from_db()
    assert can_view(m.nghia_trung_officer, p) and can_view(m.dn_appraiser, p)
    assert not can_view(m.bu_dang_officer, p)  # the district ended: it succeeds nothing of today
    assert not can_view(m.user("appraiser"), p)  # the test world's own province
    assert p not in visible_proposals(m.user("appraiser"))


def test_after_the_reform_a_place_without_a_current_commune_is_refused_with_what_to_do(m):
    p = on_map(m, district=m.bu_dang, commune=None, now=moment(2026, 3, 2))
    with pytest.raises(GuardFailed, match="địa bàn theo đơn vị hành chính hiện hành"):
        fire(p.pk, "lodge", actor=m.user("applicant"), now=moment(2026, 3, 2))
    p.refresh_from_db()
    assert p.status == "drafted" and not p.tasks.exists()


def test_a_province_row_decides_the_level_from_its_date(m):
    EndorsementLevel.objects.create(province=m.bp, level="commune", effective_from=dt.date(2025, 1, 1))
    p = on_map(m, district=m.bu_dang, commune=m.duc_lieu, now=moment(2025, 3, 3))
    fire(p.pk, "lodge", actor=m.user("applicant"), now=moment(2025, 3, 3))
    assert open_task(p).unit_id == m.duc_lieu.pk
    with (
        pytest.raises(IntegrityError, match="endorsement_level_no_district_after_reform"),
        transaction.atomic(),
    ):
        EndorsementLevel.objects.create(province=m.dn, level="district", effective_from=dt.date(2026, 1, 1))


def test_a_queue_nobody_can_open_is_reported_by_the_check_and_the_admin(m):
    p = on_map(m, district=m.bu_dang, commune=m.duc_lieu, now=moment(2025, 6, 2))
    fire(p.pk, "lodge", actor=m.user("applicant"), now=moment(2025, 6, 2))
    assert orphan_queues() == []
    m.bu_dang_officer.is_active = False
    m.bu_dang_officer.save()
    [queue] = orphan_queues()
    assert (queue.unit_id, queue.role, queue.tasks) == (m.bu_dang.pk, "district_officer", 1)

    from io import StringIO

    err = StringIO()
    call_command("check", "--database", "default", stderr=err, stdout=StringIO())
    assert "workflow.W001" in err.getvalue() and "Huyện Bù Đăng" in err.getvalue()

    admin = User.objects.create_superuser(username="root", password="x-password-1", email="r@example.vn")
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/workflow/task/").content.decode()
    assert "1 việc đang chờ ở “Huyện Bù Đăng” (vai trò Cán bộ cấp huyện / xã)" in page


def test_tasks_left_at_ended_units_move_to_todays_units(m):
    """A đề án lodged in June 2025 waits at Huyện Bù Đăng when the district ends; the command moves the task to
    Xã Nghĩa Trung with an audit row, and today's commune officer endorses it."""
    p = on_map(m, district=m.bu_dang, commune=m.duc_lieu, now=moment(2025, 6, 23))
    fire(p.pk, "lodge", actor=m.user("applicant"), now=moment(2025, 6, 23))
    task = open_task(p)
    assert task.unit_id == m.bu_dang.pk
    m.bu_dang_officer.is_active = False
    m.bu_dang_officer.save()
    assert [q.unit_id for q in orphan_queues()] == [m.bu_dang.pk]

    from io import StringIO

    out = StringIO()
    call_command("move_tasks_to_successors", "--now", "2025-07-01T08:00", stdout=out)
    assert "Đã chuyển 1 việc sang đơn vị kế thừa." in out.getvalue()
    task.refresh_from_db()
    assert (task.unit_id, task.assignee_id, task.completed_at) == (m.nghia_trung.pk, None, None)
    row = p.events.get(trigger="move_to_successor")
    assert (row.kind, row.actor_id, row.unit_id) == ("action", None, m.nghia_trung.pk)
    assert row.data == {"task": task.pk, "from_unit": m.bu_dang.pk, "to_unit": m.nghia_trung.pk}
    assert orphan_queues() == []
    # A second run moves nothing.
    out = StringIO()
    call_command("move_tasks_to_successors", "--now", "2025-07-02T08:00", stdout=out)
    assert "Đã chuyển 0 việc" in out.getvalue()
    fire(p.pk, "district_submit", actor=m.nghia_trung_officer, now=moment(2025, 7, 2), comment="Đồng ý")
    assert open_task(p).unit_id == m.dn.pk


def test_old_records_are_reported_under_todays_units_with_their_old_names(m):
    """The Sở of today's Đồng Nai: a đề án of old Bù Đăng (2025) and one of today's Nghĩa Trung (2026) are
    counted under Xã Nghĩa Trung, the old units named beside it; the plan's list names both maps."""
    from workflow.reports import annual_plan
    from workflow.selectors_stats import status_by_unit

    old = on_map(m, district=m.bu_dang, commune=m.duc_lieu, now=moment(2025, 6, 2), title="Đề án cũ")
    fire(old.pk, "lodge", actor=m.user("applicant"), now=moment(2025, 6, 2))
    new = on_map(m, district=None, commune=m.nghia_trung, now=moment(2026, 3, 2), title="Đề án mới")
    fire(new.pk, "lodge", actor=m.user("applicant"), now=moment(2026, 3, 2))
    head = User.objects.create_user(username="dn_head", password="x-password-1", unit=m.dn)
    head.groups.add(Group.objects.get(name="department_head"))
    seen = visible_proposals(head)
    assert set(seen.values_list("title", flat=True)) == {"Đề án cũ", "Đề án mới"}
    matrix = status_by_unit(seen)
    assert [(name, total) for name, _cells, total in matrix.rows] == [
        ("Xã Nghĩa Trung (gồm đề án trước 1/7/2025 của Huyện Bù Đăng, Xã Đức Liễu)", 2)
    ]
    places = {d["title"]: d["unit_name"] for d in annual_plan(seen, year=2026).detail}
    assert places == {
        "Đề án cũ": "Xã Nghĩa Trung (trước 1/7/2025: Xã Đức Liễu, Huyện Bù Đăng)",
        "Đề án mới": "Xã Nghĩa Trung",
    }
    client = Client()
    client.force_login(head)
    page = client.get("/thong-ke/").content.decode()
    assert "Xã Nghĩa Trung (gồm đề án trước 1/7/2025 của Huyện Bù Đăng, Xã Đức Liễu)" in page
