"""Input the database cannot store is refused at the door, and a service that is down is a 503, not a 500.

One middleware (``RefuseUnstorableInputMiddleware``) reads everything a request brings from outside — the path,
the query string, the cookies, the headers, the form fields (Django drops unprintable characters from file names itself), and the strings of a JSON body — and
answers 400 with a Vietnamese message when any of it holds a character PostgreSQL refuses in a text value: NUL
(U+0000), or half of a UTF-16 surrogate pair (``"\\ud800"`` in JSON). Every page, form, filter and API view is
behind it, so none of them can hand such a value to a query.

``server_error`` is the project's ``handler500``: while PostgreSQL or Redis cannot be reached the answer is a
503 page in Vietnamese with ``Retry-After``; a value the database refused as data (a ``DataError`` that got past
the door, e.g. a number out of range) is a 400. Both pages are built without the database or the cache.
"""

from __future__ import annotations

import json
import logging
import re
import sys

from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# A character PostgreSQL refuses in text: NUL, or a lone surrogate (it cannot be encoded as UTF-8).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
JSON_PATHS = ("/api/", "/tra-cuu/json/")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
RETRY_AFTER_SECONDS = 30


def wants_json(request) -> bool:
    return request.path_info.startswith(JSON_PATHS)


def _json_strings(value):
    """Every key and string of a parsed JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _strings(request):
    """(where, text) for each piece of outside input the request carries."""
    yield _("đường dẫn"), request.path_info
    for key, values in request.GET.lists():
        yield _("tham số “%(name)s”") % {"name": key}, key
        for value in values:
            yield _("tham số “%(name)s”") % {"name": key}, value
    for key, value in request.COOKIES.items():
        yield _("cookie"), key + value
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            yield _("tiêu đề yêu cầu"), value
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    content_type = request.content_type or ""
    if content_type in FORM_TYPES:
        for key, values in request.POST.lists():
            yield _("trường “%(name)s”") % {"name": key}, key
            for value in values:
                yield _("trường “%(name)s”") % {"name": key}, value
    elif content_type == "application/json" or content_type.endswith("+json"):
        try:
            document = json.loads(request.body)
        except ValueError:
            return  # not JSON: the view's parser refuses it with its own message
        for text in _json_strings(document):
            yield _("dữ liệu JSON"), text


def unstorable_input(request) -> str | None:
    """Where the request carries a character the database cannot store, or None."""
    for where, text in _strings(request):
        if UNSTORABLE.search(text):
            return where
    return None


def error_json(code: str, message: str, status: int) -> JsonResponse:
    """The API's error shape (workflow/api/errors.py), for answers given before any view runs."""
    return JsonResponse(
        {"error": {"code": code, "message": message}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def bad_request(request, message: str) -> HttpResponse:
    if wants_json(request):
        return error_json("invalid", message, 400)
    body = loader.render_to_string("400.html", {"message": message})
    return HttpResponse(body, status=400)


class RefuseUnstorableInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = unstorable_input(request)
        if where is not None:
            return bad_request(
                request,
                _(
                    "Yêu cầu bị từ chối: %(where)s chứa ký tự không hợp lệ (ký tự NUL hoặc ký tự Unicode lỗi). "
                    "Hãy xoá ký tự đó rồi gửi lại; không có gì được lưu."
                )
                % {"where": where},
            )
        return self.get_response(request)


UNAVAILABLE: list[type[Exception]] = [OperationalError, InterfaceError]
try:  # the cache and the broker
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    UNAVAILABLE += [RedisConnectionError, RedisTimeoutError]
except ImportError:  # pragma: no cover - redis is a dependency
    pass


def service_unavailable(request) -> HttpResponse:
    message = _(
        "Hệ thống đang tạm gián đoạn kết nối tới cơ sở dữ liệu hoặc bộ nhớ đệm. Vui lòng thử lại sau ít phút."
    )
    if wants_json(request):
        response: HttpResponse = error_json("unavailable", message, 503)
    else:
        body = loader.render_to_string("503.html", {"message": message, "retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request) -> HttpResponse:
    """``handler500``: called by Django while the exception is being handled."""
    exc = sys.exc_info()[1]
    if isinstance(exc, tuple(UNAVAILABLE)):
        logger.warning("Service unavailable: %s", exc)
        return service_unavailable(request)
    if isinstance(exc, DataError):
        logger.warning("Value refused by the database: %s", exc)
        return bad_request(request, _("Dữ liệu gửi lên không hợp lệ nên không được lưu. Hãy kiểm tra lại."))
    message = _("Đã có lỗi ngoài dự kiến. Lỗi đã được ghi lại; vui lòng thử lại sau.")
    if wants_json(request):
        return error_json("error", message, 500)
    return HttpResponse(loader.render_to_string("500.html", {"message": message}), status=500)
