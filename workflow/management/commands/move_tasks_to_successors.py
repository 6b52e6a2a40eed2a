import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.calendar import VN_TZ
from workflow.services.tasks import move_to_successors


class Command(BaseCommand):
    help = _(
        "Chuyển các việc đang chờ ở đơn vị hành chính đã kết thúc (huyện, tỉnh, xã cũ sau ngày 1/7/2025) sang "
        "đơn vị đang xử lý bước đó hôm nay."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help=_("Thời điểm, ISO 8601 (mặc định: bây giờ)"))

    def handle(self, *args, now=None, **options):
        moment = timezone.now()
        if now:
            try:
                moment = dt.datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from exc
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=VN_TZ)
        moved = move_to_successors(now=moment)
        self.stdout.write(_("Đã chuyển %(n)d việc sang đơn vị kế thừa.") % {"n": len(moved)})
