"""Names people read instead of codes: statuses, triggers and the non-transition actions of the audit trail."""

from django import template
from django.utils.translation import gettext_lazy as _

from workflow.lifecycle import Status, Track, get_lifecycle

register = template.Library()

ACTION_LABELS = {
    "create": _("Tạo đề án"),
    "edit": _("Sửa hồ sơ"),
    "claim": _("Nhận xử lý"),
    "release": _("Trả lại hàng chờ"),
    "reassign": _("Giao lại việc"),
    "delegate": _("Ủy quyền"),
    "download": _("Tải tài liệu"),
    "upload": _("Tải lên tài liệu"),
    "remove_attachment": _("Xóa tài liệu"),
    "progress_report": _("Báo cáo tiến độ"),
    "advance_request": _("Đề nghị tạm ứng"),
    "advance_paid": _("Chi tạm ứng"),
    "advance_refused": _("Không chấp thuận tạm ứng"),
    "completion_report": _("Báo cáo hoàn thành"),
    "settlement_dossier": _("Nộp hồ sơ quyết toán"),
    "export": _("Xuất dữ liệu"),
    "verify_audit": _("Kiểm tra chuỗi nhật ký"),
}


@register.filter
def status_label(code: str) -> str:
    try:
        return str(Status(code).label)
    except ValueError:
        return code or ""


@register.filter
def trigger_label(code: str, track: str = "") -> str:
    """A trigger's label in ``track`` (a đề án's funding kind: ``e.trigger|trigger_label:p.funding_kind``), else
    the local track's label first and the national track's own triggers after."""
    tracks = [track, *Track.values] if track in Track.values else Track.values
    for name in tracks:
        t = get_lifecycle(name).triggers.get(code)
        if t is not None:
            return str(t.label)
    return str(ACTION_LABELS.get(code, code))
