"""Parts of the page shell rendered once per process instead of on every page.

viewflow's shell (viewflow/base.html and base_page.html) builds the same HTML on every page: the stylesheet and
script links, and the menus, which check each application's permission and reverse and translate every link.
``{% shell_cache %}…{% endshell_cache %}`` keeps what a fragment rendered, under a key made of everything the
fragment may depend on, so that a cached copy is only ever shown where the same HTML would have been built:

``{% shell_cache "static" %}``
    depends on nothing of the request but the language and the script prefix (links to static files and URLs).
``{% shell_cache "menu" %}``
    the menus; the key adds the site, the application and viewset of the page, the URL namespace, the answer of
    each application of the site to ``has_view_permission(user)``, the user's roles, unit, organisation and
    superuser/active flags. A user who gains or loses a role or a permission gets another key, so never a menu
    built for what they could see before. The box counts (``kc_counts``, workflow/context_processors.py) stay
    live: the cached copy holds a marker for each count, replaced by this request's figure.

``{% shell_cache "values" box can_bulk_claim … %}``
    a part of a page that depends on nothing but the values listed, the language and the script prefix; the
    counts stay live as in the menu. The task boxes' tabs, filter labels and table head (workflow/task_box.html)
    are a score of translated labels and three reversed links, the same for every officer. Each value must be
    text, a number, a boolean or None (a lazy translation counts as its text); with any other value the fragment
    is rendered every time. What a person typed (a search) is never one of them: a key per search would
    fill the copy.

``{% shell_live expression %}``, inside a ``{% shell_cache %}``
    a value that differs from one request to the next (a search text, the rows of a page, a link with its
    cursor): the copy holds a marker in its place, and each request puts the value in, escaped as
    ``{{ expression }}`` would print it. Whatever the fragment tests must still be one of its key's values: a
    ``shell_live`` prints, it is never a condition. Not inside a ``{% for %}`` (one marker cannot hold a value
    per turn) nor in a template the fragment includes (its first value would be kept in the copy): both are
    refused, the first when the template is read, the second when it is rendered. For the same reason a
    ``{% shell_cache %}`` is refused inside another, whether written there or reached through an include.

``{% shell_page %}{% shell_slot "title" %}…{% endshell_slot %}…{% endshell_page %}`` (workflow/base.html)
    the whole document around a staff page: viewflow's head, menu, toolbar and snackbar, rendered once per
    menu key (above) from core/shell_page.html with a marker in each place that differs from one request to
    the next: the page's slots (title, extra head, heading, content, rendered per request as before), the
    user's name and e-mail, the CSRF token of the sign-out forms, the last message for the snackbar and the
    counts. Each request renders its slots and puts them, escaped where they are text, into the copy in one
    pass (nothing put in is searched again for markers). With DEBUG on, or without a menu key, the document
    is rendered from the same template with the real values in place of the markers.

Neither the key nor the copy holds any personal data beyond role names and ids. A fragment that would contain a
CSRF token is never kept. Menu templates may print ``kc_counts.<name>`` but must not test it, and must depend on
nothing of the user or request outside the key above (tests/integration/test_shell_cache.py renders every
menu cached and uncached for several users and compares).
"""

from __future__ import annotations

import re
import threading

from django import template
from django.conf import settings
from django.template.base import FilterExpression, render_value_in_context
from django.template.defaultfilters import title
from django.template.defaulttags import ForNode
from django.urls import get_script_prefix
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

MAX_ENTRIES = 1024  # past this many distinct fragments the copy starts again
_lock = threading.Lock()
_fragments: dict[tuple, str] = {}
_MARK = "\x1fkc-count:{}\x1f"  # a control character: never in a template or a translation
_SLOT = "\x1fkc-slot:{}\x1f"
_LIVE = "\x1fkc-live:{}\x1f"
_MARKS = re.compile("\x1fkc-(count|slot|live):([a-z_0-9]+)\x1f")
_MAKING_COPY = "kc_making_copy"  # set in the context while a {% shell_cache %} renders its copy


def clear() -> None:
    with _lock:
        _fragments.clear()


def _keep(key: tuple, html: str) -> None:
    """Keep a rendered fragment, unless it holds a CSRF token other than the marker (a token is per session)."""
    if set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', html)) <= {_SLOT.format("csrf")}:
        with _lock:
            if len(_fragments) >= MAX_ENTRIES:
                _fragments.clear()
            _fragments[key] = html


