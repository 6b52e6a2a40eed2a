"""Demo data: the Bình Phước units, one user per role, and 32 đề án modelled on the province's 2011–2015
khuyến công programme (seed 004: seven sub-programmes, budget split national / local / counterpart), driven
through the transition service so that every status has examples with real history and tasks, some overdue."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from core.management.commands.load_units import load_units
from core.models import AdministrativeUnit, Organisation, User
from workflow.models import Attachment, BudgetLine, Proposal, SupportCap, WorkItem
from workflow.services.implementation import decide_advance, request_advance, submit_progress_report
from workflow.services.proposals import create_proposal
from workflow.services.transitions import fire

# username, role, full name, unit code (None: the applicant organisation), phone
STAFF = [
    ("district", "district_officer", ("Minh", "Lê Văn"), "696", "+84912000001"),
    ("district_dx", "district_officer", ("Hùng", "Phạm Quốc"), "689", "+84912000002"),
    ("district_ln", "district_officer", ("Thảo", "Ngô Thị"), "692", "+84912000003"),
    ("appraiser", "appraiser", ("Hoa", "Trần Thị"), "70", "+84912000004"),
    ("head", "department_head", ("Dũng", "Nguyễn Tiến"), "70", "+84912000005"),
    ("finance", "finance_officer", ("Tuấn", "Đỗ Anh"), "70", "+84912000006"),
    ("approver", "approver", ("Sơn", "Hoàng Văn"), "70", "+84912000007"),
    ("auditor", "auditor", ("Mai", "Vũ Thị"), "70", "+84912000008"),
]
# organisation: name, kind, tax code, commune code, district code, representative, phone, username
ORGS = [
    ("Hộ kinh doanh Nguyễn Thị Lan", "household", "3800100101", "25387", "696", "Nguyễn Thị Lan", "+84913100101",
     "applicant"),
    ("Hợp tác xã Điều Bù Đăng", "cooperative", "3800100102", "25396", "696", "Trần Văn Bình", "+84913100102",
     "applicant_htx"),
    ("Công ty TNHH Chế biến Nông sản Đồng Xoài", "sme", "3800100103", "25195", "689", "Lê Hoàng Nam",
     "+84913100103", "applicant_dx"),
    ("Trung tâm Khuyến công và Tư vấn phát triển công nghiệp Bình Phước", "public_service", "3800100104", "25270",
     "692", "Phạm Thị Thu", "+84913100104", "applicant_tt"),
]
# The seven sub-programmes of QĐ 2818/QĐ-UBND (seed 004) with their split: national / local / counterpart (mrđ).
SUBPROGRAMMES = [
    ("training", "a", (630, 630, 0), "Đào tạo nghề {x} cho lao động nông thôn xã {place}", 50, "learners"),
    ("management", "b", (0, 300, 200), "Tập huấn nâng cao năng lực quản lý doanh nghiệp nông thôn {place}", 0, None),
    ("demonstration", "a", (2250, 2370, 120), "Mô hình trình diễn kỹ thuật {x} tại {place}", 1, "models"),
    ("machinery", "a", (0, 1, 1), "Hỗ trợ ứng dụng {x} tại {place}", 1, "machines"),
    ("typical_product", "dd", (1000, 4150, 2350), "Bình chọn sản phẩm công nghiệp nông thôn tiêu biểu năm {year}", 5,
     "products"),
    ("fair", "b", (0, 1140, 500), "Tham gia hội chợ triển lãm hàng công nghiệp nông thôn khu vực {place}", 1, "fairs"),
    ("association", "a", (4050, 230, 130), "Liên kết sản xuất, tiêu thụ {x} tại {place}", 0, None),
    ("capacity", "b", (200, 310, 0), "Nâng cao năng lực tổ chức thực hiện hoạt động khuyến công {year}", 0, None),
]
THINGS = ["hạt điều", "mây tre đan", "chế biến mủ cao su", "sấy nông sản", "chế biến tiêu", "dệt thổ cẩm"]
# The outcome of each demo đề án: how far it goes along the main path, then the side exit if any.
PLAN = (
    ["drafted"] * 3 + ["returned"] * 2 + ["lodge"] * 3 + ["district_submit"] * 3 + ["appraise"] * 3
    + ["verify_finance"] * 3 + ["approve"] * 4 + ["accept"] * 2 + ["settle"] * 3 + ["reject"] * 2
    + ["withdraw"] * 2 + ["stop"] * 2
)
ORDER = ["lodge", "district_submit", "appraise", "verify_finance", "approve", "accept", "settle"]


class Command(BaseCommand):
    help = "Load the demo data (idempotent). Refused when DEBUG is off unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Dữ liệu mẫu chỉ dùng cho môi trường thử (DEBUG bật). / Demo data is refused when "
                               "DEBUG is off; use --force if you really mean it.")
        load_units()
        password = settings.DEMO_PASSWORD
        users = self._users(password)
        if Proposal.objects.filter(created_by__username="applicant").exists():
            self.stdout.write("Dữ liệu mẫu đã có; không thay đổi gì. / Demo data already present; nothing changed.")
        else:
            self._proposals(users)
        self.stdout.write(f"\nTài khoản dùng thử / demo logins (mật khẩu / password: {password}):")
        for username, label in [("applicant", "đơn vị đề nghị / applicant"), ("district", "cán bộ huyện / district"),
                                ("appraiser", "Sở Công Thương / appraiser"), ("head", "lãnh đạo Sở / unit head"),
                                ("finance", "Sở Tài chính / finance"), ("approver", "lãnh đạo phê duyệt / approver"),
                                ("auditor", "thanh tra / auditor"), ("admin", "quản trị / administrator")]:
            self.stdout.write(f"  {username:<10} {label}")

    def _users(self, password: str) -> dict[str, User]:
        units = {u.code: u for u in AdministrativeUnit.objects.filter(code__in=[s[3] for s in STAFF] + ["70"])}
        users: dict[str, User] = {}

        def make(username, role, names, unit=None, org=None, phone="", **extra):
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": names[0], "last_name": names[1], "unit": unit, "organisation": org,
                          "phone": phone, "email": f"{username}@demo.khuyencong.vn", **extra},
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
            if role:
                user.groups.add(Group.objects.get_or_create(name=role)[0])
            users[username] = user

        for username, role, names, unit_code, phone in STAFF:
            make(username, role, names, units[unit_code], phone=phone)
        for name, kind, tax, commune, _district, rep, phone, username in ORGS:
            org, _ = Organisation.objects.get_or_create(
                tax_code=tax, defaults={"name": name, "kind": kind, "representative": rep, "phone": phone,
                                        "email": f"{username}@demo.khuyencong.vn",
                                        "address_unit": AdministrativeUnit.objects.get(code=commune)})
            parts = rep.split(" ")
            make(username, "applicant", (parts[-1], " ".join(parts[:-1])), org=org, phone=phone)
        make("admin", "administrator", ("Quản trị", "Hệ thống"), units["70"], is_staff=True, is_superuser=True)
        return users

    @transaction.atomic
    def _proposals(self, users: dict[str, User]) -> None:
        now = timezone.now()
        orgs = list(Organisation.objects.filter(tax_code__in=[o[2] for o in ORGS]).order_by("tax_code"))
        officer_of = {"696": "district", "689": "district_dx", "692": "district_ln"}
        for i, outcome in enumerate(PLAN):
            content, sector, split, title, target, indicator = SUBPROGRAMMES[i % len(SUBPROGRAMMES)]
            org_row = ORGS[0] if i % 3 == 0 else ORGS[i % len(ORGS)]
            org = next(o for o in orgs if o.tax_code == org_row[2])
            applicant = users[org_row[7]]
            commune = AdministrativeUnit.objects.get(code=org_row[3])
            district = AdministrativeUnit.objects.get(code=org_row[4])
            start = now - dt.timedelta(days=150 - i * 3)
            place = commune.name.replace("Xã ", "").replace("Phường ", "").replace("Thị trấn ", "")
            p = create_proposal(
                actor=applicant, now=start, implementing_org=org,
                title=title.format(x=THINGS[i % len(THINGS)], place=place, year=2026 + i % 2),
                plan_year=2026 + i % 2, funding_kind="national" if split[0] > split[1] else "local",
                content_type=content, sector=sector, province=district.parent, district=district, commune=commune,
                partners=f"Đơn vị thực hiện: {org.name}. Địa điểm: {commune.name}, {district.name}.",
                need="Góp phần phát triển công nghiệp nông thôn theo Chương trình khuyến công của tỉnh.",
                objectives="Nâng cao năng suất, chất lượng sản phẩm; tạo việc làm cho lao động địa phương.",
                scale="Quy mô phù hợp năng lực đơn vị; ưu tiên nguyên liệu tại chỗ.",
                content_plan="Khảo sát, chuẩn bị, tổ chức thực hiện, nghiệm thu và báo cáo.",
                organisation_plan="Đơn vị thực hiện chủ trì, phối hợp UBND xã và Trung tâm Khuyến công.",
                effectiveness="Tăng thu nhập cho lao động, nhân rộng mô hình trong tỉnh.",
                **({f"target_{indicator}": target} if indicator else {}),
            )
            self._dossier(p, content, split, applicant, start, i)
            self._drive(p, outcome, users, applicant, officer_of[district.code], start, now)

    def _dossier(self, p: Proposal, content: str, split, applicant: User, start: dt.datetime, i: int) -> None:
        scale = 100_000 + (i % 5) * 20_000  # đồng per programme "million", so each đề án is a slice of it
        national, local, counterpart = (x * scale for x in split)
        if content == "machinery":  # journeys.md §1: 620 million, 300 million local support
            national, local, counterpart = 0, 300_000_000 - (i % 3) * 20_000_000, 320_000_000
        cap = SupportCap.objects.filter(content_type=content, province__isnull=True).first()
        if cap and cap.max_amount and national + local > cap.max_amount:  # keep the split, within the cap
            factor = cap.max_amount / (national + local)
            national, local = int(national * factor) // 1000 * 1000, int(local * factor) // 1000 * 1000
        if cap and cap.percent_cap:  # the counterpart carries the rest of the cost
            support = national + local
            counterpart = max(counterpart, -(-support * (100 - cap.percent_cap) // cap.percent_cap))
        WorkItem.objects.create(proposal=p, title="Chuẩn bị, khảo sát", starts_on=start.date(),
                                ends_on=start.date() + dt.timedelta(days=30))
        WorkItem.objects.create(proposal=p, title="Tổ chức thực hiện và nghiệm thu", position=1,
                                starts_on=start.date() + dt.timedelta(days=31),
                                ends_on=start.date() + dt.timedelta(days=180))
        BudgetLine.objects.create(proposal=p, item="Chi phí thực hiện chính", unit="gói", quantity=1,
                                  unit_price=national + local + counterpart, national_amount=national,
                                  local_amount=local, counterpart_amount=counterpart)
        kinds = {"machinery": ["quote", "business_registration"], "demonstration": ["business_registration"],
                 "training": ["training_plan"]}.get(content, [])
        for kind in kinds:
            body = b"%PDF-1.4\n% demo\n"
            Attachment.objects.create(proposal=p, kind=kind, file=ContentFile(body, name="demo.pdf"),
                                      original_name=f"{kind}.pdf", mime_type="application/pdf", size=len(body),
                                      sha256="0" * 64, uploaded_by=applicant, uploaded_at=start)

    def _drive(self, p, outcome, users, applicant, officer, start, now) -> None:
        def at(days):
            return min(start + dt.timedelta(days=days), now - dt.timedelta(minutes=5))

        actors = {"lodge": applicant, "district_submit": users[officer], "appraise": users["appraiser"],
                  "verify_finance": users["finance"], "approve": users["approver"], "accept": users["appraiser"],
                  "settle": users["finance"]}
        support = sum(line.support for line in p.budget_lines.all())
        recommended = support - support % 1_000_000 if support > 2_000_000 else support

        def data(trigger, when):
            return {
                "appraise": {"verdict": "pass", "score": 80, "recommended_amount": recommended, "opinions": {
                    "policy_fit": "Phù hợp nội dung, ngành nghề khuyến công", "objectives_budget": "Dự toán hợp lý",
                    "capacity": "Đơn vị đủ năng lực", "integration": "Không trùng lặp chương trình khác",
                    "dossier": "Hồ sơ đầy đủ"}},
                "verify_finance": {"national_amount": min(p.budget_lines.first().national_amount, recommended),
                                   "local_amount": recommended - min(p.budget_lines.first().national_amount,
                                                                     recommended)},
                "approve": {"decision_number": f"{100 + p.pk}/QĐ-UBND", "decision_date":
                            when.date().isoformat()},
                "accept": {"accepted_on": when.date().isoformat(), "results": "Đạt các chỉ tiêu của đề án"},
                "settle": {"national_amount": 0, "local_amount": 0, "counterpart_amount": 0},
            }.get(trigger, {})

        if outcome == "drafted":
            return
        day = 0
        last = {"returned": "lodge", "reject": "district_submit", "withdraw": "lodge", "stop": "approve"}.get(
            outcome, outcome)
        for trigger in ORDER:
            day += 6 if trigger != "accept" else 40
            when = at(day)
            d = data(trigger, when)
            if trigger == "settle":
                approved = Proposal.objects.get(pk=p.pk).approved_amount
                d = {"national_amount": 0, "local_amount": approved * 95 // 100}
            fire(p.pk, trigger, actor=actors[trigger], now=when, data=d,
                 comment="Đề nghị Sở Công Thương xem xét hỗ trợ" if trigger == "district_submit" else "")
            if trigger == "approve":
                self._implementation(p, applicant, at(day + 3))
            if trigger == last:
                break
        when = at(day + 5)
        if outcome == "returned":
            fire(p.pk, "return_for_revision", actor=actors["district_submit"], now=when,
                 comment="Đề nghị bổ sung báo giá của ít nhất hai nhà cung cấp.")
        elif outcome == "reject":
            fire(p.pk, "reject", actor=users["appraiser"], now=when,
                 comment="Nội dung trùng với đề án đã được hỗ trợ năm trước.")
        elif outcome == "withdraw":
            fire(p.pk, "withdraw", actor=applicant, now=when, comment="Đơn vị rút hồ sơ để điều chỉnh quy mô.")
        elif outcome == "stop":
            fire(p.pk, "stop", actor=users["approver"], now=when, comment="Đơn vị không bố trí được vốn đối ứng.")

    def _implementation(self, p: Proposal, applicant: User, when: dt.datetime) -> None:
        p.refresh_from_db()
        limit = (p.approved_amount or 0) * settings.KHUYENCONG["ADVANCE_CAP_PERCENT"] // 100
        if limit <= 0:
            return
        advance = request_advance(p.pk, actor=applicant, now=when, amount=limit // 2)
        finance = User.objects.get(username="finance")
        decide_advance(advance.pk, actor=finance, now=when + dt.timedelta(hours=2), pay=True)
        submit_progress_report(p.pk, actor=applicant, now=when + dt.timedelta(hours=3),
                               period=when.date().replace(day=1), percent_complete=30,
                               summary="Đã ký hợp đồng, đang triển khai các hạng mục chính.")
