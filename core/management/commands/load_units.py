from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.units import UnknownProvince, load_units


class Command(BaseCommand):
    help = (
        "Nạp danh mục đơn vị hành chính cả nước từ các gói vietnam-provinces và vietnamadminunits: 34 tỉnh, "
        "thành phố và 3.321 xã, phường, đặc khu từ 1/7/2025; 63 tỉnh, thành phố cùng các huyện và xã trước đó, "
        "mỗi đơn vị cũ gắn với đơn vị kế thừa. Chạy lại không thay đổi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            help="Chỉ nạp một tỉnh: mã tỉnh hiện nay hoặc tỉnh cũ (ví dụ 75 hay 70 — Đồng Nai cùng Bình Phước cũ).",
        )

    def handle(self, *args, province: str | None, **options):
        try:
            result = load_units(province=province)
        except UnknownProvince as error:
            raise CommandError(str(error)) from error
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
        if options["verbosity"] >= 2:
            self.stdout.write(_("Nguồn: %(source)s.") % {"source": result.source})
