"""The applicant's notice when its settlement dossier is filed (the ``file_settlement`` step): what was declared and
that the Sở Công Thương now settles it."""

from django.db import migrations

HEADER_VI = "Kính gửi {{ recipient_name }},\n\n"
FOOTER_VI = "\n\nXem chi tiết tại {{ site_url }}.\nHệ thống quản lý đề án khuyến công"
HEADER_EN = "Dear {{ recipient_name }},\n\n"
FOOTER_EN = "\n\nDetails: {{ site_url }}.\nIndustrial promotion proposals system"

CODE = "proposal.file_settlement"
TEMPLATE = {
    "name": "Đơn vị đã nộp hồ sơ quyết toán",
    "always_immediate": False,
    "subject_vi": "Đề án {{ tracking_code }}: đã nhận hồ sơ quyết toán",
    "body_vi": HEADER_VI
    + "Hồ sơ quyết toán của đề án “{{ title }}” ({{ tracking_code }}) đã được gửi tới Sở Công Thương; Sở sẽ "
    "xem xét và quyết toán theo số đã chi và bảng kê chứng từ."
    + FOOTER_VI,
    "sms_vi": "Khuyến công: đề án {{ tracking_code }} đã nộp hồ sơ quyết toán, chờ Sở Công Thương quyết toán.",
    "subject_en": "Proposal {{ tracking_code }}: settlement dossier received",
    "body_en": HEADER_EN
    + "The settlement dossier of “{{ title }}” ({{ tracking_code }}) went to the Department of Industry and Trade, "
    "which will settle it from the spending declared and the voucher list."
    + FOOTER_EN,
    "sms_en": "Khuyen cong: proposal {{ tracking_code }} settlement dossier filed, awaiting settlement.",
}


def seed(apps, schema_editor):
    apps.get_model("notifications", "MessageTemplate").objects.get_or_create(code=CODE, defaults=TEMPLATE)


def unseed(apps, schema_editor):
    apps.get_model("notifications", "MessageTemplate").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_seed_portal_templates")]

    operations = [migrations.RunPython(seed, unseed)]
