import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.calendar import VN_TZ
from workflow.reminders import run_sweep


class Command(BaseCommand):
    help = "Chạy một lần quét nhắc hạn (sắp đến hạn, đến hạn, quá hạn, báo lãnh đạo, báo cáo tiến độ)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", help="Thời điểm quét, ISO 8601 (mặc định: bây giờ), ví dụ 2027-02-26T08:00+07:00"
        )

    def handle(self, *args, now=None, **options):
        if now:
            try:
                moment = dt.datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from exc
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=VN_TZ)
        else:
            moment = timezone.now()
        written = run_sweep(now=moment)
        for template, count in written.items():
            self.stdout.write(f"{template}: {count}")
        self.stdout.write(f"total: {sum(written.values())}")
