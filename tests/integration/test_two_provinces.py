"""Two provinces in one system: an officer of one province never sees the other's đề án on any page, list,
file or API answer.

The permission matrix (test_security_matrix.py) asks each page about one đề án by its id. This test asks the
other way round: every page that takes no id — task boxes, lists, the audit console, dashboards, the annual
plan and quarterly report (and their Excel files), the audit exports, every API list — is read by every person
of province A, and none of them may carry the tracking code or the title of province B's đề án. Excel files are
searched inside (their XML), JSON and CSV as text.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from core.models import AdministrativeUnit, EndorsementLevel, Organisation, User
from workflow.models import Proposal

from .test_security_matrix import walk
from .world import APPRAISAL, at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Đề án bí mật của tỉnh B xưởng gốm 7Z"
# The pages also read with these query strings: the lists' filters and the reports' files.
QUERIES = ("", "?format=xlsx", "?year=2026", "?year=2026&quarter=1&format=xlsx", "?q=7Z", "?status=appraised")


def _person(username: str, role: str, unit) -> User:
    u = User.objects.create_user(username=username, password="x-password-1", unit=unit, first_name=username)
    u.groups.add(Group.objects.get(name=role))
    return u


@pytest.fixture
def two():
    """Province A is the test world (Bình Phước). Province B (Đồng Nai) gets a district, a commune, an applicant
    and a Sở of its own, and a đề án appraised there (its history has every kind of row)."""
    w = build_world()
    b = w.other_province
    b_district = AdministrativeUnit.objects.create(
        code="731", name="Huyện Tân Phú", level="district", parent=b
    )
    b_commune = AdministrativeUnit.objects.create(
        code="26203", name="Xã Phú Lập", level="commune", parent=b_district
    )
    EndorsementLevel.objects.create(province=b, level="district", effective_from=at(-400).date())
    org = Organisation.objects.create(
        name="Cơ sở gốm Phú Lập", kind="household", tax_code="3600123456", address_unit=b_commune
    )
    applicant = User.objects.create_user(username="b_applicant", password="x-password-1", organisation=org)
    applicant.groups.add(Group.objects.get(name="applicant"))
    _person("b_district", "district_officer", b_district)
    p = complete_proposal(w, org=org, title=SECRET_TITLE)
    Proposal.objects.filter(pk=p.pk).update(province=b, district=b_district, commune=b_commune)
    from workflow.services.transitions import fire

    fire(p.pk, "lodge", actor=applicant, now=at(1))
    fire(p.pk, "district_submit", actor=User.objects.get(username="b_district"), now=at(2), comment="Đồng ý")
    fire(p.pk, "appraise", actor=w.user("appraiser_other"), now=at(3), data=APPRAISAL)
    # Province A has its own đề án at every step the pages list.
    drive(w, complete_proposal(w, title="Đề án của tỉnh A"), "appraise")
    p.refresh_from_db()
    return w, p


def _text(response) -> str:
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if body[:2] == b"PK":  # an Excel file: its sheets and shared strings
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            body = b"".join(z.read(n) for n in z.namelist() if n.endswith(".xml"))
    return body.decode("utf-8", errors="replace")


def test_no_page_list_file_or_api_answer_of_province_a_shows_province_bs_proposal(two):
    w, p = two
    people = ["applicant", "district", "appraiser", "head", "finance", "approver", "auditor"]
    routes = [
        r
        for r in walk()
        if "get" in r.methods and "<" not in r.pattern and not r.pattern.startswith("admin/")
    ]
    assert len(routes) > 25
    seen, read = [], 0
    for username in people:
        client = Client()
        client.force_login(w.user(username))
        for route in routes:
            for query in QUERIES:
                response = client.get("/" + route.pattern + query)
                if response.status_code != 200:
                    continue
                read += 1
                text = _text(response)
                if p.tracking_code in text or SECRET_TITLE in text:
                    seen.append((username, route.pattern + query))
    assert read > 300  # the pages were really read, not refused
    assert seen == []


def test_the_other_provinces_own_officer_does_see_it(two):
    """The control: the same pages show B's đề án to B's own Sở, so the test above can fail."""
    _w, p = two
    client = Client()
    client.force_login(User.objects.get(username="appraiser_other"))
    assert p.tracking_code in client.get(f"/de-an/?q={p.tracking_code}").content.decode()
    api = client.get("/api/proposals/").json()
    assert p.tracking_code in {row["tracking_code"] for row in api["results"]}


def test_the_cuc_sees_every_provinces_national_proposals_and_nothing_local(two):
    """The ministry's Cục (no unit: the whole country) reads national đề án of both provinces, lists and reports
    included, never a local one, and acts on none."""
    w, p_b = two
    Proposal.objects.filter(pk=p_b.pk).update(funding_kind="national")
    p_a = Proposal.objects.get(title="Đề án của tỉnh A")
    Proposal.objects.filter(pk=p_a.pk).update(funding_kind="national")
    local = drive(w, complete_proposal(w, title="Đề án địa phương của tỉnh A"), "lodge")
    draft = complete_proposal(w, title="Bản nháp quốc gia chưa nộp")
    Proposal.objects.filter(pk=draft.pk).update(funding_kind="national")
    cuc = User.objects.create_user(username="cuc", password="x-password-1", first_name="Cục")
    cuc.groups.add(Group.objects.get(name="ministry_officer"))

    from workflow.permissions import can_fire, can_view, visible_proposals

    assert set(visible_proposals(cuc).values_list("title", flat=True)) == {SECRET_TITLE, "Đề án của tỉnh A"}
    for p in (p_a, p_b):
        p.refresh_from_db()
        assert can_view(cuc, p)
        task = p.tasks.filter(completed_at__isnull=True).first()
        assert not can_fire(cuc, p, "verify_finance", task=task, now=at(10))
    local.refresh_from_db()
    assert not can_view(cuc, local)

    client = Client()
    client.force_login(cuc)
    listing = client.get("/de-an/").content.decode()
    assert (
        p_a.tracking_code in listing and p_b.tracking_code in listing and local.tracking_code not in listing
    )
    api = {row["tracking_code"] for row in client.get("/api/proposals/").json()["results"]}
    assert api == {p_a.tracking_code, p_b.tracking_code}
    plan = client.get("/thong-ke/ke-hoach-nam/?year=2026")
    assert plan.status_code == 200 and "Toàn quốc" in plan.content.decode()
    assert client.get(f"/de-an/{local.pk}/").status_code == 404
