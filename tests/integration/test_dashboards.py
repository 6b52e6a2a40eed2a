"""Dashboards: on-time figures and time per status across Tết 2027 (4–10/2/2027 off), computed by hand below."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from core.calendar import VN_TZ
from workflow.models import BudgetLine, Task
from workflow.selectors_stats import (
    dashboard_proposals,
    funds_by_source,
    on_time_by_unit,
    overdue_by_unit,
    percentile,
    status_by_unit,
    status_durations,
)
from workflow.services.transitions import fire

from .test_reports import approve_with, pay_advance
from .world import _user, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db


def vn(*args):
    return dt.datetime(*args, tzinfo=VN_TZ)


LODGED = vn(2027, 2, 1, 9)  # Monday before Tết
# 5 working days after Mon 1/2: Tue 2/2, Wed 3/2, (Thu 4/2 – Wed 10/2 Tết), Thu 11/2, Fri 12/2, Mon 15/2.
DUE = vn(2027, 2, 15, 17)
SUBMITTED = {"before": vn(2027, 2, 12, 10), "on": vn(2027, 2, 15, 16, 30), "after": vn(2027, 2, 16, 9)}


@pytest.fixture
def tet():
    w = build_world()
    w.users["head_other"] = _user("head_other", "department_head", unit=w.other_province)
    proposals = {}
    for name, when in SUBMITTED.items():
        p = drive(
            w, complete_proposal(w, title=f"Đề án {name}", now=vn(2027, 1, 28, 9)), "lodge", start=LODGED
        )
        assert p.tasks.get().due_at == DUE
        fire(p.pk, "district_submit", actor=w.user("district"), now=when, comment="Đề nghị Sở xem xét")
        proposals[name] = p
    return w, proposals


def test_on_time_before_on_and_after_the_deadline_across_tet(tet):
    w, _ = tet
    rows = on_time_by_unit(dashboard_proposals(w.user("head")))
    # A calendar-day count would have put the deadline on Sat 6/2 and called all three late.
    assert [(r.unit, r.before, r.on, r.after, r.total, r.on_time_rate) for r in rows] == [
        ("Huyện Bù Đăng", 1, 1, 1, 3, 66.7)
    ]
    # Limited to the tasks completed on 15/2 or later: the "on" and the "after" one.
    rows = on_time_by_unit(dashboard_proposals(w.user("head")), completed_from=dt.date(2027, 2, 15))
    assert [(r.before, r.on, r.after) for r in rows] == [(0, 1, 1)]


def test_working_days_per_status_skip_tet(tet):
    w, _ = tet
    rows = status_durations(dashboard_proposals(w.user("head")))
    # Lodged 1/2 → submitted 12/2, 15/2, 16/2: 4, 5 and 6 working days (2, 3, 11, 12, 15, 16 February).
    assert [(r.status, r.spans, r.average, r.p90, r.longest) for r in rows] == [("lodged", 3, 5.0, 6, 6)]


def test_overdue_tasks_by_unit(tet):
    w, proposals = tet
    # The appraisals opened on 12/2, 15/2 and 16/2 with 15 working days are due 5/3, 8/3 and 9/3/2027.
    dues = sorted(Task.objects.filter(completed_at__isnull=True).values_list("due_at", flat=True))
    assert dues == [vn(2027, 3, 5, 17), vn(2027, 3, 8, 17), vn(2027, 3, 9, 17)]
    rows = overdue_by_unit(dashboard_proposals(w.user("head")), now=vn(2027, 3, 8, 18))
    assert [(r.unit, r.count, r.oldest_due_at) for r in rows] == [("Tỉnh Bình Phước", 2, vn(2027, 3, 5, 17))]
    assert overdue_by_unit(dashboard_proposals(w.user("head")), now=vn(2027, 3, 5, 17)) == []


def test_status_by_unit_and_funds(tet):
    w, _ = tet
    m = status_by_unit(dashboard_proposals(w.user("head")))
    assert m.columns == [("district_submitted", "Huyện/xã đã trình Sở Công Thương")]
    assert m.rows == [("Huyện Bù Đăng", [3], 3)] and m.total == 3
    funds = {
        f.source: (f.requested, f.approved, f.advanced, f.settled)
        for f in funds_by_source(dashboard_proposals(w.user("head")))
    }
    # Three đề án of 300.000.000 local support and 320.000.000 counterpart each, none approved yet.
    assert funds == {
        "national": (0, 0, 0, 0),
        "local": (900_000_000, 0, 0, 0),
        "counterpart": (960_000_000, None, None, 0),
    }
    assert status_by_unit(dashboard_proposals(w.user("head_other"))).rows == []


def test_percentile_is_nearest_rank():
    assert percentile([4, 5, 6], 90) == 6
    assert percentile(list(range(1, 11)), 90) == 9
    assert percentile([7], 90) == 7


def test_the_dashboard_page_shows_the_numbers_and_svg_charts(client, tet):
    w, _ = tet
    client.force_login(w.user("head"))
    response = client.get(reverse("dashboards:index"))
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(r'<tr data-unit="Huyện Bù Đăng">(.*?)</tr>', html, flags=re.S).group(1)
    cells = dict(re.findall(r'data-col="(\w+)">([^<]*)<', row))
    assert cells == {"before": "1", "on": "1", "after": "1", "rate": "66,7"}
    assert html.count('<svg class="kc-chart"') == 5
    assert '<tr data-status="lodged">' in html
    assert "<script" not in html.split('id="main"', 1)[1]  # server-rendered charts, no chart library

    client.force_login(w.user("head_other"))
    assert "Huyện Bù Đăng" not in client.get(reverse("dashboards:index")).content.decode()
    client.force_login(w.user("auditor"))
    assert client.get(reverse("dashboards:index")).status_code == 403


def test_funds_approved_and_advanced_follow_the_recorded_sources(client):
    """A đề án of the local source whose dự toán asks 100.000.000 national + 200.000.000 local (+ 300.000.000
    counterpart): verified 100.000.000 national + 150.000.000 local, approved 200.000.000 → 80.000.000 national +
    120.000.000 local (the verified proportion); advance 50.000.000 → 20.000.000 + 30.000.000. Not all local."""
    w = build_world()
    p = complete_proposal(w, support=200_000_000, total=500_000_000)
    BudgetLine.objects.create(proposal=p, item="Máy thứ hai", national_amount=100_000_000)
    approve_with(w, p, recommended=250_000_000, national=100_000_000, local=150_000_000, amount=200_000_000)
    pay_advance(w, p, 50_000_000, requested=vn(2026, 5, 10, 9), paid=vn(2026, 5, 15, 9))
    funds = {
        f.source: (f.requested, f.approved, f.advanced, f.settled)
        for f in funds_by_source(dashboard_proposals(w.user("head")))
    }
    assert funds == {
        "national": (100_000_000, 80_000_000, 20_000_000, 0),
        "local": (200_000_000, 120_000_000, 30_000_000, 0),
        "counterpart": (300_000_000, None, None, 0),
    }
    client.force_login(w.user("head"))
    html = client.get(reverse("dashboards:index")).content.decode()
    row = re.search(r'<tr data-source="national">(.*?)</tr>', html, flags=re.S).group(1)
    assert re.findall(r'<td class="kc-num">([^<]*)</td>', row) == [
        "100.000.000\u00a0₫",
        "80.000.000\u00a0₫",
        "20.000.000\u00a0₫",
        "0\u00a0₫",
    ]