def _fill(html: str, values: dict[tuple[str, str], str]) -> str:
    """Each marker of a kept fragment replaced by its value, in one pass: nothing put in is searched again."""
    return _MARKS.sub(lambda m: values[(m.group(1), m.group(2))], html)


def _count_values(counts: dict, context) -> dict[tuple[str, str], str]:
    return {("count", name): render_value_in_context(value, context) for name, value in counts.items()}


def _menu_key(context) -> tuple | None:
    request = context.get("request")
    site = context.get("site")
    user = getattr(request, "user", None)
    if request is None or site is None or user is None:
        return None
    match = getattr(request, "resolver_match", None)
    authenticated = bool(user.is_authenticated)
    return (
        site,
        context.get("app"),
        context.get("viewset"),
        getattr(match, "namespace", None),
        tuple(bool(app.has_view_permission(user)) for app in site.menu_items()),
        authenticated,
        tuple(sorted(user.role_names)) if authenticated else (),
        getattr(user, "is_superuser", False),
        getattr(user, "is_active", False),
        getattr(user, "unit_id", None),
        getattr(user, "organisation_id", None),
    )


_KEY_TYPES = (str, int, bool, type(None))


def _key_value(value):
    """A value fit for a fragment's key, or the marker ``_UNFIT`` (the fragment is then rendered every time)."""
    if isinstance(value, Promise):
        return str(value)  # in the active language, which is part of the key
    return value if isinstance(value, _KEY_TYPES) else _UNFIT


_UNFIT = object()


class ShellLiveNode(template.Node):
    """``{% shell_live expression %}``: a marker in its fragment's copy, the value on each request."""

    def __init__(self, expression: FilterExpression):
        self.expression = expression
        self.index: int | None = None  # its place among its fragment's markers, set by the fragment

    def value(self, context) -> str:
        return render_value_in_context(self.expression.resolve(context), context)

    def render(self, context):
        if not context.get(_MAKING_COPY):
            return self.value(context)
        if self.index is None:  # in a template the fragment includes: its value would be kept in the copy
            raise template.TemplateSyntaxError(
                "{% shell_live %} must be written in its {% shell_cache %} itself"
            )
        return _LIVE.format(self.index)


