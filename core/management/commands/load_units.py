from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from core.units import DEFAULT_UNITS_FILE, load_units


class Command(BaseCommand):
    help = (
        "Nạp danh mục đơn vị hành chính (mặc định: tỉnh Bình Phước trước 1/7/2025 và Đồng Nai sau sáp nhập)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEFAULT_UNITS_FILE, help="Tệp JSON danh mục đơn vị.")

    def handle(self, *args, file: Path, **options):
        result = load_units(file)
        if result.changed:
            self.stdout.write(
                _("Đơn vị hành chính: thêm %(created)d, cập nhật %(updated)d, giữ nguyên %(unchanged)d.")
                % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
            )
        else:
            self.stdout.write(
                _("Đơn vị hành chính: đã đủ %(count)d đơn vị, không có gì thay đổi.")
                % {"count": result.unchanged}
            )
