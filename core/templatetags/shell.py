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

Neither the key nor the copy holds any personal data beyond role names and ids. A fragment that would contain a
CSRF token is never kept. Menu templates may print ``kc_counts.<name>`` but must not test it, and must depend on
nothing of the user or request outside the key above (tests/integration/test_shell_cache.py renders every
menu cached and uncached for several users and compares).
"""

from __future__ import annotations

import threading

from django import template
from django.conf import settings
from django.template.base import render_value_in_context
from django.urls import get_script_prefix
from django.utils.translation import get_language

register = template.Library()

MAX_ENTRIES = 1024  # past this many distinct fragments the copy starts again
_lock = threading.Lock()
_fragments: dict[tuple, str] = {}
_MARK = "\x1fkc-count:{}\x1f"  # a control character: never in a template or a translation


def clear() -> None:
    with _lock:
        _fragments.clear()


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


class ShellCacheNode(template.Node):
    def __init__(self, kind: str, nodelist, place: tuple):
        self.kind = kind
        self.nodelist = nodelist
        self.place = place  # which {% shell_cache %} of which template

    def render(self, context):
        if settings.DEBUG:  # an edited template shows at once
            return self.nodelist.render(context)
        if self.kind == "menu":
            vary = _menu_key(context)
            if vary is None:
                return self.nodelist.render(context)
        else:
            vary = ()
        counts = context.get("kc_counts") if self.kind == "menu" else None
        key = (self.place, self.kind, get_language(), get_script_prefix(), tuple(sorted(counts or ())), vary)
        html = _fragments.get(key)
        if html is None:
            if counts:
                with context.push(kc_counts={name: _MARK.format(name) for name in counts}):  # printed as is
                    html = self.nodelist.render(context)
            else:
                html = self.nodelist.render(context)
            if "csrfmiddlewaretoken" not in html:
                with _lock:
                    if len(_fragments) >= MAX_ENTRIES:
                        _fragments.clear()
                    _fragments[key] = html
        if counts:
            for name, value in counts.items():
                html = html.replace(_MARK.format(name), render_value_in_context(value, context))
        return html  # a node's output goes into the page as it is


@register.tag("shell_cache")
def shell_cache(parser, token):
    """``{% shell_cache "static" %}…{% endshell_cache %}`` or ``{% shell_cache "menu" %}…{% endshell_cache %}``."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1].strip("'\"") not in ("static", "menu"):
        raise template.TemplateSyntaxError('{% shell_cache "static" %} or {% shell_cache "menu" %}')
    nodelist = parser.parse(("endshell_cache",))
    parser.delete_first_token()
    place = (parser.origin.name if parser.origin else "", token.lineno, token.position)
    return ShellCacheNode(bits[1].strip("'\""), nodelist, place)
