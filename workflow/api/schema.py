"""The OpenAPI schema lists, for every operation, each error status the API can answer it with, in the one
error shape (``ErrorSerializer``, workflow/api/errors.py).

Which statuses follow from how the view is built, so that a new endpoint is documented without a list to keep:

* 400 everywhere: invalid input, and the middleware's refusal of a NUL byte in any part of a request;
* 401 and 403 where the view authenticates (a missing or wrong token, a permission or CSRF refusal);
* 404 where the path names something (an id, a trigger, a tracking code) or the list pages with a cursor;
* 406 everywhere: the API answers JSON only;
* 409 for a write on a đề án or a task (not allowed from the current status, or someone acted first);
* 415 where the operation reads a request body;
* 429 where a rate limit applies (``throttle_scope``);
* 503 everywhere: the database or the cache cannot be reached (core/errors.py), with Retry-After.

A string DRF trims and may not be blank has a pattern saying so (a string of spaces only is refused).
A PATCH whose view sets ``patch_refuses_unknown`` documents its body with ``additionalProperties: false``.

405 is not listed per operation: it is the answer to a method an address does not document at all.
"""

from __future__ import annotations

import sys

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from .serializers import ErrorSerializer

DESCRIPTIONS = {
    400: _("Dữ liệu hoặc tham số không hợp lệ; không có gì được lưu."),
    401: _("Chưa xác thực, hoặc mã truy cập không hợp lệ."),
    403: _("Không được phép (lý do trong message); không có gì được lưu."),
    404: _("Không tìm thấy, hoặc người dùng không được xem."),
    406: _("Tiêu đề Accept không nhận application/json."),
    409: _("Trạng thái hiện tại không cho phép, hoặc người khác đã thao tác trước; không có gì được lưu."),
    415: _("Kiểu nội dung không được hỗ trợ."),
    429: _("Quá nhiều yêu cầu; thử lại sau."),
    503: _("Cơ sở dữ liệu hoặc bộ nhớ đệm tạm gián đoạn; thử lại sau."),
}
STRING = {"schema": {"type": "string"}}
HEADERS = {
    401: {"WWW-Authenticate": {**STRING, "required": True}},
    429: {"Retry-After": {**STRING, "description": _("Số giây nên chờ trước khi thử lại.")}},
    503: {"Retry-After": {**STRING, "description": _("Số giây nên chờ trước khi thử lại.")}},
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _not_only_space() -> str:
    """A pattern a string matches when it holds a character Python's ``str.strip`` keeps: DRF trims what it
    reads, so a string of spaces only is blank, and refused where blank is."""
    spaces = [i for i in range(sys.maxunicode + 1) if chr(i).isspace()]
    ranges: list[list[int]] = []
    for i in spaces:
        if ranges and ranges[-1][1] == i - 1:
            ranges[-1][1] = i
        else:
            ranges.append([i, i])
    return "[^" + "".join(f"\\u{a:04x}" + (f"-\\u{b:04x}" if b > a else "") for a, b in ranges) + "]"


NOT_ONLY_SPACE = _not_only_space()


class ApiSchema(AutoSchema):
    def error_statuses(self) -> list[int]:
        view = self.view
        statuses = [400, 406, 503]
        if view.authentication_classes:
            statuses += [401, 403]
        if "{" in self.path or (self.method == "GET" and self._is_list_view() and self._get_paginator()):
            statuses.append(404)
        if self.method in WRITES and hasattr(view, "action"):
            statuses.append(409)
        if self.method in WRITES and self.get_request_serializer() is not None:
            statuses.append(415)
        if getattr(view, "throttle_scope", None):
            statuses.append(429)
        return sorted(statuses)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and type(field) is serializers.CharField
            and field.trim_whitespace
            and not field.allow_blank
            and "pattern" not in schema
        ):
            schema["pattern"] = NOT_ONLY_SPACE
        return schema

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        # An edit that refuses the fields it does not take (no mass assignment) says so in its body's schema.
        if (
            direction == "request"
            and self.method == "PATCH"
            and getattr(self.view, "patch_refuses_unknown", False)
        ):
            schema["additionalProperties"] = False
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self.error_statuses():
            if str(status) in responses:
                continue
            response = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS[status]),
                str(status),
                direction=direction,
            )
            if status in HEADERS:
                response["headers"] = HEADERS[status]
            responses[str(status)] = response
        return responses
