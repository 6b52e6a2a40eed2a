"""The annual plan and the quarterly report for a known data set: every figure is written out by hand below and
asserted exactly, on the page and in the Excel file; downloads are hashed and audited; scope applies."""

import datetime as dt
import hashlib
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.calendar import VN_TZ
from workflow.models import Acceptance, BudgetLine, Proposal, TransitionEvent
from workflow.reports import annual_plan, quarterly_report
from workflow.selectors_stats import dashboard_proposals
from workflow.services.errors import GuardFailed
from workflow.services.implementation import decide_advance, request_advance
from workflow.services.transitions import fire

from .world import APPRAISAL, T0, World, _user, at, build_world, complete_proposal, drive, file_settlement

pytestmark = pytest.mark.django_db


def vn(*args):
    return dt.datetime(*args, tzinfo=VN_TZ)


def approve_with(
    w: World,
    p: Proposal,
    *,
    recommended: int,
    national: int,
    local: int,
    amount: int,
    decision: str = "123/QĐ-UBND",
    start: dt.datetime = T0,
) -> Proposal:
    """The main path to the approval with chosen amounts: Sở Công Thương recommends ``recommended``, Sở Tài chính
    verifies ``national`` + ``local``, the decision (signed on the day of the approval, 18 days after ``start``)
    approves ``amount``."""
    approved_on = start + dt.timedelta(days=18)
    steps = [
        ("lodge", "applicant", {}, "", 0),
        ("district_submit", "district", {}, "Đề nghị Sở xem xét hỗ trợ", 2),
        ("appraise", "appraiser", {**APPRAISAL, "recommended_amount": recommended}, "", 8),
        ("verify_finance", "finance", {"national_amount": national, "local_amount": local}, "", 12),
        (
            "approve",
            "approver",
            {"decision_number": decision, "decision_date": approved_on.date().isoformat(), "amount": amount},
            "",
            18,
        ),
    ]
    for trigger, who, data, comment, offset in steps:
        fire(
            p.pk,
            trigger,
            actor=w.user(who),
            now=start + dt.timedelta(days=offset),
            data=data,
            comment=comment,
        )
    p.refresh_from_db()
    return p


def pay_advance(w: World, p: Proposal, amount: int, *, requested: dt.datetime, paid: dt.datetime) -> None:
    advance = request_advance(p.pk, actor=w.user("applicant"), now=requested, amount=amount)
    decide_advance(advance.pk, actor=w.user("finance"), now=paid, pay=True)


