"""The user of a request read once (``AuthenticationMiddleware``), and the security headers Django does not
set itself: Content-Security-Policy, Permissions-Policy and the cross-origin isolation headers (Django 5.2 has
no built-in CSP).

Everything the pages load comes from this site: viewflow's Material shell, Turbo and the Swagger UI are
served from our static files (drf-spectacular-sidecar), so scripts, fonts, images and connections are
``'self'`` only. Two allowances, both deliberate:

* ``style-src 'unsafe-inline'``: viewflow's templates put ``style="…"`` attributes on their markup. Styles
  cannot run code; scripts stay strict.
* inline ``<script>`` blocks written in our own templates (not rendered from data) are allowed by their
  SHA-256 hash, computed once from the template files. Turbo navigations keep the first page's policy, so
  every page carries every hash. A script injected into a response can never match one of them.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.auth.middleware import get_user
from django.utils.functional import SimpleLazyObject

from core import pages

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


def template_dirs() -> list[Path]:
    """Our own template directories (the project's and the project apps'); third-party ones have no inline
    scripts we rely on."""
    base = Path(settings.BASE_DIR)
    dirs = [Path(d) for conf in settings.TEMPLATES for d in conf.get("DIRS", [])]
    dirs += [base / app / "templates" for app in ("core", "notifications", "workflow")]
    return [d for d in dirs if d.is_dir()]


@cache
def inline_script_hashes() -> tuple[str, ...]:
    """``'sha256-…'`` of every static inline script in our templates (skipping any with template syntax,
    whose rendered text is not known in advance)."""
    hashes = set()
    for directory in template_dirs():
        for path in sorted(directory.rglob("*.html")):
            for body in INLINE_SCRIPT.findall(path.read_text(encoding="utf-8")):
                if "{{" in body or "{%" in body or not body.strip():
                    continue
                digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
                hashes.add(f"'sha256-{digest}'")
    return tuple(sorted(hashes))


@cache
def content_security_policy() -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *inline_script_hashes()],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    if settings.SECURE_SSL_REDIRECT:  # only where the site is served over HTTPS (not the test live server)
        directives["upgrade-insecure-requests"] = []
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


class SecurityHeadersMiddleware:
    """Adds the headers to every response that has not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, except that ``request.user`` becomes the user itself once it is first read: every later use on a
    staff page (the menus, the permission checks and the templates read it many times) would otherwise go
    through the lazy object's proxy. Pages that never read it (the public ones, static files) still never load
    it. Where ``login()`` or ``logout()`` has put another user on the request in the meantime, that one stays."""

    def process_request(self, request):
        super().process_request(request)

        def load():
            user = get_user(request)
            if request.__dict__.get("user") is lazy:
                request.user = user
            return user

        lazy = request.user = SimpleLazyObject(load)


class KeptPagesMiddleware:
    """Outermost: a request that wrote answers only once the kept pages' step is taken (core/pages.py), so that
    the page its answer leads to, in any process, is built from what it wrote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        pages.settle()
        return response
