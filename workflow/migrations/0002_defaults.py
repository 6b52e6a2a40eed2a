"""Configuration defaults: national spending caps (domain.md §5.2), required attachments, per-status SLAs."""

import datetime as dt

from django.db import migrations

TT28 = "Thông tư 28/2018/TT-BTC"
TTLT26 = "TTLT 26/2014/TTLT-BTC-BCT (chưa xác nhận thay đổi ở TT 28/2018)"
# content type, percent cap, max amount (đồng), regulation
CAPS = [
    ("enterprise_setup", None, 10_000_000, TT28),
    ("demonstration", 30, 1_000_000_000, TT28),
    ("replication_model", None, 100_000_000, TTLT26),
    ("machinery", 50, 300_000_000, TT28 + " Điều 8 khoản 4 (dây chuyền công nghệ: tối đa 1,5 lần)"),
    ("cleaner_production", 30, 500_000_000, "Mức tham chiếu Hòa Bình QĐ 20/2019 (chưa xác nhận)"),
    ("brand", 50, 35_000_000, TTLT26),
    ("consultancy", 50, 35_000_000, TTLT26),
    ("association", 30, 100_000_000, TTLT26),
    ("pollution_treatment", 30, 300_000_000, TTLT26),
    ("ccn_pollution", 30, 1_500_000_000, TTLT26),
    ("ccn_planning", 50, 500_000_000, TTLT26),
    ("ccn_infrastructure", None, 6_000_000_000, TT28),
]
REQUIRED = [
    ("machinery", "quote"),
    ("machinery", "business_registration"),
    ("demonstration", "business_registration"),
    ("replication_model", "business_registration"),
    ("cleaner_production", "business_registration"),
    ("pollution_treatment", "business_registration"),
    ("training", "training_plan"),
]
SLAS = [
    ("lodged", "working_days", 5, "Mặc định; do UBND tỉnh quy định"),
    ("district_submitted", "working_days", 15, "Mặc định; do UBND tỉnh quy định"),
    ("appraised", "working_days", 10, "Mặc định; do UBND tỉnh quy định"),
    ("finance_verified", "working_days", 10, "Mặc định; do UBND tỉnh quy định"),
    ("approved", "none", 0, "Nghiệm thu khi hoàn thành"),
    ("implemented", "calendar_days", 15, "TT 36/2013 Điều 18.1: hồ sơ quyết toán trong 15 ngày sau nghiệm thu"),
    ("stopped", "calendar_days", 15, "Quyết toán theo khối lượng thực hiện"),
]


def seed(apps, schema_editor):
    SupportCap = apps.get_model("workflow", "SupportCap")
    AttachmentRequirement = apps.get_model("workflow", "AttachmentRequirement")
    SlaPolicy = apps.get_model("workflow", "SlaPolicy")
    for content_type, pct, max_amount, regulation in CAPS:
        SupportCap.objects.get_or_create(
            content_type=content_type, funding_kind="", province=None, effective_from=dt.date(2018, 5, 11),
            defaults={"percent_cap": pct, "max_amount": max_amount, "regulation": regulation},
        )
    for content_type, kind in REQUIRED:
        AttachmentRequirement.objects.get_or_create(content_type=content_type, kind=kind)
    for status, kind, days, note in SLAS:
        SlaPolicy.objects.get_or_create(status=status, defaults={"kind": kind, "days": days, "note": note})


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
