"""The auditor console over HTTP: scope, read-only, exports stamped with the SHA-256 of their bytes and
recorded in the audit trail, verification before and after a tampered row."""

import csv
import hashlib
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from workflow.models import TransitionEvent

from .world import _user, at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    w = build_world()
    w.users["auditor_other"] = _user("auditor_other", "auditor", unit=w.other_province)
    w.users["auditor_district"] = _user("auditor_district", "auditor", unit=w.other_district)
    return w


@pytest.fixture
def approved(w):
    return drive(w, complete_proposal(w), "approve")


def login(client, w, name):
    client.force_login(w.user(name))
    return client


def console_urls(p):
    return [
        reverse("audit:index"),
        reverse("audit:index") + f"?proposal={p.tracking_code}&trigger=approve",
        reverse("audit:timeline", args=[p.pk]),
        reverse("audit:verify"),
        reverse("audit:verify") + f"?proposal={p.pk}",
        reverse("audit:export", args=["csv"]),
        reverse("audit:export", args=["xlsx"]),
    ]


def test_the_auditor_sees_every_row_of_a_proposal_in_scope(client, w, approved):
    login(client, w, "auditor")
    response = client.get(reverse("audit:index"))
    assert response.status_code == 200
    shown = {e.pk for e in response.context["events"]}
    assert shown == set(TransitionEvent.objects.filter(proposal=approved).values_list("pk", flat=True))
    assert (
        response.context["page"].paginator.count == 6
    )  # create, lodge, district_submit, appraise, verify_finance, approve

    timeline = client.get(reverse("audit:timeline", args=[approved.pk]))
    html = timeline.content.decode()
    assert timeline.status_code == 200
    assert [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', html)] == [1, 2, 3, 4, 5, 6]
    assert "123/QĐ-UBND" in html  # the approval step's data
    assert "Đề nghị Sở xem xét hỗ trợ" in html  # the district's comment
    spans = timeline.context["spans"]
    assert [s.status for s in spans] == [
        "lodged",
        "district_submitted",
        "appraised",
        "finance_verified",
        "approved",
    ]
    assert spans[0].holder == "district"  # who moved it on


@pytest.mark.parametrize("name", ["auditor_other", "auditor_district"])
def test_an_auditor_of_another_unit_sees_none_of_it(client, w, approved, name):
    login(client, w, name)
    response = client.get(reverse("audit:index"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert approved.tracking_code not in response.content.decode()
    assert client.get(reverse("audit:timeline", args=[approved.pk])).status_code == 404
    assert client.get(reverse("audit:verify") + f"?proposal={approved.pk}").status_code == 404
    # Searching by the code finds nothing either; the export holds the header only.
    assert (
        client.get(reverse("audit:index") + f"?proposal={approved.tracking_code}")
        .context["page"]
        .paginator.count
        == 0
    )
    body = client.get(reverse("audit:export", args=["csv"])).content
    assert len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) == 1


@pytest.mark.parametrize("name", ["appraiser", "head", "district", "applicant"])
def test_other_roles_do_not_get_the_console(client, w, approved, name):
    login(client, w, name)
    for url in console_urls(approved):
        # Refused by the application's permission (viewflow's middleware), before any view runs.
        assert client.get(url).status_code == 403, url
    assert not TransitionEvent.objects.filter(proposal__isnull=True).exists()


def test_the_console_offers_no_write_action(client, w, approved):
    login(client, w, "auditor")
    before = TransitionEvent.objects.count()
    for url in console_urls(approved):
        assert client.post(url, {"comment": "x"}).status_code == 405, url
        assert client.put(url).status_code == 405, url
        assert client.delete(url).status_code == 405, url
    assert TransitionEvent.objects.count() == before  # a refused POST writes nothing
    logout = reverse("logout")
    for url in console_urls(approved)[:5]:
        html = client.get(url).content.decode()
        post_forms = re.findall(r'<form[^>]*method="post"[^>]*>', html, flags=re.I)
        # The only POST form is the page shell's "Đăng xuất" button.
        assert all(f'action="{logout}"' in form for form in post_forms), (url, post_forms)
        assert "csrfmiddlewaretoken" not in html.split('class="kc-main"', 1)[1], url


def test_filters_by_trigger_actor_status_unit_and_dates(client, w, approved):
    other = drive(w, complete_proposal(w, title="Đề án thứ hai", now=at(40)), "district_submit", start=at(40))
    login(client, w, "auditor")
    url = reverse("audit:index")

    def shown(query):
        return sorted((e.proposal_id, e.seq) for e in client.get(url + query).context["page"].object_list)

    assert shown("?trigger=lodge") == [(approved.pk, 2), (other.pk, 2)]
    assert shown("?actor=district") == [(approved.pk, 3), (other.pk, 3)]
    assert shown(f"?proposal={other.tracking_code}") == [(other.pk, 1), (other.pk, 2), (other.pk, 3)]
    assert shown("?status=appraised") == [(approved.pk, 4), (approved.pk, 5)]
    # 2/3/2026 + 40 days = 11/4/2026 (created, lodged) and 13/4/2026 (submitted): local days, ends inclusive.
    assert shown("?from=2026-04-11&to=2026-04-11") == [(other.pk, 1), (other.pk, 2)]
    assert shown("?from=2026-04-12") == [(other.pk, 3)]
    assert shown(f"?unit={w.district.pk}") == [(approved.pk, 3), (other.pk, 3)]


def test_the_event_list_costs_the_same_queries_for_1_and_6_proposals(client, w, approved):
    login(client, w, "auditor")
    client.get(reverse("audit:index"))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("audit:index")).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(5):
        drive(w, complete_proposal(w, title=f"Đề án {i}"), "appraise")
    assert count() == small


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_is_stamped_with_the_hash_of_its_bytes_and_audited(client, w, approved, fmt):
    login(client, w, "auditor")
    response = client.get(reverse("audit:export", args=[fmt]) + f"?proposal={approved.tracking_code}")
    assert response.status_code == 200
    body = response.content
    digest = hashlib.sha256(body).hexdigest()
    assert response["X-Content-SHA256"] == digest
    assert digest[:8] in response["Content-Disposition"]

    row = TransitionEvent.objects.get(proposal__isnull=True, trigger="export")
    assert (row.kind, row.actor, row.unit_id) == ("action", w.user("auditor"), w.province.pk)
    assert row.data == {
        "view": "audit_events",
        "format": fmt,
        "rows": 6,
        "bytes": len(body),
        "sha256": digest,
        "filters": {"proposal": approved.tracking_code},
    }

    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        data_rows = rows[1:]
    else:
        sheet = load_workbook(io.BytesIO(body)).active
        values = [r for r in sheet.iter_rows(values_only=True)]
        start = next(i for i, r in enumerate(values) if r[0] == "Mã dòng")
        data_rows = values[start + 1 :]
    hashes = [r[-1] for r in data_rows]
    assert hashes == list(
        TransitionEvent.objects.filter(proposal=approved)
        .order_by("-created_at", "-id")
        .values_list("hash", flat=True)
    )

    # The console shows the hash of the export and lists the export row itself.
    page = client.get(reverse("audit:index")).content.decode()
    assert f'data-sha256="{digest}"' in page
    assert client.get(reverse("audit:index") + "?trigger=export").context["page"].paginator.count == 1


def test_verify_says_intact_then_names_the_tampered_row(client, w, approved):
    login(client, w, "auditor")
    response = client.get(reverse("audit:verify") + f"?proposal={approved.pk}")
    html = response.content.decode()
    assert 'data-result="intact"' in html and "Nguyên vẹn" in html
    assert response.context["report"].events == 6

    target = TransitionEvent.objects.get(proposal=approved, seq=3)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE workflow_transitionevent DISABLE TRIGGER workflow_transitionevent_no_change"
        )
        cursor.execute("UPDATE workflow_transitionevent SET comment = 'sửa lén' WHERE id = %s", [target.pk])
        cursor.execute(
            "ALTER TABLE workflow_transitionevent ENABLE TRIGGER workflow_transitionevent_no_change"
        )

    for url in (reverse("audit:verify") + f"?proposal={approved.pk}", reverse("audit:verify")):
        response = client.get(url)
        html = response.content.decode()
        assert 'data-result="broken"' in html, url
        assert f'<dd data-field="proposal">{approved.tracking_code}</dd>' in html
        assert '<dd data-field="seq">3</dd>' in html
        assert f'<dd data-field="id">{target.pk}</dd>' in html
        assert '<dd data-field="problem">Nội dung dòng không khớp với hash đã lưu</dd>' in html
        assert response.context["report"].events == 2  # rows 1 and 2 still match

    runs = list(TransitionEvent.objects.filter(proposal__isnull=True, trigger="verify_audit").order_by("seq"))
    assert [(r.data["ok"], r.data["broken_seq"], r.data["broken_id"]) for r in runs] == [
        (True, None, None),
        (False, 3, target.pk),
        (False, 3, target.pk),
    ]
    assert runs[1].data["problem"] == "row content does not match its hash"
    assert all(r.kind == "action" and r.actor == w.user("auditor") for r in runs)


def test_verify_everything_in_scope_counts_every_chain(client, w, approved):
    drive(w, complete_proposal(w, title="Đề án thứ hai"), "lodge")
    login(client, w, "auditor")
    report = client.get(reverse("audit:verify")).context["report"]
    assert (report.ok, report.chains, report.events) == (True, 2, 8)
