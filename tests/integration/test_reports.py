"""The annual plan and the quarterly report for a known data set: totals equal the budget lines, written out by
hand below; the Excel files hold the same numbers; downloads are hashed and audited; scope applies."""

import datetime as dt
import hashlib
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.calendar import VN_TZ
from workflow.models import BudgetLine, Proposal, TransitionEvent
from workflow.reports import annual_plan, quarterly_report
from workflow.selectors_stats import dashboard_proposals
from workflow.services.implementation import decide_advance, request_advance
from workflow.services.transitions import fire

from .world import _user, at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(django_db_blocker):
    """Plan year 2026 in Bình Phước:
    A machinery, local source: 300.000.000 local + 320.000.000 counterpart; approved 280.000.000 on 20/3/2026,
      advance 100.000.000 paid 15/4, accepted 30/6, settled 10/7 (275.000.000 local + 340.000.000 counterpart).
    B machinery, lodged: 200.000.000 local + 250.000.000 counterpart.
    C training, national source, lodged: 100.000.000 local + 120.000.000 counterpart, and a line of 120.000.000 national.
    D withdrawn after lodging (out of the plan), E only drafted (nobody at the Sở sees it)."""
    w = build_world()
    w.users["head_other"] = _user("head_other", "department_head", unit=w.other_province)
    a = drive(w, complete_proposal(w, title="A"), "approve")
    request_advance(
        a.pk, actor=w.user("applicant"), now=dt.datetime(2026, 4, 10, 9, tzinfo=VN_TZ), amount=100_000_000
    )
    decide_advance(
        a.advances.get().pk, actor=w.user("finance"), now=dt.datetime(2026, 4, 15, 9, tzinfo=VN_TZ), pay=True
    )
    fire(
        a.pk,
        "accept",
        actor=w.user("appraiser"),
        now=at(120),
        data={"accepted_on": "2026-06-30", "results": "Máy vận hành đạt công suất"},
    )
    fire(
        a.pk,
        "settle",
        actor=w.user("finance"),
        now=at(130),
        data={"national_amount": 0, "local_amount": 275_000_000, "counterpart_amount": 340_000_000},
    )
    b = drive(w, complete_proposal(w, title="B", support=200_000_000, total=450_000_000), "lodge")
    c = drive(w, complete_proposal(w, title="C", support=100_000_000, total=220_000_000), "lodge")
    Proposal.objects.filter(pk=c.pk).update(
        content_type="training", funding_kind="national", target_learners=35, target_machines=0
    )
    BudgetLine.objects.create(proposal=c, item="Thù lao giảng viên", national_amount=120_000_000)
    d = drive(w, complete_proposal(w, title="D"), "lodge")
    fire(d.pk, "withdraw", actor=w.user("applicant"), now=at(3))
    complete_proposal(w, title="E")
    return w, a, b, c


def test_annual_plan_totals_equal_the_budget_lines(data):
    w, a, b, c = data
    plan = annual_plan(dashboard_proposals(w.user("head")), year=2026)
    assert [
        (r.content_type, r.proposals, r.national, r.local, r.counterpart, r.total) for r in plan.rows
    ] == [
        ("training", 1, 120_000_000, 100_000_000, 120_000_000, 340_000_000),
        ("machinery", 2, 0, 500_000_000, 570_000_000, 1_070_000_000),
    ]
    t = plan.total
    assert (t.proposals, t.national, t.local, t.counterpart, t.total) == (
        3,
        120_000_000,
        600_000_000,
        690_000_000,
        1_410_000_000,
    )
    assert [d["tracking_code"] for d in plan.detail] == [a.tracking_code, b.tracking_code, c.tracking_code]

    approved = annual_plan(dashboard_proposals(w.user("head")), year=2026, approved_only=True)
    assert [(r.content_type, r.proposals, r.local, r.counterpart) for r in approved.rows] == [
        ("machinery", 1, 300_000_000, 320_000_000)
    ]
    assert annual_plan(dashboard_proposals(w.user("head")), year=2025).rows == []


