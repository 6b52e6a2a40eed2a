"""The page shell rendered once per process (core/templatetags/shell.py), the inbox rows computed in Python
(workflow/views/tasks.py) and the sessions read from Redis (core/sessions.py): same pages, fewer statements."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from core.templatetags import shell
from workflow.selectors import PageProposal, TaskRow
from workflow.services.tasks import claim
from workflow.views.tasks import _options, display_rows

from .world import at, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def w():
    shell.clear()
    yield build_world()
    shell.clear()


def page(client, w, name, url, lang="vi"):
    client.force_login(w.user(name))
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return CSRF.sub("csrf", response.content.decode())


def menu(html):
    return html.split('<div class="vf-page__menu-primary">')[1].split(
        '<div class="vf-page__menu-secondary">'
    )[0]


def counts(html):
    return {name: int(n) for name, n in re.findall(r'data-count="(\w+)">(\d+)<', html)}


STAFF = ("appraiser", "head", "finance", "auditor", "approver", "appraiser2")


@pytest.mark.parametrize(
    ("url", "names"),
    [
        ("/cong-viec/cua-toi/", STAFF),
        ("/cong-viec/hang-cho/", STAFF),
        ("/de-an/", STAFF),
        ("/trang-chu/", STAFF),
        ("/cong-viec/uy-quyen/", STAFF),
        ("/kiem-tra/", ("auditor", "head")),
        ("/don-vi/", ("applicant",)),
    ],
)
def test_the_cached_shell_is_the_page_built_without_it(client, w, url, names):
    drive(w, complete_proposal(w), "district_submit")
    w.user("head").groups.add(Group.objects.get(name="auditor"), Group.objects.get(name="approver"))
    # A name and an e-mail that must be escaped, and an e-mail that is the user name (no subtitle).
    w.users["finance"].__class__.objects.filter(username="finance").update(first_name='<b>"Tài"</b> & co')
    w.users["auditor"].__class__.objects.filter(username="auditor").update(email="auditor")
    for name in names:
        for lang in ("vi", "en"):
            with override_settings(DEBUG=True):  # {% shell_cache %} renders every time
                fresh = page(client, w, name, url, lang)
            first, again = page(client, w, name, url, lang), page(client, w, name, url, lang)
            assert first == fresh and again == fresh, (name, lang)


BOX_URLS = (
    "/cong-viec/cua-toi/?status=district_submitted&due=overdue",
    "/cong-viec/cua-toi/",
    "/cong-viec/hang-cho/?due=soon&content_type=machinery&q=%3Cb%3E",
    "/cong-viec/hang-cho/?unit=1&plan_year=2026",
    "/cong-viec/hang-cho/",
    "/cong-viec/da-xu-ly/",
)


def test_the_task_boxes_fixed_parts_from_the_copy_are_the_page_built_without_it(client, w):
    """The tabs, filter labels and table head come from {% shell_cache "values" %} copies keyed by the box, the
    filters' options and the due filter; the search text, the year and the rows are rendered every time. One
    copy for all the boxes and filters in turn: a copy shown where its key does not fit would differ."""
    p = drive(w, complete_proposal(w), "district_submit")
    claim(p.tasks.get(completed_at__isnull=True).pk, actor=w.user("appraiser"), now=at(3))
    for url in BOX_URLS:
        for name in ("appraiser", "appraiser2", "head"):
            for lang in ("vi", "en"):
                with override_settings(DEBUG=True):
                    fresh = page(client, w, name, url, lang)
                first, again = page(client, w, name, url, lang), page(client, w, name, url, lang)
                assert first == fresh and again == fresh, (url, name, lang)
    kept = [key for key in shell._fragments if key[1] == "values"]
    assert {key[0][0].rsplit("/", 1)[-1] for key in kept} == {"task_box.html"}
    assert all(isinstance(v, str | int | bool | type(None)) for key in kept for v in key[-1])


def test_a_fragment_keyed_by_a_value_of_another_kind_is_rendered_every_time(rf):
    from django.template import Context, Template

    shell.clear()
    tpl = Template(
        '{% load shell %}{% shell_cache "values" box thing %}[{{ box }}/{{ thing }}]{% endshell_cache %}'
    )
    assert tpl.render(Context({"box": "inbox", "thing": 1})) == "[inbox/1]"
    assert tpl.render(Context({"box": "inbox", "thing": 2})) == "[inbox/2]"
    assert tpl.render(Context({"box": "inbox", "thing": [1]})) == "[inbox/[1]]"
    assert tpl.render(Context({"box": "inbox", "thing": [2]})) == "[inbox/[2]]"  # a list is not a key
    assert len(shell._fragments) == 2
    shell.clear()


def test_a_user_who_loses_a_role_does_not_see_the_old_menu(client, w):
    finance, auditor = w.user("finance"), Group.objects.get(name="auditor")
    finance.groups.add(auditor)
    before = menu(page(client, w, "finance", "/cong-viec/cua-toi/"))
    assert "/cong-viec/hang-loat/verify_finance/" in before
    assert 'href="/kiem-tra/"' in before
    finance.groups.remove(auditor)
    after = menu(page(client, w, "finance", "/cong-viec/cua-toi/"))
    assert 'href="/kiem-tra/"' not in after
    assert "/cong-viec/hang-loat/verify_finance/" in after
    finance.groups.remove(Group.objects.get(name="finance_officer"))
    finance.groups.add(Group.objects.get(name="appraiser"))
    appraiser_menu = menu(page(client, w, "finance", "/cong-viec/cua-toi/"))
    assert "/cong-viec/hang-loat/verify_finance/" not in appraiser_menu
    # Another user with the same roles sees the same menu; the cached copy holds nobody's name.
    assert appraiser_menu == menu(page(client, w, "appraiser", "/cong-viec/cua-toi/"))
    assert "finance@example.vn" not in "".join(shell._fragments.values())


def test_the_menu_counts_stay_live_after_a_claim(client, w):
    tasks = [drive(w, complete_proposal(w, title=f"Đề án {i}"), "lodge").tasks.get() for i in range(3)]
    html = page(client, w, "district", "/cong-viec/cua-toi/")
    assert counts(html) == {"inbox": 0, "queue": 3}
    assert "(0)" in html.split('class="kc-tabs"')[1].split("</nav>")[0]
    client.post(reverse("tasks:claim", args=[tasks[0].pk]))
    html = page(client, w, "district", "/cong-viec/cua-toi/")
    assert counts(html) == {"inbox": 1, "queue": 2}
    claim(tasks[1].pk, actor=w.user("district2"), now=at(1))  # someone else of the unit
    assert counts(page(client, w, "district", "/cong-viec/hang-cho/")) == {"inbox": 1, "queue": 1}
    assert counts(page(client, w, "district2", "/cong-viec/hang-cho/")) == {"inbox": 1, "queue": 1}


def test_the_inbox_page_statements_stay_fixed(client, w):
    for p in [drive(w, complete_proposal(w, title=f"Đề án {i}"), "lodge") for i in range(30)]:
        claim(p.tasks.get().pk, actor=w.user("district"), now=at(1))
    client.force_login(w.user("district"))
    client.get(reverse("tasks:inbox"))  # the session in the cache, the unit copies read
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("tasks:inbox"))
    assert response.content.decode().count('data-task="') == 25
    sql = [q["sql"] for q in ctx.captured_queries]
    # The user with their groups (core.auth_backends.UserBackend), the page, the two counts; no session, unit
    # or menu statement.
    assert len(sql) == 3, sql
    assert "auth_group" in sql[0] and "core_user" in sql[0]
    assert sum("auth_group" in s for s in sql) == 1
    assert not any("django_session" in s or "core_administrativeunit" in s for s in sql)
    client.force_login(w.user("district2"))  # another officer, the same menu from the cache
    client.get(reverse("tasks:inbox"))
    with CaptureQueriesContext(connection) as again:
        client.get(reverse("tasks:inbox"))
    assert len(again.captured_queries) == len(sql)


def test_ids_are_plain_digits_in_english():
    with translation.override("en"):
        row = TaskRow(
            12345, 6789, "lodged", "appraiser", 1, None, None, at(0), at(2), None, None, "",
            proposal=PageProposal(6789, "KC-2025-0001", "Đề án <sấy>", "lodged", None),
            place="Xã Đức Liễu", step="Đã nộp", due_state="ok",
        )  # fmt: skip
        (shown,) = display_rows([row], "queue")
        assert shown["id"] == "12345"
        assert shown["detail_url"] == reverse("proposals:detail", args=[6789])
        assert shown["verb_url"] == reverse("tasks:claim", args=[12345])
        assert shown["reassign_url"] == reverse("tasks:reassign", args=[12345])
        assert shown["select_label"] == translation.gettext("Chọn %(code)s") % {"code": "KC-2025-0001"}
        assert _options([(1234, "Huyện")], 1234) == [("1234", "Huyện", True)]


def test_dates_are_written_in_the_local_time_zone():
    utc = dt.datetime(2026, 3, 1, 17, 5, tzinfo=dt.UTC)  # 00:05 on 2 March in Asia/Ho_Chi_Minh
    row = TaskRow(
        1, 2, "lodged", "appraiser", 1, None, None, utc, utc, None, None, "",
        proposal=PageProposal(2, "KC-1", "T", "lodged", None), place="", step="", due_state="ok",
    )  # fmt: skip
    assert display_rows([row], "inbox")[0]["when"] == "02/03/2026 00:05"


class _DownCache:
    def __getattr__(self, name):
        def down(*args, **kwargs):
            raise ConnectionError("Redis is down")

        return down

    def __contains__(self, key):
        raise ConnectionError("Redis is down")


def test_sessions_fall_back_to_the_database_while_redis_is_down(client, w, monkeypatch):
    from django.conf import settings

    from core import sessions

    assert settings.SESSION_ENGINE == "core.sessions"  # the tests run with REDIS_URL
    monkeypatch.setattr(sessions.SessionStore, "_cache", _DownCache(), raising=False)
    monkeypatch.setattr(
        sessions.SessionStore, "__init__", lambda self, key=None: sessions.DBStore.__init__(self, key)
    )
    client.force_login(w.user("appraiser"))  # a new key (exists), cycle_key, save
    assert client.get(reverse("tasks:inbox")).status_code == 200  # read from the database
    with pytest.raises(ConnectionError):  # signing out is not reported done while a copy may remain
        client.post(reverse("logout"))


@pytest.mark.redis
def test_the_cache_keeps_one_redis_client(settings):
    from django.core.cache import caches

    from core.cache import RedisCache

    cache = caches["default"]
    assert settings.CACHES["default"]["BACKEND"] == "core.cache.RedisCache"
    assert isinstance(cache, RedisCache)
    cache.set("kc-test-client", {"a": 1}, 30)
    assert cache.get("kc-test-client") == {"a": 1}
    assert cache._cache.get_client(write=True) is cache._cache.get_client()
    cache.delete("kc-test-client")
    assert cache.get("kc-test-client") is None


def test_the_page_copy_holds_markers_not_the_users_data(client, w):
    """The per-process copy of a staff page's document has no name, e-mail, CSRF token or page content in
    it, and each request gets its own token in every form, its own name and its own messages."""
    from django.contrib.messages import get_messages  # noqa: F401 - the storage the views use

    finance = w.user("finance")
    finance.first_name, finance.last_name = "Tài", "Nguyễn Văn"
    finance.save()
    client.force_login(finance)
    html = client.get(reverse("tasks:inbox")).content.decode()
    copies = [v for k, v in shell._fragments.items() if k[1] == "page"]
    assert len(copies) == 1
    copy = copies[0]
    assert "Nguyễn Văn Tài" not in copy and "finance@example.vn" not in copy
    assert "Việc của tôi" not in copy.split("<title>")[1].split("</title>")[0]  # the title is a slot
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    # The two sign-out forms (from the copy) and the page's own form: one token, no marker left.
    assert len(tokens) == 3 and len(set(tokens)) == 1 and "\x1f" not in html
    assert set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', copy)) == {
        shell._SLOT.format("csrf")
    }
    assert 'alt="Nguyễn Văn Tài"' in html and "finance@example.vn</div>" in html

    # Another user with the same roles and unit: the same copy, their own name; a message in the page and in
    # the snackbar (claiming with nothing selected).
    client.force_login(w.user("district2"))
    client.force_login(w.user("finance_other"))
    response = client.post(reverse("tasks:bulk_claim"), follow=True)
    page_html = response.content.decode()
    assert "Chưa chọn nhiệm vụ nào." in page_html.split("<vf-snackbar")[1]
    assert 'kc-message--warning" role="status">Chưa chọn nhiệm vụ nào.</li>' in page_html
    assert "finance_other@example.vn</div>" in page_html and "finance@example.vn" not in page_html


def test_a_page_token_signs_out(w):
    """The CSRF token put into the cached document's sign-out form is this session's: the form works."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(w.user("appraiser"))
    client.get(reverse("tasks:inbox"))  # the copy is made
    html = client.get(reverse("tasks:inbox")).content.decode()
    form = html.split('<form method="post" action="/accounts/logout/" class="kc-logout">')[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get(reverse("tasks:inbox")).status_code == 403  # signed out: no staff page


def test_a_staff_page_template_renders_for_a_visitor_not_signed_in(rf):
    """No page of the project shows workflow/base.html to a visitor, but the shell must not fail on one."""
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string

    request = rf.get("/cong-viec/cua-toi/")
    request.user = AnonymousUser()
    html = render_to_string("workflow/task_box.html", {"title": "Hộp việc", "rows_html": ""}, request=request)
    assert "<title>Hộp việc — Khuyến công</title>" in html and "\x1f" not in html


def test_the_pager_search_and_year_are_put_into_the_copy_per_request(client, w, monkeypatch):
    """A page of one row, so that the queue has a next page: the first page's "Trang sau" link carries its
    cursor, the second page's "Về trang đầu" the filters without it; each served from the copy is the page built
    without it, and the copies hold no cursor, search text or year."""
    from workflow.views.tasks import TaskBoxView

    monkeypatch.setattr(TaskBoxView, "page_size", 1)
    for _ in range(3):
        drive(w, complete_proposal(w, title='Máy sấy "A" </a>'), "district_submit")

    def both(url):
        with override_settings(DEBUG=True):
            fresh = page(client, w, "appraiser", url)
        served = page(client, w, "appraiser", url)
        assert served == fresh, url
        return served

    base = "/cong-viec/hang-cho/?q=%22a%22+%3C%2Fa%3E&plan_year=2026"
    first = both(base)
    assert 'name="q" value="&quot;a&quot; &lt;/a&gt;"' in first and 'value="2026"' in first
    assert "Về trang đầu" not in first
    after = re.search(r'<a href="\?q=[^"]*&amp;after=([^"]+)" rel="next">', first).group(1)
    second = both(f"{base}&after={after}")
    assert '<a href="?q=%22a%22+%3C%2Fa%3E&amp;plan_year=2026">Về trang đầu</a>' in second
    later = re.search(r'<a href="\?q=[^"]*&amp;after=([^"]+)" rel="next">', second).group(1)
    last = both(f"{base}&after={later}")  # the third of three rows: no next page
    assert 'rel="next"' not in last and "Về trang đầu" in last
    third = both(f"/cong-viec/hang-cho/?after={after}")  # no filters: "?after=…" alone
    assert '<a href="?">Về trang đầu</a>' in third and 'rel="next"' in third
    assert re.search(r'<a href="\?after=[^"&]+" rel="next">', third)
    kept = "".join(v for k, v in shell._fragments.items() if k[1] == "values")
    assert after not in kept and "&quot;a&quot;" not in kept and 'value="2026"' not in kept


def _engine(**templates):
    from django.template import Engine

    return Engine(
        loaders=[("django.template.loaders.locmem.Loader", templates)],
        libraries={"shell": "core.templatetags.shell"},
    )


def test_a_live_value_is_a_marker_in_the_copy_and_escaped_in_the_page():
    from django.template import Context

    shell.clear()
    tpl = _engine(
        t='{% load shell %}{% shell_cache "values" box %}<{{ box }}:{% shell_live q %}|{% shell_live n|default:"-" %}>{% endshell_cache %}'
    ).get_template("t")
    assert (
        tpl.render(Context({"box": "inbox", "q": '<b>"x"</b>', "n": 0}))
        == "<inbox:&lt;b&gt;&quot;x&quot;&lt;/b&gt;|->"
    )
    assert tpl.render(Context({"box": "inbox", "q": "y", "n": 7})) == "<inbox:y|7>"
    (copy,) = shell._fragments.values()
    assert copy == f"<inbox:{shell._LIVE.format(0)}|{shell._LIVE.format(1)}>"
    with override_settings(DEBUG=True):  # no copy: the values in place
        assert tpl.render(Context({"box": "queue", "q": "z", "n": 1})) == "<queue:z|1>"
    shell.clear()


def test_live_values_where_one_marker_cannot_stand_for_them_are_refused():
    from django.template import Context, TemplateSyntaxError

    shell.clear()
    engine = _engine(
        loop='{% load shell %}{% shell_cache "values" box %}{% for i in rows %}{% shell_live i %}{% endfor %}{% endshell_cache %}',
        nested='{% load shell %}{% shell_cache "values" box %}{% shell_cache "values" box %}x{% endshell_cache %}{% endshell_cache %}',
        outside="{% load shell %}{% shell_live q %}",
        part="{% load shell %}{% shell_live q %}",
        including='{% load shell %}{% shell_cache "values" box %}[{% include "part" %}]{% endshell_cache %}',
        fragment='{% load shell %}{% shell_cache "values" box %}{% shell_live q %}{% endshell_cache %}',
        including_fragment='{% load shell %}{% shell_cache "values" box %}[{% include "fragment" %}]{% endshell_cache %}',
        bare="{% load shell %}{% shell_live %}",
    )
    for name, message in (
        ("loop", "cannot be inside a {% for %}"),
        ("nested", "cannot hold another {% shell_cache %}"),
        ("bare", "takes one expression"),
    ):
        with pytest.raises(TemplateSyntaxError, match=re.escape(message)):
            engine.get_template(name)
    # Outside any fragment the value is printed; in a template a fragment includes, its copy would keep it.
    assert engine.get_template("outside").render(Context({"q": "<q>"})) == "&lt;q&gt;"
    with pytest.raises(TemplateSyntaxError, match="must be written in its"):
        engine.get_template("including").render(Context({"box": "inbox", "q": "a"}))
    # A fragment reached through an include would put its values into the outer copy.
    with pytest.raises(TemplateSyntaxError, match=re.escape("cannot hold another {% shell_cache %}")):
        engine.get_template("including_fragment").render(Context({"box": "inbox", "q": "a"}))
    assert shell._fragments == {}
    assert engine.get_template("fragment").render(Context({"box": "inbox", "q": "b"})) == "b"  # alone, kept
    assert len(shell._fragments) == 1
    shell.clear()


def test_the_user_is_read_once_and_then_is_the_request_s_own(rf, w):
    """core.middleware.AuthenticationMiddleware: nothing is read until the user is used; then request.user is
    the user itself. A user put on the request in the meantime (as login() does) stays."""
    from django.contrib.auth import login
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.test.utils import CaptureQueriesContext

    from core.middleware import AuthenticationMiddleware
    from core.models import User

    def request_of(user):
        request = rf.get("/cong-viec/cua-toi/")
        SessionMiddleware(lambda r: None).process_request(request)
        login(request, user, backend="core.auth_backends.UserBackend")
        request.session.save()
        fresh = rf.get("/cong-viec/cua-toi/", HTTP_COOKIE=f"sessionid={request.session.session_key}")
        fresh.COOKIES["sessionid"] = request.session.session_key
        SessionMiddleware(lambda r: None).process_request(fresh)
        AuthenticationMiddleware(lambda r: None).process_request(fresh)
        return fresh

    request = request_of(w.user("appraiser"))
    with CaptureQueriesContext(connection) as queries:
        lazy = request.user
        assert type(request.__dict__["user"]) is not User  # not read yet
    assert len(queries) == 0
    assert lazy.username == "appraiser"
    assert type(request.user) is User and request.user.username == "appraiser"
    assert request.user.role_names == frozenset({"appraiser"})

    request = request_of(w.user("appraiser"))
    lazy, other = request.user, w.user("finance")
    request.user = other  # what login() does
    assert lazy.username == "appraiser"  # read from the session afterwards
    assert request.user is other  # not replaced by what the older lazy object read
