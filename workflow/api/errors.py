"""One error shape for the whole API: {"error": {"code", "message", "fields"?, "problems"?}}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from workflow.services.errors import WorkflowError

CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "not_permitted",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
}


def error_body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **{k: v for k, v in extra.items() if v}}}


def handle(exc, context):
    if isinstance(exc, WorkflowError):
        return Response(error_body(exc.code, exc.message, problems=exc.problems), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Không tìm thấy."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = CODES.get(response.status_code, "error")
    if isinstance(exc, exceptions.ValidationError):
        fields = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = error_body("invalid", _("Dữ liệu không hợp lệ."), fields=fields)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            detail = _("Quá nhiều yêu cầu; thử lại sau %(s)d giây.") % {"s": int(exc.wait)}
        response.data = error_body(code, str(detail))
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Token realm="api"'
    return response