@pytest.fixture
def data(django_db_blocker):
    """Bình Phước, plan years 2026 and 2025 (amounts in đồng; "lines" = the dự toán, by source):
    A 2026 machinery, local source, 1 machine planned. Lines: 300.000.000 local + 320.000.000 counterpart.
      Verified 0 national + 280.000.000 local; approved 280.000.000 on 20/3/2026. Advance 100.000.000 paid 15/4.
      Accepted 30/6 (recorded: 1 machine); settled 10/7: 275.000.000 local + 340.000.000 counterpart.
    B 2026 machinery, lodged: 200.000.000 local + 250.000.000 counterpart.
    C 2026 training, national source, lodged: 100.000.000 local + 120.000.000 counterpart, and a line of
      120.000.000 national.
    D withdrawn after lodging (out of the plan), E only drafted (nobody at the Sở sees it).
    F 2026 machinery, local source, a group đề án for 2 machines. Lines: 100.000.000 national + 200.000.000 local
      + 300.000.000 counterpart. Recommended 250.000.000; verified 100.000.000 national + 150.000.000 local;
      approved 200.000.000 on 20/3/2026, i.e. in the verified proportion 100 : 150 → 80.000.000 national +
      120.000.000 local. Advance 50.000.000 paid 15/5 → 20.000.000 national + 30.000.000 local. Accepted 30/6
      (recorded: 1 machine of the 2 planned), not settled.
    G 2025 training, local source, 40 learners planned. Lines: 150.000.000 local + 250.000.000 counterpart.
      Verified 0 + 150.000.000; approved 150.000.000 on 19/9/2025. Advance 60.000.000 paid 12/11/2025. Still in
      implementation in 2026: accepted 15/5/2026 (recorded: 38 learners); settled 20/7/2026: 140.000.000 local
      + 250.000.000 counterpart."""
    w = build_world()
    w.users["head_other"] = _user("head_other", "department_head", unit=w.other_province)
    a = drive(w, complete_proposal(w, title="A"), "approve")
    pay_advance(w, a, 100_000_000, requested=vn(2026, 4, 10, 9), paid=vn(2026, 4, 15, 9))
    fire(
        a.pk,
        "accept",
        actor=w.user("appraiser"),
        now=at(120),
        data={
            "accepted_on": "2026-06-30",
            "results": "Máy vận hành đạt công suất",
            "achieved": {"machines": 1},
        },
    )
    file_settlement(a, w.user("applicant"), at(126), national=0, local=275_000_000, counterpart=340_000_000)
    fire(
        a.pk,
        "settle",
        actor=w.user("appraiser"),
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

    f = complete_proposal(w, title="F", support=200_000_000, total=500_000_000)
    Proposal.objects.filter(pk=f.pk).update(is_group=True, target_machines=2)
    BudgetLine.objects.create(proposal=f, item="Máy thứ hai", national_amount=100_000_000)
    f = approve_with(
        w, f, recommended=250_000_000, national=100_000_000, local=150_000_000, amount=200_000_000
    )
    pay_advance(w, f, 50_000_000, requested=vn(2026, 5, 10, 9), paid=vn(2026, 5, 15, 9))
    fire(
        f.pk,
        "accept",
        actor=w.user("appraiser"),
        now=at(120),
        data={"accepted_on": "2026-06-30", "results": "Một cơ sở đã lắp máy", "achieved": {"machines": 1}},
    )

    g_start = vn(2025, 9, 1, 9)
    g = complete_proposal(w, title="G", support=150_000_000, total=400_000_000, now=g_start)
    Proposal.objects.filter(pk=g.pk).update(plan_year=2025)
    g = approve_with(
        w,
        g,
        recommended=150_000_000,
        national=0,
        local=150_000_000,
        amount=150_000_000,
        decision="88/QĐ-UBND",
        start=g_start,
    )
    Proposal.objects.filter(pk=g.pk).update(content_type="training", target_learners=40, target_machines=0)
    pay_advance(w, g, 60_000_000, requested=vn(2025, 11, 10, 9), paid=vn(2025, 11, 12, 9))
    fire(
        g.pk,
        "accept",
        actor=w.user("appraiser"),
        now=vn(2026, 5, 15, 9),
        data={
            "accepted_on": "2026-05-15",
            "results": "38 học viên đạt yêu cầu",
            "achieved": {"learners": "38"},
        },
    )
    file_settlement(
        g, w.user("applicant"), vn(2026, 7, 15, 9), national=0, local=140_000_000, counterpart=250_000_000
    )
    fire(
        g.pk,
        "settle",
        actor=w.user("appraiser"),
        now=vn(2026, 7, 20, 9),
        data={"national_amount": 0, "local_amount": 140_000_000, "counterpart_amount": 250_000_000},
    )
    return w, a, b, c, f, g


def _cells(html: str, attribute: str, value: str) -> list[str]:
    """The numeric cells of the table row marked ``attribute="value"`` on a page."""
    row = re.search(rf'<tr {attribute}="{value}">(.*?)</tr>', html, flags=re.S).group(1)
    return re.findall(r'<td class="kc-num">([^<]*)</td>', row)


def _sheet_rows(body, sheet=None):
    wb = load_workbook(io.BytesIO(body))
    ws = wb[sheet] if sheet else wb.active
    return [r for r in ws.iter_rows(values_only=True)]


MACHINERY = "3. Ứng dụng máy móc thiết bị tiên tiến, chuyển giao công nghệ"


def test_the_lodged_plan_sums_the_requested_budget_lines(data):
    w, a, b, c, f, g = data
    plan = annual_plan(dashboard_proposals(w.user("head")), year=2026)
    # A, B, C and F as requested; D (withdrawn) and E (drafted) are out.
    assert [
        (r.content_type, r.proposals, r.national, r.local, r.counterpart, r.total) for r in plan.rows
    ] == [
        ("training", 1, 120_000_000, 100_000_000, 120_000_000, 340_000_000),
        ("machinery", 3, 100_000_000, 700_000_000, 870_000_000, 1_670_000_000),
    ]
    t = plan.total
    assert (t.proposals, t.national, t.local, t.counterpart, t.total) == (
        4,
        220_000_000,
        800_000_000,
        990_000_000,
        2_010_000_000,
    )
    assert [d["tracking_code"] for d in plan.detail] == [
        a.tracking_code,
        b.tracking_code,
        f.tracking_code,
        c.tracking_code,
    ]
    plan_2025 = annual_plan(dashboard_proposals(w.user("head")), year=2025)
    assert [(r.content_type, r.proposals, r.local, r.counterpart) for r in plan_2025.rows] == [
        ("training", 1, 150_000_000, 250_000_000)
    ]
    assert annual_plan(dashboard_proposals(w.user("head")), year=2024).rows == []


def test_the_approved_plan_sums_the_approved_amounts_split_as_verified(client, data):
    """Rule 7: the approved plan holds what was approved, not what was requested. A: 280.000.000 local (requested
    300.000.000); F: 200.000.000 approved of 250.000.000 verified as 100 national : 150 local → 80.000.000 +
    120.000.000 (requested 100.000.000 + 200.000.000). Counterpart: as committed in the dự toán, 320.000.000 +
    300.000.000. Machinery: 2 đề án, 80.000.000 + 400.000.000 + 620.000.000 = 1.100.000.000."""
    w, a, b, c, f, g = data
    plan = annual_plan(dashboard_proposals(w.user("head")), year=2026, approved_only=True)
    assert [
        (r.content_type, r.proposals, r.national, r.local, r.counterpart, r.total) for r in plan.rows
    ] == [("machinery", 2, 80_000_000, 400_000_000, 620_000_000, 1_100_000_000)]
    t = plan.total
    assert (t.proposals, t.national, t.local, t.counterpart, t.total) == (
        2,
        80_000_000,
        400_000_000,
        620_000_000,
        1_100_000_000,
    )
    assert [
        (d["tracking_code"], d["national"], d["local"], d["counterpart"], d["total"]) for d in plan.detail
    ] == [
        (a.tracking_code, 0, 280_000_000, 320_000_000, 600_000_000),
        (f.tracking_code, 80_000_000, 120_000_000, 300_000_000, 500_000_000),
    ]

    client.force_login(w.user("head"))
    html = client.get(reverse("dashboards:annual_plan") + "?year=2026&basis=approved").content.decode()
    expected = ["2", "1.100.000.000\u00a0₫", "80.000.000\u00a0₫", "400.000.000\u00a0₫", "620.000.000\u00a0₫"]
    assert _cells(html, "data-content", "machinery") == expected
    assert _cells(html, "data-content", "total") == expected

    body = client.get(reverse("dashboards:annual_plan") + "?year=2026&basis=approved&format=xlsx").content
    rows = [r[:7] for r in _sheet_rows(body)]
    assert (1, MACHINERY, 2, 1_100_000_000, 80_000_000, 400_000_000, 620_000_000) in rows
    assert (None, "Tổng cộng", 2, 1_100_000_000, 80_000_000, 400_000_000, 620_000_000) in rows
    detail = _sheet_rows(body, "Danh sách đề án")
    assert [(r[0], r[5], r[6], r[7], r[8]) for r in detail[1:]] == [
        (a.tracking_code, 600_000_000, 0, 280_000_000, 320_000_000),
        (f.tracking_code, 500_000_000, 80_000_000, 120_000_000, 300_000_000),
    ]


def _quarter(proposals, quarter):
    return quarterly_report(proposals, year=2026, quarter=quarter)


# In every quarter of 2026: A and F (plan 2026) once approved on 20/3, and G (plan 2025), carried while in
# implementation until its settlement on 20/7/2026: in Q1–Q3, not in Q4. B and C, never approved, in none.


def test_quarterly_carries_earlier_plan_years_until_settled(data):
    """Rule 8, carried-over đề án: counts (all, approved, accepted, settled in the quarter) and the listing."""
    w, a, b, c, f, g = data
    proposals = dashboard_proposals(w.user("head"))
    expected = {
        1: ((3, 2, 0, 0), [a, f, g]),  # A and F approved 20/3; G approved in 2025
        2: ((3, 0, 3, 0), [a, f, g]),  # G accepted 15/5, A and F 30/6
        3: ((3, 0, 0, 2), [a, f, g]),  # A settled 10/7, G 20/7
        4: ((2, 0, 0, 0), [a, f]),  # G settled before 1/10
    }
    for quarter, (counts, listed) in expected.items():
        r = _quarter(proposals, quarter)
        t = r.activities_total
        assert (
            t["count"],
            t["approved_in_quarter"],
            t["accepted_in_quarter"],
            t["settled_in_quarter"],
        ) == counts
        assert [p["tracking_code"] for p in r.proposals] == [p.tracking_code for p in listed], quarter
    q1 = _quarter(proposals, 1)
    assert [(x["content_type"], x["count"], x["approved"], x["disbursed"]) for x in q1.activities] == [
        ("training", 1, 150_000_000, 60_000_000),
        ("machinery", 2, 480_000_000, 0),
    ]


def test_quarterly_money_is_split_by_the_recorded_sources(data):
    """Rule 8, money by source. Planned = the dự toán lines: national 100.000.000 (F); local 300 + 200 + 150 =
    650.000.000; counterpart 320 + 300 + 250 = 870.000.000. Approved as verified: national 80.000.000 (F); local
    280 + 120 + 150 = 550.000.000; in all 630.000.000 (F's đề án source, "local", plays no part)."""
    w, *_ = data
    proposals = dashboard_proposals(w.user("head"))

    def funds(quarter):
        r = _quarter(proposals, quarter)
        return {f.source: (f.planned, f.approved, f.disbursed, f.rate) for f in [*r.funds, r.funds_total]}

    # Q1: G's advance of 60.000.000 (12/11/2025) is the only money paid: 60/550 = 10,9 %, 60/630 = 9,5 %.
    assert funds(1) == {
        "national": (100_000_000, 80_000_000, 0, 0.0),
        "local": (650_000_000, 550_000_000, 60_000_000, 10.9),
        "counterpart": (870_000_000, None, 0, None),
        "": (750_000_000, 630_000_000, 60_000_000, 9.5),
    }
    # Q2: advances A 100.000.000 (15/4) and F 50.000.000 (15/5), F's split as its approval 80 : 120 →
    # 20.000.000 national + 30.000.000 local. National 20/80 = 25 %; local 100 + 30 + 60 = 190 → 34,5 %;
    # in all 210 → 33,3 %.
    assert funds(2) == {
        "national": (100_000_000, 80_000_000, 20_000_000, 25.0),
        "local": (650_000_000, 550_000_000, 190_000_000, 34.5),
        "counterpart": (870_000_000, None, 0, None),
        "": (750_000_000, 630_000_000, 210_000_000, 33.3),
    }
    # Q3: A settled 10/7 at 275.000.000 local, G 20/7 at 140.000.000 local (each replaces its advances); F still
    # 20 + 30. Local 275 + 30 + 140 = 445 → 80,9 %; in all 465 → 73,8 %; counterpart spent 340 + 250 = 590.
    assert funds(3) == {
        "national": (100_000_000, 80_000_000, 20_000_000, 25.0),
        "local": (650_000_000, 550_000_000, 445_000_000, 80.9),
        "counterpart": (870_000_000, None, 590_000_000, None),
        "": (750_000_000, 630_000_000, 465_000_000, 73.8),
    }
    # Q4, without G: local 300 + 200 planned, 280 + 120 approved, 275 + 30 disbursed; counterpart spent 340.
    q4 = funds(4)
    assert q4["national"] == (100_000_000, 80_000_000, 20_000_000, 25.0)
    assert q4["local"][:3] == (500_000_000, 400_000_000, 305_000_000)
    assert q4["counterpart"] == (620_000_000, None, 340_000_000, None)


def test_quarterly_achieved_is_what_the_acceptance_recorded(data):
    """Rule 8, indicators. Planned: machines A 1 + F 2 = 3 (Q4 too), learners G 40 (Q1–Q3). Achieved: what the
    acceptance recorded, from the quarter it was recorded in: A 1 machine and F 1 (30/6), G 38 learners (15/5);
    never the targets (which would give 3 machines and 40 learners)."""
    w, *_ = data
    proposals = dashboard_proposals(w.user("head"))
    expected = {
        1: {"target_learners": (40, 0), "target_machines": (3, 0)},
        2: {"target_learners": (40, 38), "target_machines": (3, 2)},
        3: {"target_learners": (40, 38), "target_machines": (3, 2)},
        4: {"target_learners": (0, 0), "target_machines": (3, 2)},
    }
    reports = {quarter: _quarter(proposals, quarter) for quarter in expected}
    # Machines first: đề án of plan year 2026 only.
    for quarter, r in reports.items():
        machines = next((planned, done) for f, _l, planned, done in r.indicators if f == "target_machines")
        assert machines == expected[quarter]["target_machines"], quarter
    for quarter, figures in expected.items():
        indicators = {f: (planned, done) for f, _l, planned, done in reports[quarter].indicators}
        assert indicators == {
            "target_models": (0, 0),
            "target_fairs": (0, 0),
            "target_products": (0, 0),
            **figures,
        }, quarter


def test_the_quarterly_page_and_download_show_the_same_figures(client, data):
    """Quarter 2, figures as in the test above; activities: machinery (A, F) and training (G)."""
    w, a, b, c, f, g = data
    client.force_login(w.user("approver"))
    html = client.get(reverse("dashboards:quarterly") + "?year=2026&quarter=2").content.decode()
    assert _cells(html, "data-source", "national") == [
        "100.000.000\u00a0₫",
        "80.000.000\u00a0₫",
        "20.000.000\u00a0₫",
        "25,0",
    ]
    assert _cells(html, "data-source", "local") == [
        "650.000.000\u00a0₫",
        "550.000.000\u00a0₫",
        "190.000.000\u00a0₫",
        "34,5",
    ]
    assert _cells(html, "data-source", "total") == [
        "750.000.000\u00a0₫",
        "630.000.000\u00a0₫",
        "210.000.000\u00a0₫",
        "33,3",
    ]
    assert _cells(html, "data-indicator", "target_machines") == ["3", "2"]
    assert _cells(html, "data-indicator", "target_learners") == ["40", "38"]
    assert _cells(html, "data-content", "machinery") == [
        "2",
        "0",
        "2",
        "0",
        "480.000.000\u00a0₫",
        "150.000.000\u00a0₫",
    ]
    assert _cells(html, "data-content", "training") == [
        "1",
        "0",
        "1",
        "0",
        "150.000.000\u00a0₫",
        "60.000.000\u00a0₫",
    ]

    response = client.get(reverse("dashboards:quarterly") + "?year=2026&quarter=2&format=xlsx")
    assert response["X-Content-SHA256"] == hashlib.sha256(response.content).hexdigest()
    funds = _sheet_rows(response.content, "Kinh phí")
    assert ("Kinh phí khuyến công quốc gia", 100_000_000, 80_000_000, 20_000_000, 25.0) in funds
    assert ("Kinh phí khuyến công địa phương", 650_000_000, 550_000_000, 190_000_000, 34.5) in funds
    assert ("Vốn đối ứng và nguồn khác", 870_000_000, None, 0, None) in funds
    assert (
        "Kinh phí khuyến công (quốc gia + địa phương)",
        750_000_000,
        630_000_000,
        210_000_000,
        33.3,
    ) in funds
    indicators = _sheet_rows(response.content, "Chỉ tiêu")
    assert ("Học viên được đào tạo", 40, 38) in indicators
    assert ("Cơ sở được hỗ trợ máy móc thiết bị", 3, 2) in indicators
    activities = _sheet_rows(response.content, "Hoạt động")
    assert (MACHINERY, 2, 0, 2, 0, 480_000_000, 150_000_000) in activities
    assert ("Tổng cộng", 3, 0, 3, 0, 630_000_000, 210_000_000) in activities
    listing = _sheet_rows(response.content, "Danh sách đề án")
    assert [r[0] for r in listing[1:]] == [a.tracking_code, f.tracking_code, g.tracking_code]
    assert "Năm kế hoạch" in listing[0] and listing[3][listing[0].index("Năm kế hoạch")] == 2025


def test_the_annual_plan_download_holds_the_same_numbers_and_is_audited(client, data):
    w, *_ = data
    client.force_login(w.user("head"))
    page = client.get(reverse("dashboards:annual_plan") + "?year=2026")
    assert page.status_code == 200
    html = page.content.decode()
    assert "2.010.000.000\u00a0₫" in html and "1.670.000.000\u00a0₫" in html

    response = client.get(reverse("dashboards:annual_plan") + "?year=2026&format=xlsx")
    body = response.content
    digest = hashlib.sha256(body).hexdigest()
    assert response["X-Content-SHA256"] == digest
    rows = [r[:7] for r in _sheet_rows(body)]
    assert (None, "Tổng cộng", 4, 2_010_000_000, 220_000_000, 800_000_000, 990_000_000) in rows
    assert (2, MACHINERY, 3, 1_670_000_000, 100_000_000, 700_000_000, 870_000_000) in rows
    row = TransitionEvent.objects.get(proposal__isnull=True, trigger="export")
    assert row.data["sha256"] == digest and row.data["view"] == "annual_plan" and row.actor == w.user("head")


def test_acceptance_records_the_achieved_values(data):
    """The accept step keeps what the minutes record against each indicator in its audit row; bad values are
    refused with the others' problems."""
    w, a, b, c, f, g = data
    event = TransitionEvent.objects.get(proposal=g, trigger="accept")
    assert event.data["achieved"] == {"learners": 38}
    assert TransitionEvent.objects.get(proposal=f, trigger="accept").data["achieved"] == {"machines": 1}
    assert Acceptance.objects.get(proposal=g).results == "38 học viên đạt yêu cầu"

    h = complete_proposal(w, title="H")
    h = approve_with(w, h, recommended=280_000_000, national=0, local=280_000_000, amount=280_000_000)
    for achieved in ({"machines": -1}, {"machines": "1,5"}, {"machines": True}, {"hectares": 3}, [1]):
        with pytest.raises(GuardFailed) as refused:
            fire(
                h.pk,
                "accept",
                actor=w.user("appraiser"),
                now=at(120),
                data={"accepted_on": "2026-06-30", "results": "Đạt", "achieved": achieved},
            )
        assert refused.value.problems, achieved
    # Nothing recorded: the report counts nothing achieved for it (never its targets).
    fire(
        h.pk,
        "accept",
        actor=w.user("appraiser"),
        now=at(120),
        data={"accepted_on": "2026-06-30", "results": "Đạt"},
    )
    assert "achieved" not in TransitionEvent.objects.get(proposal=h, trigger="accept").data
    report = quarterly_report(dashboard_proposals(w.user("head")), year=2026, quarter=2)
    assert dict((f, (p, d)) for f, _l, p, d in report.indicators)["target_machines"] == (4, 2)


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
