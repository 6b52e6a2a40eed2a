"""Seed one message template per event, Vietnamese first with an English version.

The texts are frozen here (a later edit in admin is the province's own); a template that already exists is
left alone, so re-running the migration never overwrites an administrator's wording.
"""

from django.db import migrations

HEADER_VI = "Kính gửi {{ recipient_name }},\n\n"
FOOTER_VI = "\n\nXem chi tiết tại {{ site_url }}.\nHệ thống quản lý đề án khuyến công"
HEADER_EN = "Dear {{ recipient_name }},\n\n"
FOOTER_EN = "\n\nDetails: {{ site_url }}.\nIndustrial promotion proposals system"
REASON_VI = "{% if comment %}\n\nLý do / ý kiến: {{ comment }}{% endif %}"
REASON_EN = "{% if comment %}\n\nReason / comment: {{ comment }}{% endif %}"

# code, name, always_immediate,
# (subject_vi, body_vi, sms_vi), (subject_en, body_en, sms_en)
TEMPLATES = [
    (
        "proposal.lodge", "Biên nhận hồ sơ (đề án đã nộp)", True,
        (
            "Biên nhận hồ sơ đề án khuyến công {{ tracking_code }}",
            "Hệ thống đã nhận hồ sơ đề án “{{ title }}”.\n\n"
            "Mã hồ sơ: {{ tracking_code }}\n"
            "{% if pin %}Mã PIN tra cứu: {{ pin }} (chỉ gửi một lần; vui lòng giữ kín)\n{% endif %}"
            "{% if step_due_at %}Hạn xem xét của bước tiếp theo: {{ step_due_at }}\n{% endif %}"
            "{% if dossier_due_at %}Hạn giải quyết hồ sơ: {{ dossier_due_at }}\n{% endif %}"
            "\nAnh/chị tra cứu tình trạng hồ sơ bằng mã hồ sơ và mã PIN.",
            "Khuyến công: đã nhận hồ sơ {{ tracking_code }}{% if pin %}, mã PIN tra cứu {{ pin }}{% endif %}."
            "{% if step_due_at %} Hạn xem xét: {{ step_due_at }}.{% endif %}",
        ),
        (
            "Receipt for industrial promotion proposal {{ tracking_code }}",
            "We have received the proposal “{{ title }}”.\n\n"
            "Tracking code: {{ tracking_code }}\n"
            "{% if pin %}Lookup PIN: {{ pin }} (sent only once; keep it private)\n{% endif %}"
            "{% if step_due_at %}Next step due by: {{ step_due_at }}\n{% endif %}"
            "{% if dossier_due_at %}Review due by: {{ dossier_due_at }}\n{% endif %}"
            "\nLook up the status with the tracking code and the PIN.",
            "Khuyen cong: proposal {{ tracking_code }} received{% if pin %}, PIN {{ pin }}{% endif %}.",
        ),
    ),
    (
        "proposal.district_submit", "Cấp huyện/xã đã trình Sở Công Thương", False,
        (
            "Đề án {{ tracking_code }} đã được trình Sở Công Thương",
            "Đề án “{{ title }}” ({{ tracking_code }}) đã được cấp huyện/xã trình Sở Công Thương thẩm định."
            + REASON_VI,
            "Khuyến công: đề án {{ tracking_code }} đã được trình Sở Công Thương thẩm định.",
        ),
        (
            "Proposal {{ tracking_code }} forwarded to the Department of Industry and Trade",
            "The proposal “{{ title }}” ({{ tracking_code }}) was forwarded to the Department of Industry and "
            "Trade for appraisal." + REASON_EN,
            "Khuyen cong: proposal {{ tracking_code }} forwarded for appraisal.",
        ),
    ),
    (
        "proposal.appraise", "Sở Công Thương đã thẩm định", False,
        (
            "Đề án {{ tracking_code }} đã được Sở Công Thương thẩm định",
            "Đề án “{{ title }}” ({{ tracking_code }}) đã được Sở Công Thương thẩm định và chuyển Sở Tài chính "
            "thẩm tra kinh phí." + REASON_VI,
            "Khuyến công: đề án {{ tracking_code }} đã được thẩm định, chuyển Sở Tài chính.",
        ),
        (
            "Proposal {{ tracking_code }} appraised",
            "The proposal “{{ title }}” ({{ tracking_code }}) was appraised and sent to the Department of Finance."
            + REASON_EN,
            "Khuyen cong: proposal {{ tracking_code }} appraised.",
        ),
    ),
    (
        "proposal.verify_finance", "Sở Tài chính đã thẩm tra kinh phí", False,
        (
            "Đề án {{ tracking_code }} đã được Sở Tài chính thẩm tra kinh phí",
            "Kinh phí đề án “{{ title }}” ({{ tracking_code }}) đã được Sở Tài chính thẩm tra; đề án đang chờ "
            "phê duyệt." + REASON_VI,
            "Khuyến công: đề án {{ tracking_code }} đã được thẩm tra kinh phí, chờ phê duyệt.",
        ),
        (
            "Proposal {{ tracking_code }}: budget verified",
            "The budget of “{{ title }}” ({{ tracking_code }}) was verified; the proposal awaits approval."
            + REASON_EN,
            "Khuyen cong: proposal {{ tracking_code }} budget verified.",
        ),
    ),
    (
        "proposal.approve", "Đề án được phê duyệt", False,
        (
            "Đề án {{ tracking_code }} đã được phê duyệt",
            "Đề án “{{ title }}” ({{ tracking_code }}) đã được phê duyệt theo Quyết định số {{ decision_number }}"
            "{% if decision_date %} ngày {{ decision_date }}{% endif %}, kinh phí hỗ trợ {{ amount }}.\n\n"
            "Trong thời gian thực hiện, anh/chị gửi báo cáo tiến độ trước ngày 25 hằng tháng.",
            "Khuyến công: đề án {{ tracking_code }} đã được phê duyệt (QĐ {{ decision_number }}), "
            "kinh phí {{ amount }}.",
        ),
        (
            "Proposal {{ tracking_code }} approved",
            "The proposal “{{ title }}” ({{ tracking_code }}) was approved by decision No. {{ decision_number }}"
            "{% if decision_date %} of {{ decision_date }}{% endif %}, with support of {{ amount }}.\n\n"
            "While it is carried out, send a progress report before the 25th of each month.",
            "Khuyen cong: proposal {{ tracking_code }} approved (decision {{ decision_number }}), {{ amount }}.",
        ),
    ),
    (
        "proposal.accept", "Đề án đã được nghiệm thu", False,
        (
            "Đề án {{ tracking_code }} đã được nghiệm thu",
            "Đề án “{{ title }}” ({{ tracking_code }}) đã được nghiệm thu ngày {{ accepted_on }}.\n"
            "Kết quả: {{ results }}\n"
            "{% if settlement_due_on %}\nAnh/chị nộp hồ sơ quyết toán trước ngày {{ settlement_due_on }}.{% endif %}",
            "Khuyến công: đề án {{ tracking_code }} đã nghiệm thu ngày {{ accepted_on }}."
            "{% if settlement_due_on %} Nộp hồ sơ quyết toán trước {{ settlement_due_on }}.{% endif %}",
        ),
        (
            "Proposal {{ tracking_code }} accepted",
            "The work of “{{ title }}” ({{ tracking_code }}) was accepted on {{ accepted_on }}.\n"
            "Results: {{ results }}\n"
            "{% if settlement_due_on %}\nPlease file the settlement dossier by {{ settlement_due_on }}.{% endif %}",
            "Khuyen cong: proposal {{ tracking_code }} accepted on {{ accepted_on }}.",
        ),
    ),
    (
        "proposal.settle", "Đề án đã được quyết toán", False,
        (
            "Đề án {{ tracking_code }} đã được quyết toán",
            "Đề án “{{ title }}” ({{ tracking_code }}) đã được quyết toán {{ settled_amount }}; đã tạm ứng "
            "{{ advanced_amount }}.\n"
            "{% if owes_refund %}Số tạm ứng vượt quyết toán phải nộp lại: {{ refund_amount }}."
            "{% else %}Số còn được thanh toán: {{ payable_amount }}.{% endif %}",
            "Khuyến công: đề án {{ tracking_code }} quyết toán {{ settled_amount }}, "
            "{% if owes_refund %}phải nộp lại {{ refund_amount }}{% else %}còn được thanh toán "
            "{{ payable_amount }}{% endif %}.",
        ),
        (
            "Proposal {{ tracking_code }} settled",
            "The proposal “{{ title }}” ({{ tracking_code }}) was settled at {{ settled_amount }}; advances paid: "
            "{{ advanced_amount }}.\n"
            "{% if owes_refund %}Advances above the settled amount to refund: {{ refund_amount }}."
            "{% else %}Still payable to you: {{ payable_amount }}.{% endif %}",
            "Khuyen cong: proposal {{ tracking_code }} settled at {{ settled_amount }}.",
        ),
    ),
    (
        "proposal.return_for_revision", "Đề án được trả lại để bổ sung", False,
        (
            "Đề án {{ tracking_code }} được trả lại để bổ sung",
            "Đề án “{{ title }}” ({{ tracking_code }}) được trả lại để bổ sung, hoàn thiện." + REASON_VI
            + "\n\nSau khi bổ sung, anh/chị nộp lại hồ sơ trên hệ thống.",
            "Khuyến công: đề án {{ tracking_code }} được trả lại để bổ sung: {{ comment }}",
        ),
        (
            "Proposal {{ tracking_code }} returned for revision",
            "The proposal “{{ title }}” ({{ tracking_code }}) was returned for revision." + REASON_EN
            + "\n\nLodge it again once revised.",
            "Khuyen cong: proposal {{ tracking_code }} returned for revision: {{ comment }}",
        ),
    ),
    (
        "proposal.reject", "Đề án không được chấp thuận", False,
        (
            "Đề án {{ tracking_code }} không được chấp thuận",
            "Đề án “{{ title }}” ({{ tracking_code }}) không được chấp thuận." + REASON_VI,
            "Khuyến công: đề án {{ tracking_code }} không được chấp thuận: {{ comment }}",
        ),
        (
            "Proposal {{ tracking_code }} rejected",
            "The proposal “{{ title }}” ({{ tracking_code }}) was rejected." + REASON_EN,
            "Khuyen cong: proposal {{ tracking_code }} rejected: {{ comment }}",
        ),
    ),
    (
        "proposal.withdraw", "Đã rút hồ sơ", False,
        (
            "Đã rút hồ sơ đề án {{ tracking_code }}",
            "Hồ sơ đề án “{{ title }}” ({{ tracking_code }}) đã được rút theo đề nghị của đơn vị." + REASON_VI,
            "Khuyến công: đã rút hồ sơ đề án {{ tracking_code }}.",
        ),
        (
            "Proposal {{ tracking_code }} withdrawn",
            "The proposal “{{ title }}” ({{ tracking_code }}) was withdrawn at your request." + REASON_EN,
            "Khuyen cong: proposal {{ tracking_code }} withdrawn.",
        ),
    ),
    (
        "proposal.stop", "Đề án bị dừng thực hiện", False,
        (
            "Đề án {{ tracking_code }} bị dừng thực hiện",
            "Đề án “{{ title }}” ({{ tracking_code }}) bị dừng thực hiện; phần việc đã làm được quyết toán "
            "theo khối lượng." + REASON_VI,
            "Khuyến công: đề án {{ tracking_code }} bị dừng thực hiện: {{ comment }}",
        ),
        (
            "Proposal {{ tracking_code }} stopped",
            "The proposal “{{ title }}” ({{ tracking_code }}) was stopped; the work done will be settled by "
            "volume." + REASON_EN,
            "Khuyen cong: proposal {{ tracking_code }} stopped: {{ comment }}",
        ),
    ),
    (
        "task.waiting", "Có đề án chờ xử lý tại đơn vị", False,
        (
            "Đề án {{ tracking_code }} chờ xử lý: {{ step }}",
            "Đề án “{{ title }}” ({{ tracking_code }}) đang chờ đơn vị của anh/chị xử lý bước “{{ step }}”."
            "{% if due_at %}\nHạn xử lý: {{ due_at }}.{% endif %}\n\nNhận xử lý trong hàng chờ công việc.",
            "Khuyến công: đề án {{ tracking_code }} chờ xử lý{% if due_at %}, hạn {{ due_at }}{% endif %}.",
        ),
        (
            "Proposal {{ tracking_code }} is waiting: {{ step }}",
            "The proposal “{{ title }}” ({{ tracking_code }}) is waiting in your unit's queue for “{{ step }}”."
            "{% if due_at %}\nDue by {{ due_at }}.{% endif %}",
            "Khuyen cong: proposal {{ tracking_code }} waiting{% if due_at %}, due {{ due_at }}{% endif %}.",
        ),
    ),
    (
        "task.assigned", "Được giao xử lý đề án", False,
        (
            "Anh/chị được giao xử lý đề án {{ tracking_code }}",
            "Anh/chị được giao xử lý bước “{{ step }}” của đề án “{{ title }}” ({{ tracking_code }})."
            "{% if due_at %}\nHạn xử lý: {{ due_at }}.{% endif %}",
            "Khuyến công: anh/chị được giao xử lý đề án {{ tracking_code }}{% if due_at %}, hạn {{ due_at }}"
            "{% endif %}.",
        ),
        (
            "You were assigned proposal {{ tracking_code }}",
            "You were assigned the step “{{ step }}” of “{{ title }}” ({{ tracking_code }})."
            "{% if due_at %}\nDue by {{ due_at }}.{% endif %}",
            "Khuyen cong: you were assigned proposal {{ tracking_code }}.",
        ),
    ),
    (
        "task.due_soon", "Nhắc hạn: sắp đến hạn xử lý", False,
        (
            "Sắp đến hạn xử lý đề án {{ tracking_code }} ({{ due_at }})",
            "Bước “{{ step }}” của đề án “{{ title }}” ({{ tracking_code }}) sẽ đến hạn lúc {{ due_at }}.",
            "Khuyến công: đề án {{ tracking_code }} sắp đến hạn xử lý ({{ due_at }}).",
        ),
        (
            "Proposal {{ tracking_code }} due soon ({{ due_at }})",
            "The step “{{ step }}” of “{{ title }}” ({{ tracking_code }}) is due at {{ due_at }}.",
            "Khuyen cong: proposal {{ tracking_code }} due soon ({{ due_at }}).",
        ),
    ),
    (
        "task.due_today", "Nhắc hạn: đến hạn hôm nay", False,
        (
            "Hôm nay đến hạn xử lý đề án {{ tracking_code }}",
            "Bước “{{ step }}” của đề án “{{ title }}” ({{ tracking_code }}) đến hạn lúc {{ due_at }} hôm nay.",
            "Khuyến công: đề án {{ tracking_code }} đến hạn xử lý hôm nay ({{ due_at }}).",
        ),
        (
            "Proposal {{ tracking_code }} is due today",
            "The step “{{ step }}” of “{{ title }}” ({{ tracking_code }}) is due today at {{ due_at }}.",
            "Khuyen cong: proposal {{ tracking_code }} due today ({{ due_at }}).",
        ),
    ),
    (
        "task.overdue", "Nhắc hạn: đã quá hạn", False,
        (
            "Quá hạn xử lý đề án {{ tracking_code }}",
            "Bước “{{ step }}” của đề án “{{ title }}” ({{ tracking_code }}) đã quá hạn (hạn {{ due_at }}). "
            "Đề nghị xử lý ngay.",
            "Khuyến công: đề án {{ tracking_code }} đã quá hạn xử lý (hạn {{ due_at }}).",
        ),
        (
            "Proposal {{ tracking_code }} is overdue",
            "The step “{{ step }}” of “{{ title }}” ({{ tracking_code }}) is overdue (due {{ due_at }}).",
            "Khuyen cong: proposal {{ tracking_code }} overdue (due {{ due_at }}).",
        ),
    ),
    (
        "task.escalated", "Báo lãnh đạo đơn vị: quá hạn kéo dài", True,
        (
            "Đề án {{ tracking_code }} quá hạn {{ working_days_late }} ngày làm việc",
            "Bước “{{ step }}” của đề án “{{ title }}” ({{ tracking_code }}) tại {{ unit }} đã quá hạn "
            "{{ working_days_late }} ngày làm việc (hạn {{ due_at }})."
            "{% if holder %}\nNgười đang xử lý: {{ holder }}.{% else %}\nChưa có người nhận xử lý.{% endif %}"
            "\n\nĐề nghị lãnh đạo đơn vị đôn đốc hoặc giao lại.",
            "Khuyến công: đề án {{ tracking_code }} quá hạn {{ working_days_late }} ngày làm việc tại {{ unit }}.",
        ),
        (
            "Proposal {{ tracking_code }} is {{ working_days_late }} working days late",
            "The step “{{ step }}” of “{{ title }}” ({{ tracking_code }}) in {{ unit }} is {{ working_days_late }} "
            "working days late (due {{ due_at }})."
            "{% if holder %}\nHeld by: {{ holder }}.{% else %}\nNobody has claimed it.{% endif %}",
            "Khuyen cong: proposal {{ tracking_code }} {{ working_days_late }} working days late in {{ unit }}.",
        ),
    ),
    (
        "progress.reminder", "Nhắc gửi báo cáo tiến độ hằng tháng", False,
        (
            "Nhắc gửi báo cáo tiến độ tháng {{ month }}: đề án {{ tracking_code }}",
            "Đề án “{{ title }}” ({{ tracking_code }}) chưa có báo cáo tiến độ tháng {{ month }}. "
            "Anh/chị gửi báo cáo trước ngày {{ deadline }}.",
            "Khuyến công: đề án {{ tracking_code }} cần báo cáo tiến độ tháng {{ month }} trước {{ deadline }}.",
        ),
        (
            "Progress report for {{ month }} due: proposal {{ tracking_code }}",
            "The proposal “{{ title }}” ({{ tracking_code }}) has no progress report for {{ month }} yet. "
            "Please send it by {{ deadline }}.",
            "Khuyen cong: progress report for {{ month }} due by {{ deadline }} ({{ tracking_code }}).",
        ),
    ),
    (
        "advance.paid", "Tạm ứng đã được chi", False,
        (
            "Đề án {{ tracking_code }}: đã chi tạm ứng {{ amount }}",
            "Sở Tài chính đã chi tạm ứng {{ amount }} cho đề án “{{ title }}” ({{ tracking_code }})." + REASON_VI,
            "Khuyến công: đề án {{ tracking_code }} đã được chi tạm ứng {{ amount }}.",
        ),
        (
            "Proposal {{ tracking_code }}: advance of {{ amount }} paid",
            "An advance of {{ amount }} was paid for “{{ title }}” ({{ tracking_code }})." + REASON_EN,
            "Khuyen cong: advance of {{ amount }} paid ({{ tracking_code }}).",
        ),
    ),
    (
        "advance.refused", "Tạm ứng không được chấp thuận", False,
        (
            "Đề án {{ tracking_code }}: đề nghị tạm ứng {{ amount }} không được chấp thuận",
            "Đề nghị tạm ứng {{ amount }} của đề án “{{ title }}” ({{ tracking_code }}) không được chấp thuận."
            + REASON_VI,
            "Khuyến công: tạm ứng {{ amount }} của đề án {{ tracking_code }} không được chấp thuận.",
        ),
        (
            "Proposal {{ tracking_code }}: advance of {{ amount }} refused",
            "The advance of {{ amount }} requested for “{{ title }}” ({{ tracking_code }}) was refused." + REASON_EN,
            "Khuyen cong: advance of {{ amount }} refused ({{ tracking_code }}).",
        ),
    ),
]


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, name, immediate, (subject_vi, body_vi, sms_vi), (subject_en, body_en, sms_en) in TEMPLATES:
        MessageTemplate.objects.get_or_create(code=code, defaults={
            "name": name, "always_immediate": immediate,
            "subject_vi": subject_vi, "body_vi": HEADER_VI + body_vi + FOOTER_VI, "sms_vi": sms_vi,
            "subject_en": subject_en, "body_en": HEADER_EN + body_en + FOOTER_EN, "sms_en": sms_en,
        })


def unseed(apps, schema_editor):
    apps.get_model("notifications", "MessageTemplate").objects.filter(code__in=[t[0] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_templates_preferences_delivery_log")]

    operations = [migrations.RunPython(seed, unseed)]
