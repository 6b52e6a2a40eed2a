"""The applicant's notices of the national track's own steps (workflow/lifecycle.py NATIONAL_TRIGGERS): the dossier
sent to the Ministry, the ministry's appraisal, the contract, and a settlement made from the acceptance minutes; and,
on both tracks, a settlement dossier sent back for completion.
The steps shared with the local track (lodging, appraisal, approval, acceptance, settlement) use their templates."""

from django.db import migrations

HEADER_VI = "Kính gửi {{ recipient_name }},\n\n"
FOOTER_VI = "\n\nXem chi tiết tại {{ site_url }}.\nHệ thống quản lý đề án khuyến công"
HEADER_EN = "Dear {{ recipient_name }},\n\n"
FOOTER_EN = "\n\nDetails: {{ site_url }}.\nIndustrial promotion proposals system"

TEMPLATES = {
    "proposal.send_to_ministry": {
        "name": "Sở Công Thương gửi hồ sơ đề án khuyến công quốc gia tới Bộ",
        "always_immediate": False,
        "subject_vi": "Đề án {{ tracking_code }}: đã gửi Bộ Công Thương thẩm định",
        "body_vi": HEADER_VI
        + "Đề án “{{ title }}” ({{ tracking_code }}) đã được Sở Công Thương thẩm định cấp cơ sở và gửi Bộ Công "
        "Thương (Cục) để thẩm định cấp Bộ." + FOOTER_VI,
        "sms_vi": "Khuyến công: đề án {{ tracking_code }} đã được gửi Bộ Công Thương thẩm định.",
        "subject_en": "Proposal {{ tracking_code }}: sent to the Ministry for appraisal",
        "body_en": HEADER_EN
        + "The proposal “{{ title }}” ({{ tracking_code }}) was appraised at base level by the Department of Industry "
        "and Trade and sent to the Ministry (its Agency) for the ministry appraisal." + FOOTER_EN,
        "sms_en": "Khuyen cong: proposal {{ tracking_code }} sent to the Ministry for appraisal.",
    },
    "proposal.appraise_ministry": {
        "name": "Bộ Công Thương đã thẩm định đề án khuyến công quốc gia",
        "always_immediate": False,
        "subject_vi": "Đề án {{ tracking_code }}: Bộ Công Thương đã thẩm định",
        "body_vi": HEADER_VI
        + "Đề án “{{ title }}” ({{ tracking_code }}) đã được Bộ Công Thương thẩm định và đang chờ Bộ trưởng phê "
        "duyệt kế hoạch khuyến công quốc gia." + FOOTER_VI,
        "sms_vi": "Khuyến công: đề án {{ tracking_code }} đã được Bộ thẩm định, chờ Bộ trưởng phê duyệt.",
        "subject_en": "Proposal {{ tracking_code }}: appraised by the Ministry",
        "body_en": HEADER_EN
        + "The proposal “{{ title }}” ({{ tracking_code }}) was appraised by the Ministry of Industry and Trade and "
        "awaits the Minister's approval of the national plan." + FOOTER_EN,
        "sms_en": "Khuyen cong: proposal {{ tracking_code }} appraised by the Ministry, awaiting the Minister.",
    },
    "proposal.contract": {
        "name": "Đề án khuyến công quốc gia đã ký hợp đồng",
        "always_immediate": False,
        "subject_vi": "Đề án {{ tracking_code }}: đã ký hợp đồng thực hiện",
        "body_vi": HEADER_VI
        + "Hợp đồng thực hiện đề án “{{ title }}” ({{ tracking_code }}) số {{ contract_number }}"
        "{% if contract_date %} ngày {{ contract_date }}{% endif %}, giá trị {{ amount }}, đã được ký.\n\n"
        "Trong thời gian thực hiện, anh/chị gửi báo cáo tiến độ trước ngày 25 hằng tháng tới Cục và Sở Công Thương."
        + FOOTER_VI,
        "sms_vi": "Khuyến công: đề án {{ tracking_code }} đã ký hợp đồng số {{ contract_number }}, giá trị {{ amount }}.",
        "subject_en": "Proposal {{ tracking_code }}: implementation contract signed",
        "body_en": HEADER_EN
        + "The implementation contract of “{{ title }}” ({{ tracking_code }}), No. {{ contract_number }}"
        "{% if contract_date %} of {{ contract_date }}{% endif %}, worth {{ amount }}, was signed.\n\n"
        "While it runs, send your progress report before the 25th of each month to the Agency and the Department."
        + FOOTER_EN,
        "sms_en": "Khuyen cong: proposal {{ tracking_code }} contract No. {{ contract_number }} signed, {{ amount }}.",
    },
    "proposal.return_settlement": {
        "name": "Hồ sơ quyết toán bị trả lại để bổ sung",
        "always_immediate": True,
        "subject_vi": "Đề án {{ tracking_code }}: hồ sơ quyết toán cần bổ sung",
        "body_vi": HEADER_VI
        + "Hồ sơ quyết toán của đề án “{{ title }}” ({{ tracking_code }}) được trả lại để bổ sung, hoàn thiện.\n\n"
        "Lý do: {{ comment }}\n\nAnh/chị hoàn thiện và nộp lại hồ sơ quyết toán trên cổng đơn vị."
        + FOOTER_VI,
        "sms_vi": "Khuyến công: hồ sơ quyết toán đề án {{ tracking_code }} được trả lại để bổ sung. Xem lý do trên cổng.",
        "subject_en": "Proposal {{ tracking_code }}: settlement dossier to be completed",
        "body_en": HEADER_EN
        + "The settlement dossier of “{{ title }}” ({{ tracking_code }}) was sent back for completion.\n\n"
        "Reason: {{ comment }}\n\nPlease complete it and file it again in the applicant portal." + FOOTER_EN,
        "sms_en": "Khuyen cong: settlement dossier of proposal {{ tracking_code }} sent back for completion.",
    },
    "proposal.settle_from_minutes": {
        "name": "Quyết toán theo biên bản nghiệm thu (đơn vị chậm nộp hồ sơ)",
        "always_immediate": False,
        "subject_vi": "Đề án {{ tracking_code }}: đã quyết toán theo biên bản nghiệm thu",
        "body_vi": HEADER_VI
        + "Đơn vị không nộp hồ sơ quyết toán đề án “{{ title }}” ({{ tracking_code }}) đúng hạn, nên đề án đã được "
        "quyết toán theo biên bản nghiệm thu: {{ settled_amount }} (đã tạm ứng {{ advanced_amount }})."
        "{% if owes_refund %} Đơn vị phải nộp trả {{ refund_amount }}.{% else %} Còn được thanh toán "
        "{{ payable_amount }}.{% endif %}" + FOOTER_VI,
        "sms_vi": "Khuyến công: đề án {{ tracking_code }} đã quyết toán theo biên bản nghiệm thu: {{ settled_amount }}.",
        "subject_en": "Proposal {{ tracking_code }}: settled from the acceptance minutes",
        "body_en": HEADER_EN
        + "The settlement dossier of “{{ title }}” ({{ tracking_code }}) was not filed in time, so the proposal was "
        "settled from the acceptance minutes: {{ settled_amount }} (advanced {{ advanced_amount }})."
        "{% if owes_refund %} The unit must pay back {{ refund_amount }}.{% else %} Still payable: "
        "{{ payable_amount }}.{% endif %}" + FOOTER_EN,
        "sms_en": "Khuyen cong: proposal {{ tracking_code }} settled from the acceptance minutes: {{ settled_amount }}.",
    },
}


def seed(apps, schema_editor):
    model = apps.get_model("notifications", "MessageTemplate")
    for code, template in TEMPLATES.items():
        model.objects.get_or_create(code=code, defaults=template)


def unseed(apps, schema_editor):
    apps.get_model("notifications", "MessageTemplate").objects.filter(code__in=list(TEMPLATES)).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_seed_file_settlement_template")]

    operations = [migrations.RunPython(seed, unseed)]
