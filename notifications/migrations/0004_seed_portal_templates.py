"""Message templates of the applicant portal's reports: completion report and settlement dossier."""

from django.db import migrations

HEADER_VI = "Kính gửi {{ recipient_name }},\n\n"
FOOTER_VI = "\n\nXem chi tiết tại {{ site_url }}.\nHệ thống quản lý đề án khuyến công"
HEADER_EN = "Dear {{ recipient_name }},\n\n"
FOOTER_EN = "\n\nDetails: {{ site_url }}.\nIndustrial promotion proposals system"

TEMPLATES = [
    (
        "completion.submitted", "Đơn vị báo cáo hoàn thành, đề nghị nghiệm thu", False,
        (
            "Đề án {{ tracking_code }} báo cáo hoàn thành, đề nghị nghiệm thu",
            "Đơn vị thực hiện đề án “{{ title }}” ({{ tracking_code }}) báo cáo hoàn thành ngày {{ finished_on }} "
            "và đề nghị tổ chức nghiệm thu.\n\nKết quả: {{ results }}",
            "Khuyến công: đề án {{ tracking_code }} báo cáo hoàn thành ngày {{ finished_on }}, đề nghị nghiệm thu.",
        ),
        (
            "Proposal {{ tracking_code }} reports completion and asks for acceptance",
            "The implementing unit of “{{ title }}” ({{ tracking_code }}) reports completion on {{ finished_on }} "
            "and asks for the acceptance.\n\nResults: {{ results }}",
            "Khuyen cong: proposal {{ tracking_code }} completed on {{ finished_on }}, acceptance requested.",
        ),
    ),
    (
        "settlement_dossier.submitted", "Đơn vị nộp hồ sơ quyết toán", False,
        (
            "Đề án {{ tracking_code }} đã nộp hồ sơ quyết toán",
            "Đơn vị thực hiện đề án “{{ title }}” ({{ tracking_code }}) đã nộp hồ sơ quyết toán; kinh phí khuyến "
            "công đã chi: {{ spent }}.",
            "Khuyến công: đề án {{ tracking_code }} đã nộp hồ sơ quyết toán ({{ spent }}).",
        ),
        (
            "Proposal {{ tracking_code }}: settlement dossier filed",
            "The implementing unit of “{{ title }}” ({{ tracking_code }}) filed its settlement dossier; industrial "
            "promotion funds spent: {{ spent }}.",
            "Khuyen cong: proposal {{ tracking_code }} filed its settlement dossier ({{ spent }}).",
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
    dependencies = [("notifications", "0003_seed_message_templates")]

    operations = [migrations.RunPython(seed, unseed)]
