"""The staff page of requested advances (/cong-viec/tam-ung/): the officer of the body holding the budget sees the
advances they decide and pays or refuses them through ``decide_advance``; nobody else sees them or decides them.

local track: the Sở Tài chính (finance_officer) of the đề án's province; national track, recorded mode (the
default): the Sở Công Thương's appraiser recording the Cục's payment.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings

from core.models import User
from notifications.models import Outbox
from workflow.models import Advance, Proposal, TransitionEvent
from workflow.services.audit import verify_chains
from workflow.services.implementation import request_advance, submit_progress_report

from .world import at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db

LIST = "/cong-viec/tam-ung/"
AMOUNT = 196_000_000  # 70 % of the 280.000.000 approved
REASON_NEEDED = "Cần nêu lý do không chấp thuận tạm ứng."


@pytest.fixture
def w():
    return build_world()


@pytest.fixture
def local(w):
    """An approved local đề án with a requested advance of 196.000.000 đ."""
    p = drive(w, complete_proposal(w, title="Đề án máy tách vỏ lụa tạm ứng"), "approve")
    advance = request_advance(p.pk, actor=w.user("applicant"), now=at(20), amount=AMOUNT, note="Mua máy")
    return p, advance


@pytest.fixture
def national(w):
    """The same đề án on the national track, contracted, with a requested advance."""
    p = drive(w, complete_proposal(w, title="Đề án quốc gia tạm ứng"), "approve")
    Proposal.objects.filter(pk=p.pk).update(funding_kind="national", status="contracted")
    # Machinery on the national track: 70 % after >70 % of the investment, by the monthly progress report.
    submit_progress_report(
        p.pk,
        actor=w.user("applicant"),
        now=at(40),
        period=dt.date(2026, 4, 1),
        percent_complete=80,
        summary="Đã lắp đặt máy",
    )
    advance = request_advance(p.pk, actor=w.user("applicant"), now=at(41), amount=AMOUNT)
    p.refresh_from_db()
    return p, advance


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def written(p: Proposal) -> tuple:
    p.refresh_from_db()
    return (
        p.status,
        p.advanced_amount,
        list(Advance.objects.filter(proposal=p).order_by("pk").values_list("state", "decided_by", "note")),
        TransitionEvent.objects.count(),
        Outbox.objects.count(),
    )


def decide(client: Client, advance: Advance, decision: str, note: str | None = None):
    data = {"decision": decision}
    if note is not None:
        data["note"] = note
    return client.post(f"{LIST}{advance.pk}/", data)


def test_the_finance_officer_sees_the_requested_local_advance_and_pays_it(w, local):
    p, advance = local
    finance = client_for("finance")
    page = finance.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-advance="{advance.pk}"' in html
    assert p.tracking_code in html and p.title in html
    assert f'href="/de-an/{p.pk}/"' in html
    assert "196.000.000" in html
    assert "Chi tạm ứng" in html and "Không chấp thuận" in html
    assert "Mua máy" in html
    # The terms: 70 % of the 280.000.000 approved, i.e. 196.000.000; nothing paid yet, 196.000.000 committed.
    assert "Tối đa 70 % kinh phí phê duyệt 280.000.000" in html
    # The menu links to the page.
    assert 'href="/cong-viec/tam-ung/"' in html

    response = decide(finance, advance, "pay", "Ủy nhiệm chi số 12")
    assert response.status_code == 302 and response["Location"] == LIST
    advance.refresh_from_db()
    p.refresh_from_db()
    assert advance.state == Advance.State.PAID
    assert advance.decided_by == w.user("finance")
    assert p.advanced_amount == AMOUNT
    row = TransitionEvent.objects.get(proposal=p, trigger="advance_paid")
    assert row.actor.username == "finance"
    assert row.role == "finance_officer"
    assert row.ip == "127.0.0.1"
    assert row.data == {"advance": advance.pk, "amount": AMOUNT}
    queued = Outbox.objects.filter(template="advance.paid")
    assert queued.exists()
    assert {o.recipient.username for o in queued} == {"applicant"}
    assert verify_chains(proposal_id=p.pk).ok

    after = finance.get(LIST)
    text = after.content.decode()
    assert "Đã chi tạm ứng 196.000.000" in text  # the message
    assert f'data-advance="{advance.pk}"' not in text  # no longer waiting
    # The đề án page shows it, paid.
    detail = finance.get(f"/de-an/{p.pk}/").content.decode()
    assert f'data-advance="{advance.pk}" data-state="paid"' in detail
    assert "Đã chi" in detail


def test_paying_twice_is_a_409_and_writes_nothing(w, local):
    p, advance = local
    finance = client_for("finance")
    assert decide(finance, advance, "pay").status_code == 302
    before = written(p)
    response = decide(finance, advance, "pay")
    assert response.status_code == 409
    assert "Đề nghị tạm ứng này đã được xử lý." in response.content.decode()
    assert written(p) == before


@pytest.mark.parametrize("note", [None, "", "   "])
def test_refusing_without_a_reason_is_a_400_and_writes_nothing(w, local, note):
    p, advance = local
    finance = client_for("finance")
    before = written(p)
    response = decide(finance, advance, "refuse", note)
    assert response.status_code == 400
    html = response.content.decode()
    assert REASON_NEEDED in html
    assert "data-failed" in html  # the row is marked, still waiting
    assert written(p) == before
    advance.refresh_from_db()
    assert advance.state == Advance.State.REQUESTED


def test_refusing_with_a_reason(w, local):
    p, advance = local
    finance = client_for("finance")
    response = decide(finance, advance, "refuse", "Chưa có hợp đồng mua máy")
    assert response.status_code == 302
    advance.refresh_from_db()
    p.refresh_from_db()
    assert advance.state == Advance.State.REFUSED
    assert advance.note == "Chưa có hợp đồng mua máy"
    assert p.advanced_amount == 0
    row = TransitionEvent.objects.get(proposal=p, trigger="advance_refused")
    assert row.actor.username == "finance" and row.comment == "Chưa có hợp đồng mua máy"
    assert Outbox.objects.filter(template="advance.refused").exists()
    assert not Outbox.objects.filter(template="advance.paid").exists()
    assert "Đã ghi nhận không chấp thuận" in finance.get(LIST).content.decode()


def test_an_unknown_decision_is_a_400_and_writes_nothing(w, local):
    p, advance = local
    before = written(p)
    response = decide(client_for("finance"), advance, "pay-twice")
    assert response.status_code == 400
    assert written(p) == before


def test_the_appraiser_does_not_decide_local_advances(w, local):
    p, advance = local
    appraiser = client_for("appraiser")
    page = appraiser.get(LIST)
    # Recorded mode: the appraiser decides national advances, so the page is theirs, but this one is not on it.
    assert page.status_code == 200
    assert f'data-advance="{advance.pk}"' not in page.content.decode()
    before = written(p)
    response = decide(appraiser, advance, "pay")
    assert response.status_code in (403, 404)
    assert response.status_code == 403
    assert "data-reason" in response.content.decode()
    assert "của tỉnh mới duyệt chi tạm ứng" in response.content.decode()
    assert written(p) == before
    # Nor does it link from the đề án page.
    detail = appraiser.get(f"/de-an/{p.pk}/").content.decode()
    assert f'data-advance="{advance.pk}"' in detail
    assert 'data-link="advances"' not in detail
    assert 'data-link="advances"' in client_for("finance").get(f"/de-an/{p.pk}/").content.decode()


@pytest.mark.parametrize("username", ["district", "approver", "auditor"])
def test_staff_who_decide_no_advances_are_told_why(w, local, username):
    p, advance = local
    client = client_for(username)
    page = client.get(LIST)
    assert page.status_code == 403
    html = page.content.decode()
    assert "data-reason" in html and "cán bộ duyệt chi tạm ứng" in html
    assert p.tracking_code not in html
    assert 'href="/cong-viec/tam-ung/"' not in client.get("/cong-viec/").content.decode()
    before = written(p)
    assert decide(client, advance, "pay").status_code == 403
    assert written(p) == before


def test_the_applicant_is_refused_by_the_gate(w, local):
    p, advance = local
    applicant = client_for("applicant")
    before = written(p)
    assert applicant.get(LIST).status_code == 403
    response = decide(applicant, advance, "pay")
    assert response.status_code == 403 and "data-reason" in response.content.decode()
    # Another organisation's applicant: the advance's đề án is not theirs, as for an id that does not exist.
    other = client_for("applicant_other")
    assert decide(other, advance, "pay").status_code == 404
    assert written(p) == before


def test_an_officer_of_another_province_gets_404_like_a_missing_id(w, local):
    p, advance = local
    other = client_for("finance_other")
    page = other.get(LIST)
    assert page.status_code == 200
    assert p.tracking_code not in page.content.decode()
    before = written(p)
    response = decide(other, advance, "pay")
    missing = other.post(f"{LIST}999999/", {"decision": "pay"})
    assert response.status_code == missing.status_code == 404
    assert response.content.decode().replace(str(advance.pk), "<id>") == missing.content.decode().replace(
        "999999", "<id>"
    )
    assert p.tracking_code not in response.content.decode()
    assert written(p) == before


def test_the_decide_url_answers_post_only(w, local):
    _p, advance = local
    assert client_for("finance").get(f"{LIST}{advance.pk}/").status_code == 405


def test_national_advances_are_decided_by_the_appraiser_in_recorded_mode(w, national):
    p, advance = national
    finance = client_for("finance")
    page = finance.get(LIST)
    assert page.status_code == 200
    assert f'data-advance="{advance.pk}"' not in page.content.decode()
    before = written(p)
    assert decide(finance, advance, "pay").status_code == 403
    assert written(p) == before

    appraiser = client_for("appraiser")
    html = appraiser.get(LIST).content.decode()
    assert f'data-advance="{advance.pk}"' in html
    assert "196.000.000" in html
    assert "TT 36/2013/TT-BCT" in html  # the national basis of the terms
    assert client_for("appraiser_other").get(LIST).content.decode().count("data-advance=") == 0

    assert decide(appraiser, advance, "pay").status_code == 302
    advance.refresh_from_db()
    p.refresh_from_db()
    assert advance.state == Advance.State.PAID
    assert p.advanced_amount == AMOUNT
    row = TransitionEvent.objects.get(proposal=p, trigger="advance_paid")
    assert row.actor.username == "appraiser" and row.role == "appraiser"
    assert Outbox.objects.filter(template="advance.paid").exists()


def test_in_system_the_ministry_officer_decides_national_advances_of_every_province(w, national):
    from django.conf import settings
    from django.contrib.auth.models import Group

    p, advance = national
    cuc = User.objects.create_user(username="cuc", password="x-password-1", first_name="Cục")
    cuc.groups.add(Group.objects.get_or_create(name="ministry_officer")[0])
    with override_settings(KHUYENCONG={**settings.KHUYENCONG, "NATIONAL_MODE": "in_system"}):
        assert f'data-advance="{advance.pk}"' not in client_for("appraiser").get(LIST).content.decode()
        client = client_for("cuc")
        assert f'data-advance="{advance.pk}"' in client.get(LIST).content.decode()
        assert decide(client, advance, "pay").status_code == 302
    advance.refresh_from_db()
    assert advance.state == Advance.State.PAID
