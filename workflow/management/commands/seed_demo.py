from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.roles import Role
from workflow.demo import LOGINS, PEOPLE, seed_demo


class Command(BaseCommand):
    help = "Nạp dữ liệu mẫu (đơn vị hành chính, người dùng mẫu, đề án ở mọi trạng thái). Chạy lại không thay đổi gì."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Chạy cả khi DEBUG tắt (không dùng trên hệ thống thật)."
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "seed_demo chỉ chạy khi DEBUG bật: dữ liệu mẫu và mật khẩu mẫu không dành cho hệ thống thật. "
                    "Thêm --force nếu thật sự muốn nạp."
                )
                + " / seed_demo refuses to run with DEBUG off (demo users and passwords); pass --force to override."
            )
        password = settings.DEMO_PASSWORD
        result = seed_demo(now=timezone.now(), password=password)
        if result.changed:
            self.stdout.write(
                _(
                    "Đã nạp dữ liệu mẫu: %(units)d đơn vị hành chính, %(users)d người dùng, %(orgs)d tổ chức, "
                    "%(proposals)d đề án."
                )
                % {
                    "units": result.units_created,
                    "users": result.users_created,
                    "orgs": result.orgs_created,
                    "proposals": result.proposals_created,
                }
            )
        else:
            self.stdout.write(_("Dữ liệu mẫu đã có sẵn; không có gì thay đổi."))
        self.stdout.write(
            _("Đề án theo trạng thái: %(counts)s")
            % {"counts": ", ".join(f"{k} {v}" for k, v in result.statuses.items())}
        )
        roles = {p.username: Role(p.role).label for p in PEOPLE}
        self.stdout.write(_("Tài khoản mẫu (mật khẩu: %(password)s):") % {"password": password})
        for username in LOGINS:
            self.stdout.write(f"  {username:<10} / {password} / {roles[username]}")