@register.tag("shell_live")
def shell_live(parser, token):
    """``{% shell_live expression %}``, inside a {% shell_cache %}."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% shell_live %} takes one expression")
    return ShellLiveNode(parser.compile_filter(bits[1]))


class ShellCacheNode(template.Node):
    def __init__(self, kind: str, nodelist, place: tuple, values: tuple[FilterExpression, ...] = ()):
        self.kind = kind
        self.nodelist = nodelist
        self.place = place  # which {% shell_cache %} of which template
        self.values = values
        if nodelist.get_nodes_by_type(ShellCacheNode):
            raise template.TemplateSyntaxError("{% shell_cache %} cannot hold another {% shell_cache %}")
        if any(loop.get_nodes_by_type(ShellLiveNode) for loop in nodelist.get_nodes_by_type(ForNode)):
            raise template.TemplateSyntaxError("{% shell_live %} cannot be inside a {% for %}")
        self.live = nodelist.get_nodes_by_type(ShellLiveNode)
        for index, node in enumerate(self.live):
            node.index = index

    def render(self, context):
        if settings.DEBUG:  # an edited template shows at once
            return self.nodelist.render(context)
        if context.get(_MAKING_COPY):  # reached through an include: its values would stay in the outer copy
            raise template.TemplateSyntaxError("{% shell_cache %} cannot hold another {% shell_cache %}")
        if self.kind == "menu":
            vary = _menu_key(context)
        elif self.kind == "values":
            vary = tuple(_key_value(v.resolve(context)) for v in self.values)
            if _UNFIT in vary:
                vary = None
        else:
            vary = ()
        if vary is None:
            return self.nodelist.render(context)
        counts = context.get("kc_counts") if self.kind != "static" else None
        key = (self.place, self.kind, get_language(), get_script_prefix(), tuple(sorted(counts or ())), vary)
        html = _fragments.get(key)
        if html is None:
            marks = {_MAKING_COPY: True}
            if counts:
                marks["kc_counts"] = {name: _MARK.format(name) for name in counts}  # printed as they are
            with context.push(marks):
                html = self.nodelist.render(context)
            _keep(key, html)
        values = _count_values(counts, context) if counts else {}
        for node in self.live:
            values[("live", str(node.index))] = node.value(context)
        return _fill(html, values) if values else html  # goes into the page as it is


@register.tag("shell_cache")
def shell_cache(parser, token):
    """``{% shell_cache "static" %}``, ``{% shell_cache "menu" %}`` or ``{% shell_cache "values" a b … %}``, each
    closed by ``{% endshell_cache %}``."""
    bits = token.split_contents()
    kind = bits[1].strip("'\"") if len(bits) >= 2 else ""
    if kind not in ("static", "menu", "values") or (len(bits) > 2) != (kind == "values"):
        raise template.TemplateSyntaxError(
            '{% shell_cache "static" %}, {% shell_cache "menu" %} or {% shell_cache "values" a b … %}'
        )
    values = tuple(parser.compile_filter(bit) for bit in bits[2:])
    nodelist = parser.parse(("endshell_cache",))
    parser.delete_first_token()
    place = (parser.origin.name if parser.origin else "", token.lineno, token.position)
    return ShellCacheNode(kind, nodelist, place, values)


class ShellSlotNode(template.Node):
    """One part of a staff page that {% shell_page %} puts into the document (its blocks can be overridden)."""

    def __init__(self, name: str, nodelist):
        self.name = name
        self.nodelist = nodelist

    def render(self, context):
        return self.nodelist.render(context)


SLOTS = ("title", "extrahead", "heading", "content")


class ShellPageNode(template.Node):
    def __init__(self, nodelist, place: tuple):
        self.nodelist = nodelist
        self.place = place

    def render(self, context):
        slots = {n.name: n.render(context) for n in self.nodelist if isinstance(n, ShellSlotNode)}
        engine = context.template.engine
        request = context.get("request")
        user = getattr(request, "user", None)
        messages = list(context.get("messages") or ())
        signed_in = bool(getattr(user, "is_authenticated", False))
        real = {
            **slots,
            # request.user.get_full_name|default:request.user.get_username|title, as viewflow's shell prints it
            "user_name": title(user.get_full_name() or user.get_username()) if signed_in else "",
            "user_info": SafeString(engine.get_template("core/shell_user_info.html").render(context)),
            "snackbar": conditional_escape(messages[-1]) if messages else "",
        }
        skeleton = engine.get_template("core/shell_page.html")
        vary = None
        if not settings.DEBUG and signed_in:
            match = getattr(request, "resolver_match", None)  # what viewflow/base.html's {% with %} sets
            with context.push({name: getattr(match, name, None) for name in ("site", "app", "viewset")}):
                vary = _menu_key(context)
        if vary is None:
            with context.push(shell_page={k: SafeString(v) if k in slots else v for k, v in real.items()}):
                return skeleton.render(context)
        counts = context.get("kc_counts") or {}
        key = (self.place, "page", get_language(), get_script_prefix(), tuple(sorted(counts)), vary)
        html = _fragments.get(key)
        if html is None:
            marks = {name: SafeString(_SLOT.format(name)) for name in real}
            values = {"shell_page": marks, "csrf_token": _SLOT.format("csrf")}
            if counts:
                values["kc_counts"] = {name: _MARK.format(name) for name in counts}
            with context.push(**values):
                html = skeleton.render(context)
            _keep(key, html)
        token = context.get("csrf_token")
        filled = {
            ("slot", name): value if name in slots else conditional_escape(value)
            for name, value in real.items()
        }
        filled[("slot", "csrf")] = conditional_escape(str(token)) if token else ""
        return SafeString(_fill(html, filled | _count_values(counts, context)))


@register.tag("shell_slot")
def shell_slot(parser, token):
    """``{% shell_slot "content" %}…{% endshell_slot %}``, inside {% shell_page %}."""
    bits = token.split_contents()
    name = bits[1].strip("'\"") if len(bits) == 2 else ""
    if name not in SLOTS:
        raise template.TemplateSyntaxError(f"{{% shell_slot %}} takes one of {', '.join(SLOTS)}")
    nodelist = parser.parse(("endshell_slot",))
    parser.delete_first_token()
    return ShellSlotNode(name, nodelist)


@register.tag("shell_page")
def shell_page(parser, token):
    """``{% shell_page %}{% shell_slot "title" %}…{% endshell_slot %}…{% endshell_page %}``."""
    nodelist = parser.parse(("endshell_page",))
    parser.delete_first_token()
    place = (parser.origin.name if parser.origin else "", token.lineno, token.position)
    return ShellPageNode(nodelist, place)
