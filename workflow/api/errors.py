"""One error shape for the whole API: {"error": {"code", "message", "fields"?, "problems"?}}.

Every answer under /api/ that is not a success has it, always as application/json: the exceptions of the views
(``handle``, the EXCEPTION_HANDLER), an address that names no endpoint (``NotFoundView``, the last route of
workflow/api/urls.py), and what the middleware answers before any view (core/errors.py: 400, 500, 503).
The messages are in Vietnamese: DRF's Vietnamese catalogue leaves most of its own in English.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

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
AUTHENTICATE = 'Token realm="api"'


def error_body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **{k: v for k, v in extra.items() if v}}}


def _message(exc: exceptions.APIException, request) -> tuple[str, str] | None:
    """(code, Vietnamese message) for an exception DRF raises with English text, or None to keep its own."""
    if isinstance(exc, exceptions.NotAuthenticated):
        return "not_authenticated", _(
            "Chưa xác thực: hãy gửi mã truy cập trong tiêu đề “Authorization: Token …”."
        )
    if isinstance(exc, exceptions.AuthenticationFailed):
        return "not_authenticated", _(
            "Mã truy cập không hợp lệ, hoặc tài khoản không còn hoạt động. Hãy lấy mã mới tại /api/auth/token/."
        )
    if isinstance(exc, exceptions.MethodNotAllowed):
        method = request.method if request is not None else ""
        return "method_not_allowed", _("Địa chỉ này không nhận phương thức %(method)s.") % {"method": method}
    if isinstance(exc, exceptions.NotAcceptable):
        return "not_acceptable", _(
            "API chỉ trả lời bằng application/json; tiêu đề Accept của yêu cầu không nhận kiểu này."
        )
    if isinstance(exc, exceptions.UnsupportedMediaType):
        content_type = request.content_type.split(";")[0].strip() if request is not None else ""
        return "unsupported_media_type", _(
            "Không nhận nội dung kiểu “%(type)s”; hãy gửi application/json."
        ) % {"type": content_type}
    if isinstance(exc, exceptions.ParseError):
        return "invalid", _("Không đọc được nội dung yêu cầu: sai cú pháp. Không có gì được lưu.")
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # DRF's session authentication: a write from a browser session without the CSRF token.
        return "csrf_failed", _(
            "Yêu cầu bị từ chối vì thiếu mã chống giả mạo (CSRF). Hãy tải lại trang, hoặc dùng mã truy cập "
            "(token) thay cho phiên đăng nhập. Không có gì được lưu."
        )
    return None


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
        elif translated := _message(exc, context.get("request")):
            code, detail = translated
        response.data = error_body(code, str(detail))
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = AUTHENTICATE
    return response


class NotFoundView(APIView):
    """Any address under /api/ that names no endpoint, whatever the method: a 404 in the error shape (Django's
    own 404 is an HTML page). Authenticated first, like every address of the API: without a token it is a 401,
    and a session's write without its CSRF token a 403 — an address's existence is not told before that."""

    schema = None  # not an operation

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        message = _("Không có địa chỉ này trong API. Các địa chỉ của API có tại /api/docs/.")
        if not request.path_info.endswith("/"):
            try:
                match = resolve(request.path_info + "/")
            except Resolver404:
                match = None
            if match is not None and match.url_name != "api-not-found":
                message = _("Địa chỉ của API kết thúc bằng dấu “/”: hãy thêm “/” vào cuối địa chỉ.")
        raise exceptions.NotFound(message)

    # Never reached (``initial`` answers first); they say which methods the route takes: all of them.
    def get(self, request, *args, **kwargs):
        raise AssertionError("unreachable")

    post = put = patch = delete = get