def test_quarterly_report_cumulative_to_the_end_of_each_quarter(data):
    w, a, b, c = data
    proposals = dashboard_proposals(w.user("head"))

    def summary(q):
        r = quarterly_report(proposals, year=2026, quarter=q)
        funds = {f.source: (f.planned, f.approved, f.disbursed, f.rate) for f in r.funds}
        t = r.activities_total
        return (
            (t["count"], t["approved_in_quarter"], t["accepted_in_quarter"], t["settled_in_quarter"]),
            funds,
            {f: (planned, done) for f, _l, planned, done in r.indicators},
        )

    # Q1: A approved on 20/3, nothing paid yet.
    counts, funds, indicators = summary(1)
    assert counts == (1, 1, 0, 0)
    assert funds == {
        "national": (0, 0, 0, None),
        "local": (300_000_000, 280_000_000, 0, 0.0),
        "counterpart": (320_000_000, None, 0, None),
    }
    assert indicators["target_machines"] == (1, 0)
    # Q2: the advance of 100.000.000 paid on 15/4 → 100/280 = 35,7 %; accepted on 30/6.
    counts, funds, indicators = summary(2)
    assert counts == (1, 0, 1, 0)
    assert funds["local"] == (300_000_000, 280_000_000, 100_000_000, 35.7)
    assert indicators["target_machines"] == (1, 1)
    # Q3: settled on 10/7 at 275.000.000 (the settlement replaces the advance) → 98,2 %; counterpart spent.
    counts, funds, _ = summary(3)
    assert counts == (1, 0, 0, 1)
    assert funds["local"] == (300_000_000, 280_000_000, 275_000_000, 98.2)
    assert funds["counterpart"] == (320_000_000, None, 340_000_000, None)
    # B and C, never approved, are in no quarter.
    assert [p["tracking_code"] for p in quarterly_report(proposals, year=2026, quarter=4).proposals] == [
        a.tracking_code
    ]


def _sheet_rows(body, sheet=None):
    wb = load_workbook(io.BytesIO(body))
    ws = wb[sheet] if sheet else wb.active
    return [r for r in ws.iter_rows(values_only=True)]


def test_the_annual_plan_download_holds_the_same_numbers_and_is_audited(client, data):
    w, *_ = data
    client.force_login(w.user("head"))
    page = client.get(reverse("dashboards:annual_plan") + "?year=2026")
    assert page.status_code == 200
    html = page.content.decode()
    assert "1.410.000.000\u00a0₫" in html and "1.070.000.000\u00a0₫" in html

    response = client.get(reverse("dashboards:annual_plan") + "?year=2026&format=xlsx")
    body = response.content
    digest = hashlib.sha256(body).hexdigest()
    assert response["X-Content-SHA256"] == digest
    rows = _sheet_rows(body)
    assert (None, "Tổng cộng", 3, 1_410_000_000, 120_000_000, 600_000_000, 690_000_000) in [
        r[:7] for r in rows
    ]
    assert (
        2,
        "3. Ứng dụng máy móc thiết bị tiên tiến, chuyển giao công nghệ",
        2,
        1_070_000_000,
        0,
        500_000_000,
        570_000_000,
    ) in [r[:7] for r in rows]
    row = TransitionEvent.objects.get(proposal__isnull=True, trigger="export")
    assert row.data["sha256"] == digest and row.data["view"] == "annual_plan" and row.actor == w.user("head")


def test_the_quarterly_download_reconciles_with_the_page(client, data):
    w, a, *_ = data
    client.force_login(w.user("approver"))
    response = client.get(reverse("dashboards:quarterly") + "?year=2026&quarter=3&format=xlsx")
    assert response["X-Content-SHA256"] == hashlib.sha256(response.content).hexdigest()
    funds = _sheet_rows(response.content, "Kinh phí")
    assert ("Kinh phí khuyến công địa phương", 300_000_000, 280_000_000, 275_000_000, 98.2) in funds
    indicators = _sheet_rows(response.content, "Chỉ tiêu")
    assert ("Cơ sở được hỗ trợ máy móc thiết bị", 1, 1) in indicators
    listing = _sheet_rows(response.content, "Danh sách đề án")
    assert [r[0] for r in listing[1:]] == [a.tracking_code]


def test_reports_follow_the_scope_and_the_role(client, data):
    w, *_ = data
    client.force_login(w.user("head_other"))
    plan = client.get(reverse("dashboards:annual_plan") + "?year=2026").context["plan"]
    assert plan.rows == [] and plan.total.total == 0
    for name in ("auditor", "appraiser", "applicant"):
        client.force_login(w.user(name))
        assert client.get(reverse("dashboards:annual_plan")).status_code == 403
        assert client.get(reverse("dashboards:quarterly")).status_code == 403
        assert client.get(reverse("dashboards:index")).status_code == 403
