"""The task lists' rows and filters written in Python (workflow/views/tasks.py), the menu counts that stop at a
cap, and the signed-in user read with their roles in one statement (core.auth_backends.UserBackend)."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from core.auth_backends import UserBackend
from core.templatetags import shell
from workflow.lifecycle import Status
from workflow.selectors import PageProposal, TaskRow, box_counts, count_label, inbox, queue
from workflow.services.tasks import claim
from workflow.views.tasks import choice_options_html, display_rows, options_html, rows_html

from .world import at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    shell.clear()
    yield build_world()
    shell.clear()


def row(pk, state, *, title="Lò sấy", when="in 3 days", dossier_late=False, outcome="", completed=None):
    return TaskRow(
        pk, pk + 1000, "lodged", "appraiser", 1, None, None, at(0), at(3) if when == "in 3 days" else when,
        completed, None, outcome,
        proposal=PageProposal(pk + 1000, f"KC-2026-{pk:04d}", title, "lodged", None),
        place="Xã Đức Liễu", step="Đã nộp", due_state=state, dossier_late=dossier_late,
    )  # fmt: skip


def html_rows(rows, box, *, can_reassign=False):
    return rows_html(display_rows(rows, box), box, can_bulk_claim=box == "queue", can_reassign=can_reassign)


def test_every_value_of_a_row_is_escaped():
    title = 'Đề án <script>alert("x")</script> & "sấy"'
    html = html_rows([row(7, "ok", title=title)], "queue")
    assert "<script>" not in html
    assert "<td>Đề án &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;sấy&quot;</td>" in html
    label = translation.gettext("Chọn %(code)s") % {"code": "KC-2026-0007"}
    assert f'<input type="checkbox" name="task" value="7" aria-label="{label}">' in html


@pytest.mark.parametrize(
    ("state", "badge"),
    [
        ("overdue", '<span class="kc-badge kc-badge--late">Bước quá hạn</span>'),
        ("soon", '<span class="kc-badge kc-badge--soon">Sắp đến hạn</span>'),
        ("ok", '<span class="kc-badge kc-badge--ok">Trong hạn</span>'),
    ],
)
def test_an_open_task_shows_its_deadline_and_its_badge(state, badge):
    with translation.override("vi"):
        html = html_rows([row(1, state, dossier_late=True)], "inbox")
    when = display_rows([row(1, state)], "inbox")[0]["when"]
    assert f"<td>{when} {badge}" in html
    assert '<span class="kc-badge kc-badge--dossier">Hồ sơ quá hạn</span>' in html
    assert f'<tr class="kc-due kc-due--{state}" data-task="1">' in html


def test_a_task_without_deadline_shows_a_dash_and_no_badge():
    html = html_rows([row(1, "ok", when=None)], "inbox")
    assert "<td>—</td>" in html and "kc-badge" not in html


def test_each_box_offers_its_own_actions():
    detail, claim_url = reverse("proposals:detail", args=[1001]), reverse("tasks:claim", args=[1])
    release, reassign = reverse("tasks:release", args=[1]), reverse("tasks:reassign", args=[1])
    with translation.override("vi"):
        mine = html_rows([row(1, "ok")], "inbox")
        waiting = html_rows([row(1, "ok")], "queue")
        waiting_head = html_rows([row(1, "ok")], "queue", can_reassign=True)
        done = html_rows([row(1, "late", outcome="appraise", completed=at(5))], "archive")
    assert f'<a class="kc-button" href="{detail}">Xử lý</a>' in mine
    assert (
        f'<button class="kc-button kc-button--secondary" formaction="{release}">Trả lại hàng chờ</button>'
        in mine
    )
    assert 'type="checkbox"' not in mine
    assert f'<button class="kc-button" formaction="{claim_url}">Nhận xử lý</button>' in waiting
    assert reassign not in waiting and f'<a href="{reassign}">Giao việc</a>' in waiting_head
    assert "<td>appraise</td>" in done and "formaction" not in done
    completed = display_rows([row(1, "late", completed=at(5))], "archive")[0]["when"]
    assert f'<td>{completed} <span class="kc-badge kc-badge--late">trễ hạn</span>' in done


def test_an_empty_box_says_so_in_the_users_language():
    with translation.override("vi"):
        assert html_rows([], "inbox") == '<tr><td colspan="7">Không có việc nào.</td></tr>'
    with translation.override("en"):
        assert html_rows([], "queue") == '<tr><td colspan="7">No tasks.</td></tr>'
        assert "Return to queue" in html_rows([row(1, "ok")], "inbox")


def test_filter_options_mark_the_selection_and_escape_labels():
    assert options_html([("1", "Huyện <A>", False), ("2", "Xã & B", True)]) == (
        '<option value="1">Huyện &lt;A&gt;</option><option value="2" selected>Xã &amp; B</option>'
    )
    with translation.override("vi"):
        statuses = choice_options_html("status", "vi", "lodged")
    assert statuses.count("<option") == len(Status.choices)
    assert '<option value="lodged" selected>' in statuses and statuses.count(" selected") == 1
    with translation.override("en"):
        assert choice_options_html("status", "en", "") != statuses


def test_the_pages_show_the_rows_and_the_selected_filter(client, w):
    proposals = [drive(w, complete_proposal(w, title=f"Đề án <{i}>"), "lodge") for i in range(3)]
    claim(proposals[0].tasks.get().pk, actor=w.user("district"), now=at(1))
    client.force_login(w.user("district"))
    mine = client.get(reverse("tasks:inbox")).content.decode()
    assert mine.count('data-task="') == 1 and "Đề án &lt;0&gt;" in mine
    waiting = client.get(reverse("tasks:queue") + "?status=lodged").content.decode()
    assert waiting.count('type="checkbox" name="task"') == 2
    assert '<option value="lodged" selected>' in waiting
    assert {f"Đề án &lt;{i}&gt;" in waiting for i in (1, 2)} == {True}


def test_the_menu_counts_stop_at_the_cap(client, w):
    for i in range(4):
        p = drive(w, complete_proposal(w, title=f"Đề án {i}"), "lodge")
        if i < 3:
            claim(p.tasks.get().pk, actor=w.user("district"), now=at(1))
    district = w.user("district")
    mine, waiting = inbox(district).count(), queue(district).count()
    assert mine >= 3 and waiting >= 1
    assert box_counts(district, cap=2) == {"inbox": 3, "queue": min(waiting, 3)}
    assert box_counts(district) == {"inbox": mine, "queue": waiting}  # under the default cap: exact
    assert [count_label(n, 2) for n in (0, 2, 3, 3000)] == ["0", "2", "2+", "2+"]
    client.force_login(district)
    with override_settings(KHUYENCONG={**settings.KHUYENCONG, "MENU_COUNT_CAP": 2}):
        html = client.get(reverse("tasks:inbox")).content.decode()
    assert "Việc của tôi (2+)" in html
    assert re.search(r'data-count="inbox">2\+<', html)
    html = client.get(reverse("tasks:inbox")).content.decode()
    assert f"Việc của tôi ({mine})" in html


def test_the_backend_reads_the_user_and_their_roles_as_django_does(w):
    finance = w.user("finance")
    finance.groups.add(Group.objects.get(name="auditor"))
    for user in w.users.values():
        ours, django = UserBackend().get_user(user.pk), ModelBackend().get_user(user.pk)
        assert {f.attname: getattr(ours, f.attname) for f in type(user)._meta.concrete_fields} == {
            f.attname: getattr(django, f.attname) for f in type(user)._meta.concrete_fields
        }
        assert ours.role_names == frozenset(user.groups.values_list("name", flat=True))
        assert ours._state.db == "default" and not ours._state.adding
    assert UserBackend().get_user(finance.pk).role_names == {"finance_officer", "auditor"}


def test_the_backend_refuses_what_django_refuses(w):
    appraiser = w.user("appraiser")
    assert UserBackend().get_user(10**9) is None
    assert UserBackend().get_user("not a number") is None
    appraiser.is_active = False
    appraiser.save(update_fields=["is_active"])
    assert UserBackend().get_user(appraiser.pk) is None
    assert ModelBackend().get_user(appraiser.pk) is None


def test_a_role_taken_away_is_gone_at_the_next_request(client, w):
    finance = w.user("finance")
    client.force_login(finance)
    assert client.get(reverse("tasks:inbox")).status_code == 200
    finance.groups.clear()
    response = client.get(reverse("tasks:inbox"))
    assert response.status_code in (302, 403)


SQLITE_PROBE = """
import django, json
django.setup()
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from core.auth_backends import UserBackend
from core.models import AdministrativeUnit, User
from workflow.models import Proposal, TransitionEvent
from workflow.services.audit import verify_chains
call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0)  # what make run loads: đề án driven through their transitions
unit = AdministrativeUnit.objects.create(code="99", name="Tỉnh Thử Nghiệm", level="province")
user = User.objects.create_user("thamdinh", password="x-password-1", first_name="Lan", unit=unit)
user.groups.add(Group.objects.get_or_create(name="appraiser")[0], Group.objects.get_or_create(name="auditor")[0])
bare = User.objects.create_user("khongvaitro", password="x-password-1")
client = Client()
client.force_login(user)
page = client.get("/cong-viec/cua-toi/", HTTP_ACCEPT_LANGUAGE="vi")
print(json.dumps({
  "status": page.status_code,
  "tabs": "Việc của tôi" in page.content.decode(),
  "roles": sorted(UserBackend().get_user(user.pk).role_names),
  "bare": sorted(UserBackend().get_user(bare.pk).role_names),
  "missing": UserBackend().get_user(10**9) is None,
  "demo": [Proposal.objects.count() > 1, TransitionEvent.objects.filter(kind="transition").count() > 1],
  "chains": verify_chains().ok,
}))
"""


def test_a_signed_in_officer_gets_the_inbox_on_sqlite_as_make_run_serves_it(tmp_path):
    """What ``make run`` serves from SQLite: its demo data is loaded through the transition service (the
    statements written once, the outbox insert), its audit chains verify, an appraiser opens the inbox, a user
    without a role has none and an unknown id is nobody."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "REDIS_URL": "",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_PROBE], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out == {
        "status": 200,
        "tabs": True,
        "roles": ["appraiser", "auditor"],
        "bare": [],
        "missing": True,
        "demo": [True, True],
        "chains": True,
    }


def test_the_rows_links_follow_the_script_prefix_the_site_is_served_under():
    """The row links are reversed once and kept: per script prefix (a province serving the site under a path)
    and language, never the links of another mount."""
    from django.urls import get_script_prefix, set_script_prefix

    from workflow.views.tasks import url_for_pk

    before = get_script_prefix()
    try:
        for prefix in ("/", "/khuyen-cong/", "/"):
            set_script_prefix(prefix)
            for name in ("proposals:detail", "tasks:claim", "tasks:release", "tasks:reassign"):
                assert url_for_pk(name)(2785) == reverse(name, args=[2785])
                assert url_for_pk(name)(2785).startswith(prefix)
            assert url_for_pk("proposals:detail")(7).startswith(prefix)
    finally:
        set_script_prefix(before)
