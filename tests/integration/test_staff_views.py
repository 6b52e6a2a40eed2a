"""Staff inboxes and action screens over HTTP: scope (404), query counts, refused actions, batches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from workflow.models import Task

from .world import at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return build_world()


def login(client, w, name):
    client.force_login(w.user(name))
    return client


def lodged(w, n):
    return [drive(w, complete_proposal(w, title=f"Đề án {i}"), "lodge") for i in range(n)]


def queries_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_queue_page_costs_the_same_queries_for_5_and_50_tasks(client, w):
    login(client, w, "district")
    lodged(w, 5)
    client.get(reverse("tasks:queue"))  # the first page of a process loads its copy of the unit names
    small, response = queries_for(client, reverse("tasks:queue"))
    assert response.content.decode().count('data-task="') == 5
    lodged(w, 45)
    large, response = queries_for(client, reverse("tasks:queue"))
    assert response.content.decode().count('data-task="') == 25  # first page
    assert small == large


def test_inbox_with_django_assert_num_queries(client, w, django_assert_num_queries):
    from workflow.services.tasks import claim

    login(client, w, "district")
    for p in lodged(w, 3):
        claim(p.tasks.get().pk, actor=w.user("district"), now=at(1))
    client.get(reverse("tasks:inbox"))  # warm the session
    baseline, _ = queries_for(client, reverse("tasks:inbox"))
    for p in lodged(w, 12):
        claim(p.tasks.get().pk, actor=w.user("district"), now=at(1))
    with django_assert_num_queries(baseline):
        response = client.get(reverse("tasks:inbox"))
    assert response.content.decode().count('data-task="') == 15


def test_keyset_pages_cover_every_task_once(client, w):
    login(client, w, "district")
    lodged(w, 30)
    seen = []
    url = reverse("tasks:queue")
    while url:
        response = client.get(url)
        page = response.context["page"]
        seen += [t.pk for t in page.rows]
        url = f"{reverse('tasks:queue')}?after={page.next_cursor}" if page.next_cursor else None
    assert sorted(seen) == sorted(Task.objects.filter(completed_at__isnull=True).values_list("pk", flat=True))
    assert len(seen) == 30


def test_out_of_scope_officer_gets_404_everywhere(client, w):
    p = drive(w, complete_proposal(w), "lodge")
    login(client, w, "district_other")
    attachment = p.attachments.first()
    for url in (
        reverse("proposals:detail", args=[p.pk]),
        reverse("proposals:action", args=[p.pk, "district_submit"]),
        reverse("proposals:attachment", args=[attachment.pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("proposals:action", args=[p.pk, "district_submit"]),
        {"expected_status": "lodged", "comment": "x"},
    )
    assert response.status_code == 404
    p.refresh_from_db()
    assert p.status == "lodged"
    assert (
        "Đề án"
        not in client.get(reverse("tasks:queue")).content.decode().split("<tbody>")[1].split("</tbody>")[0]
    )


def test_detail_shows_only_the_actions_the_user_may_fire(client, w):
    p = drive(w, complete_proposal(w), "lodge")
    login(client, w, "district")
    html = client.get(reverse("proposals:detail", args=[p.pk])).content.decode()
    assert 'data-action="district_submit"' in html
    assert 'data-action="return_for_revision"' in html
    assert 'data-action="reject"' in html
    assert 'data-action="appraise"' not in html
    assert 'data-action="withdraw"' not in html  # the applicant's action
    login(client, w, "appraiser")
    assert client.get(reverse("proposals:detail", args=[p.pk])).status_code == 200
    assert "data-action=" not in client.get(reverse("proposals:detail", args=[p.pk])).content.decode()


def test_action_post_fires_through_the_service(client, w):
    p = drive(w, complete_proposal(w), "lodge")
    login(client, w, "district")
    url = reverse("proposals:action", args=[p.pk, "district_submit"])
    response = client.post(url, {"expected_status": "lodged", "comment": ""})
    assert response.status_code == 400
    assert "Trường này là bắt buộc." in response.content.decode()
    response = client.post(url, {"expected_status": "lodged", "comment": "Đề nghị Sở hỗ trợ"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == "district_submitted"
    # A second submit of the same form (stale status) is a conflict, answered with the reason.
    response = client.post(url, {"expected_status": "lodged", "comment": "Đề nghị Sở hỗ trợ"})
    assert response.status_code == 409
    assert "vừa được người khác xử lý" in response.content.decode()


def test_refused_guard_is_shown_with_its_reason(client, w):
    p = drive(w, complete_proposal(w), "appraise")
    login(client, w, "finance")
    response = client.post(
        reverse("proposals:action", args=[p.pk, "verify_finance"]),
        {"expected_status": "appraised", "national_amount": "100.000.000", "local_amount": "200.000.000"},
    )
    assert response.status_code == 400
    assert "vượt kinh phí Sở Công Thương đề nghị" in response.content.decode()
    p.refresh_from_db()
    assert p.status == "appraised"


def test_batch_finance_verification_reports_each_item(client, w):
    ready = [drive(w, complete_proposal(w, title=f"Đề án {i}"), "appraise") for i in range(3)]
    login(client, w, "finance")
    url = reverse("tasks:batch", args=["verify_finance"])
    assert client.get(url).content.decode().count('name="proposal"') == 3
    data = {"proposal": [p.pk for p in ready]}
    for p in ready:
        data[f"national_{p.pk}"] = "0"
        data[f"local_{p.pk}"] = "280.000.000"
    data[f"local_{ready[2].pk}"] = "290.000.000"  # above the recommendation: refused on its row
    response = client.post(url, data)
    report = response.context["report"]
    assert [(row[0].pk, row[1]) for row in report] == [
        (ready[0].pk, True),
        (ready[1].pk, True),
        (ready[2].pk, False),
    ]
    assert "vượt kinh phí Sở Công Thương đề nghị" in report[2][2]
    statuses = sorted((p.pk, s) for p, s in ((p, p.__class__.objects.get(pk=p.pk).status) for p in ready))
    assert [s for _pk, s in statuses] == ["finance_verified", "finance_verified", "appraised"]


def test_batch_pages_are_404_for_other_roles(client, w):
    login(client, w, "district")
    assert client.get(reverse("tasks:batch", args=["approve"])).status_code == 404
    assert client.get(reverse("tasks:batch", args=["nonsense"])).status_code == 404


def test_applicant_gets_404_on_staff_pages(client, w):
    p = complete_proposal(w)
    login(client, w, "applicant")
    assert client.get(reverse("tasks:inbox")).status_code in (403, 404)
    assert client.get(reverse("proposals:detail", args=[p.pk])).status_code in (403, 404)


def test_claim_and_release_over_http(client, w):
    p = drive(w, complete_proposal(w), "lodge")
    task = p.tasks.get()
    login(client, w, "district")
    client.post(reverse("tasks:claim", args=[task.pk]), {"next": reverse("tasks:queue")})
    task.refresh_from_db()
    assert task.assignee.username == "district"
    client.post(reverse("tasks:release", args=[task.pk]))
    task.refresh_from_db()
    assert task.assignee is None


def test_unit_head_reassigns_over_http_and_others_get_404(client, w):
    p = drive(w, complete_proposal(w), "district_submit")
    task = p.tasks.get(completed_at__isnull=True)
    url = reverse("tasks:reassign", args=[task.pk])
    login(client, w, "appraiser")
    assert client.get(url).status_code == 404
    login(client, w, "head")
    html = client.get(url).content.decode()
    assert "appraiser2" in html and "finance" not in html.split("<select")[1].split("</select>")[0]
    response = client.post(url, {"assignee": w.user("appraiser2").pk})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.assignee.username == "appraiser2"


def test_delegate_over_http(client, w):
    login(client, w, "approver")
    url = reverse("tasks:delegate")
    response = client.post(
        url, {"substitute": w.user("head").pk, "starts_on": "2026-03-27", "ends_on": "2026-03-20"}
    )
    assert response.status_code == 400
    assert "Ngày kết thúc ủy quyền phải sau ngày bắt đầu" in response.content.decode()
    response = client.post(
        url, {"substitute": w.user("head").pk, "starts_on": "2026-03-20", "ends_on": "2026-03-27"}
    )
    assert response.status_code == 302
    from workflow.models import Delegation

    d = Delegation.objects.get()
    assert (d.delegator.username, d.substitute.username) == ("approver", "head")


def test_queue_filters_and_search(client, w):
    a = drive(w, complete_proposal(w, title="Máy sấy tiêu"), "lodge")
    drive(w, complete_proposal(w, title="Máy tách điều"), "lodge")
    login(client, w, "district")
    rows = client.get(reverse("tasks:queue") + "?q=sấy").context["page"].rows
    assert [t.proposal_id for t in rows] == [a.pk]
    rows = client.get(reverse("tasks:queue") + f"?q={a.tracking_code}").context["page"].rows
    assert [t.proposal_id for t in rows] == [a.pk]
    assert (
        len(client.get(reverse("tasks:queue") + "?due=overdue").context["page"].rows) == 2
    )  # lodged in 2026-03
    assert client.get(reverse("tasks:queue") + "?due=ok").context["page"].rows == []
    assert client.get(reverse("tasks:queue") + "?plan_year=2027").context["page"].rows == []
    assert (
        len(client.get(reverse("tasks:queue") + "?content_type=machinery&status=lodged").context["page"].rows)
        == 2
    )


def test_the_acceptance_form_records_what_was_achieved(client, w):
    """The appraiser's acceptance page takes the achieved counts of the minutes (the quarterly report's
    "achieved"); counts left empty are not recorded, and digits of other scripts are refused."""
    from workflow.models import TransitionEvent

    p = drive(w, complete_proposal(w), "approve")
    login(client, w, "appraiser")
    url = reverse("proposals:action", args=[p.pk, "accept"])
    form = {
        "expected_status": "approved",
        "accepted_on": "2026-06-30",
        "results": "Máy vận hành đạt công suất",
        "achieved_machines": "1",
        "achieved_learners": "",
    }
    refused = client.post(url, {**form, "achieved_machines": "١"})
    assert refused.status_code == 400 and "Hãy nhập số bằng chữ số 0–9." in refused.content.decode()
    assert not TransitionEvent.objects.filter(proposal=p, trigger="accept").exists()
    response = client.post(url, form)
    assert response.status_code == 302
    row = TransitionEvent.objects.get(proposal=p, trigger="accept")
    assert row.data["achieved"] == {"machines": 1}
    p.refresh_from_db()
    assert p.status == "implemented"
