"""Demo data for ``make run`` (management command ``seed_demo``), on today's map (domain.md §8): Tỉnh Đồng Nai
("2025-75"), which former Tỉnh Bình Phước ("70") joined on 1/7/2025, with two levels of local government.

* **Today**: Sở Công Thương, Sở Tài chính, the approving leader, the auditor and the administrator at Tỉnh Đồng
  Nai; one commune officer (Phòng Kinh tế of the xã / phường, who endorses lodged đề án) in each of today's
  communes the đề án use; applicant organisations addressed in today's communes; and 33 đề án modelled on the
  seven sub-programmes of Bình Phước's khuyến công programme 2011–2015 (QĐ 2818/QĐ-UBND), placed in today's
  communes (province Đồng Nai, no district) and driven through the lifecycle in the months before ``now``, so
  that every status has examples with a real history.
* **History**: five đề án of 2024–2025 lodged before 1/7/2025 in the units of their day (Tỉnh Bình Phước, an old
  district, an old commune), endorsed by the district officers and appraised, verified and approved by the Sở of
  that time, on fixed dates. Those officers' units ended on 30/6/2025, so their accounts are inactive; their
  records are seen by today's officers of the units that succeed them. Four are settled or rejected; one, sent
  back for revision in June 2025 and lodged again in September, was appraised and approved by today's Sở and is
  being implemented.
* **National đề án** (khuyến công quốc gia): nine đề án on the national track, one at each of its statuses, from
  a registration for 2028 to a settlement with the Cục, on fixed dates; those of plan year 2026 were registered
  with the Sở of Bình Phước before 20/5/2025. The ministry side's steps are recorded by the Sở's appraiser, or
  taken by the Cục's officer (``cuc``) when the deployment runs the ministry side in the system. The other đề án
  are local (khuyến công địa phương) and funded from the local budget and the beneficiaries' counterpart.

The units come from ``load_units``; the demo names the old map's codes it was written with and resolves each
to the unit of today through ``AdministrativeUnit.successor`` (Xã Đức Liễu "25417" → Xã Nghĩa Trung).
Whoever acts on a step is the demo person holding the step's role in the unit the task service gives the task
to on that day (``task_unit_id``): the district before 1/7/2025, today's commune and province after.

Idempotent: users and organisations are found by username and tax code, đề án by organisation and title;
what exists is left alone. ``now`` is passed in; every step happens before it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction

from core.calendar import VN_TZ
from core.models import TWO_LEVEL_FROM, AdministrativeUnit, Organisation, User
from core.roles import Role
from core.units import load_units
from workflow.advances import advance_terms, decider_role
from workflow.lifecycle import Status, ministry_side_role
from workflow.models import Attachment, AttachmentRequirement, BudgetLine, Proposal, WorkItem
from workflow.services.implementation import decide_advance, request_advance, submit_progress_report
from workflow.services.portal import VoucherData, submit_settlement_dossier
from workflow.services.proposals import create_proposal
from workflow.services.steps import ACHIEVED
from workflow.services.tasks import move_to_successors, task_unit_id
from workflow.services.transitions import fire
from workflow.validation import applicable_cap

MILLION = 1_000_000
PROVINCE = "2025-75"  # Tỉnh Đồng Nai since 1/7/2025
FORMER_PROVINCE = "70"  # Tỉnh Bình Phước until 30/6/2025 (its successor: Tỉnh Đồng Nai)

# Bình Phước programme 2011–2015 (seed 004, Điều 4): national / local / other (counterpart), in million đồng.
SUB_PROGRAMMES = {
    1: ("Đào tạo nghề, truyền nghề và phát triển nghề", (630, 630, 0)),
    2: ("Nâng cao năng lực quản lý", (0, 300, 200)),
    3: ("Mô hình trình diễn kỹ thuật, chuyển giao công nghệ", (2250, 2370, 120)),
    4: ("Phát triển sản phẩm công nghiệp nông thôn tiêu biểu", (1000, 4150, 2350)),
    5: ("Tư vấn, cung cấp thông tin", (0, 1140, 500)),
    6: ("Liên doanh, liên kết và phát triển cụm công nghiệp", (4050, 230, 130)),
    7: ("Nâng cao năng lực quản lý và tổ chức thực hiện", (200, 310, 0)),
}


@dataclass(frozen=True)
class Person:
    """A demo user. ``unit``: an administrative unit's code. Today's staff work in the unit that holds that
    unit's territory today (an old commune's code stands for its successor); ``former`` staff worked in the
    unit itself, which ended on 30/6/2025, and their accounts are inactive."""

    username: str
    family: str  # họ và tên đệm
    given: str  # tên
    role: str
    unit: str | None = None  # administrative unit code (staff)
    org: str | None = None  # tax code (applicants)
    phone: str = ""
    former: bool = False


@dataclass(frozen=True)
class Org:
    """An applicant organisation; ``commune``: the old map's code of its commune, its address is the successor."""

    tax_code: str
    name: str
    kind: str
    commune: str
    representative: str
    phone: str
    email: str
    address: str
    # An enterprise's declared size (the eligibility check at lodging: small and medium, workflow/eligibility.py).
    capital: int | None = None  # total capital, đồng
    workers: int | None = None  # yearly average


ORGS = (
    Org(
        "3801234567",
        "Hộ kinh doanh Nguyễn Thị Lan",
        Organisation.Kind.HOUSEHOLD,
        "25417",
        "Nguyễn Thị Lan",
        "+84912345678",
        "lan.dieu@example.vn",
        "Thôn 3, xã Nghĩa Trung",
    ),
    Org(
        "3801122334",
        "Hợp tác xã Mây tre đan Đức Phong",
        Organisation.Kind.COOPERATIVE,
        "25396",
        "Điểu Thị Hạnh",
        "+84913456789",
        "htx.maytre.ducphong@example.vn",
        "Khu phố Tân Hưng, xã Bù Đăng",
    ),
    Org(
        "3800987654",
        "Công ty TNHH Chế biến Điều Lộc Ninh",
        Organisation.Kind.SME,
        "25270",
        "Trần Văn Bình",
        "+84987654321",
        "dieulocninh@example.vn",
        "Quốc lộ 13, xã Lộc Ninh",
        capital=45_000 * MILLION,
        workers=120,
    ),
    Org(
        "3800456789",
        "Hợp tác xã Cơ khí Tân Phú",
        Organisation.Kind.COOPERATIVE,
        "25363",
        "Lê Văn Phúc",
        "+84903123456",
        "cokhi.tanphu@example.vn",
        "Đường ĐT 741, xã Đồng Phú",
    ),
    Org(
        "3800111222",
        "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp tỉnh Đồng Nai",
        Organisation.Kind.PUBLIC_SERVICE,
        "25195",
        "Hoàng Minh Đức",
        "+84918765432",
        "ttkc.dongnai@example.vn",
        "Đường Trần Hưng Đạo, phường Bình Phước",
    ),
)
LAN, HTX_MAYTRE, DIEU_LN, COKHI, TRUNGTAM = (o.tax_code for o in ORGS)
ORG_BY_TAX_CODE = {o.tax_code: o for o in ORGS}

# fmt: off
PEOPLE = (
    Person("applicant", "Nguyễn Thị", "Lan", Role.APPLICANT, org=LAN, phone="+84912345678"),
    Person("htx.ducphong", "Điểu Thị", "Hạnh", Role.APPLICANT, org=HTX_MAYTRE, phone="+84913456789"),
    Person("dieu.locninh", "Trần Văn", "Bình", Role.APPLICANT, org=DIEU_LN, phone="+84987654321"),
    Person("cokhi.tanphu", "Lê Văn", "Phúc", Role.APPLICANT, org=COKHI, phone="+84903123456"),
    Person("trungtam", "Hoàng Minh", "Đức", Role.APPLICANT, org=TRUNGTAM, phone="+84918765432"),
    # Today's commune officers (Phòng Kinh tế of the xã; Phòng Kinh tế, Hạ tầng và Đô thị of the phường): one in
    # each commune of today that the đề án below use. The code is the old commune's; the unit is its successor
    # ("district": Xã Nghĩa Trung, which Xã Đức Liễu became).
    Person("district", "Trần Văn", "Minh", Role.DISTRICT_OFFICER, unit="25417", phone="+84911111111"),
    Person("xa.budang", "Hoàng Văn", "Quang", Role.DISTRICT_OFFICER, unit="25396", phone="+84911111115"),
    Person("xa.locninh", "Phạm Thị", "Thu", Role.DISTRICT_OFFICER, unit="25270", phone="+84911111112"),
    Person("phuong.binhphuoc", "Ngô Văn", "Sơn", Role.DISTRICT_OFFICER, unit="25195", phone="+84911111113"),
    Person("xa.dongphu", "Bùi Thị", "Ngọc", Role.DISTRICT_OFFICER, unit="25363", phone="+84911111114"),
    Person("xa.locthanh", "Đỗ Văn", "Hải", Role.DISTRICT_OFFICER, unit="25273", phone="+84911111116"),
    Person("xa.daknhau", "Điểu Thị", "Hương", Role.DISTRICT_OFFICER, unit="25399", phone="+84911111117"),
    Person("xa.tanloi", "Vũ Thị", "Lệ", Role.DISTRICT_OFFICER, unit="25378", phone="+84911111118"),
    Person("xa.dongtam", "Trịnh Văn", "Long", Role.DISTRICT_OFFICER, unit="25369", phone="+84911111119"),
    Person("xa.bombo", "Lê Văn", "Cường", Role.DISTRICT_OFFICER, unit="25404", phone="+84911111120"),
    Person("xa.tantien", "Nguyễn Thị", "Hằng", Role.DISTRICT_OFFICER, unit="25276", phone="+84911111121"),
    Person("xa.thuanloi", "Huỳnh Văn", "Phát", Role.DISTRICT_OFFICER, unit="25366", phone="+84911111122"),
    Person("xa.locquang", "Mai Thị", "Yến", Role.DISTRICT_OFFICER, unit="25282", phone="+84911111123"),
    # Today's Tỉnh Đồng Nai.
    Person("appraiser", "Lê Thị", "Hoa", Role.APPRAISER, unit=PROVINCE, phone="+84912222221"),
    Person("head", "Võ Thị", "Mai", Role.DEPARTMENT_HEAD, unit=PROVINCE, phone="+84912222222"),
    Person("finance", "Phạm Văn", "Tuấn", Role.FINANCE_OFFICER, unit=PROVINCE, phone="+84912222223"),
    Person("approver", "Nguyễn Văn", "Hùng", Role.APPROVER, unit=PROVINCE, phone="+84912222224"),
    Person("auditor", "Đặng Quốc", "Khánh", Role.AUDITOR, unit=PROVINCE, phone="+84912222225"),
    Person("admin", "Quản trị", "hệ thống", Role.ADMINISTRATOR, unit=PROVINCE, phone="+84912222226"),
    # The ministry's Cục (no unit: the whole country): acts on national đề án when the ministry side is in the
    # system (settings.KHUYENCONG["NATIONAL_MODE"] = "in_system"), reads them otherwise.
    Person("cuc", "Phan Văn", "Thành", Role.MINISTRY, phone="+84912222227"),
    # Former Bình Phước, until 30/6/2025: the district officers and the Sở of that time (inactive today).
    Person("binhphuoc.budang", "Trần Quốc", "Việt", Role.DISTRICT_OFFICER, unit="696", phone="+84913333331", former=True),
    Person("binhphuoc.locninh", "Lý Thị Kim", "Oanh", Role.DISTRICT_OFFICER, unit="692", phone="+84913333332", former=True),
    Person("binhphuoc.dongxoai", "Hà Thị", "Thanh", Role.DISTRICT_OFFICER, unit="689", phone="+84913333333", former=True),
    Person("binhphuoc.dongphu", "Đinh Văn", "Toàn", Role.DISTRICT_OFFICER, unit="695", phone="+84913333334", former=True),
    Person("binhphuoc.appraiser", "Lương Thị", "Nhung", Role.APPRAISER, unit=FORMER_PROVINCE, phone="+84913333335", former=True),
    Person("binhphuoc.finance", "Tạ Văn", "Dũng", Role.FINANCE_OFFICER, unit=FORMER_PROVINCE, phone="+84913333336", former=True),
    Person("binhphuoc.approver", "Châu Văn", "Lợi", Role.APPROVER, unit=FORMER_PROVINCE, phone="+84913333337", former=True),
)
# fmt: on
FORMER = tuple(p.username for p in PEOPLE if p.former)
APPLICANT_OF = {p.org: p.username for p in PEOPLE if p.org}
LOGINS = ("applicant", "district", "appraiser", "head", "finance", "approver", "auditor", "admin")


@dataclass(frozen=True)
class Spec:
    """One demo đề án of today: sub-programme, content type, sector, organisation, commune (the old map's code;
    the đề án is placed in its successor of today), total cost (million đồng), the path it takes and how many days
    ago its last step happened."""

    title: str
    sub: int
    content_type: str
    sector: str
    org: str
    commune: str
    total: int
    path: str
    idle_days: int = 3
    production_line: bool = False
    trimmed: bool = False  # the appraiser recommends less than requested (one item not eligible)


# fmt: off
SPECS = (
    # 1. Đào tạo nghề
    Spec("Đào tạo nghề mây tre đan cho lao động nông thôn xã Bù Đăng", 1, "training", "dd", HTX_MAYTRE, "25396", 180, "settled", 12),
    Spec("Đào tạo nghề chế biến hạt điều cho lao động nông thôn xã Lộc Thạnh", 1, "training", "a", TRUNGTAM, "25273", 240, "approved", 5),
    Spec("Truyền nghề dệt thổ cẩm cho đồng bào dân tộc thiểu số xã Đak Nhau", 1, "training", "dd", TRUNGTAM, "25399", 150, "district_submitted", 28),
    Spec("Đào tạo nghề may công nghiệp cho lao động nữ xã Tân Lợi", 1, "training", "b", TRUNGTAM, "25378", 200, "drafted", 2),
    Spec("Đào tạo thợ mộc mỹ nghệ cho lao động nông thôn xã Đồng Tâm", 1, "training", "dd", TRUNGTAM, "25369", 160, "rejected_by_appraiser", 20),
    # 2. Năng lực quản lý
    Spec("Tập huấn quản trị doanh nghiệp cho cơ sở công nghiệp nông thôn xã Bom Bo", 2, "management", "b", TRUNGTAM, "25404", 120, "implemented", 6),
    Spec("Hội thảo sản xuất sạch hơn trong chế biến hạt điều tại Lộc Ninh", 2, "management", "a", DIEU_LN, "25270", 90, "appraised", 4),
    Spec("Tham quan, khảo sát mô hình hợp tác xã mây tre đan tiêu biểu các tỉnh phía Nam", 2, "management", "dd", HTX_MAYTRE, "25396", 80, "lodged", 1),
    # 3. Mô hình trình diễn, chuyển giao công nghệ, máy móc thiết bị
    Spec("Hỗ trợ ứng dụng máy tách vỏ lụa hạt điều", 3, "machinery", "a", LAN, "25417", 620, "lodged", 2),
    Spec("Hỗ trợ ứng dụng dây chuyền sấy và phân loại hạt điều tự động", 3, "machinery", "a", DIEU_LN, "25270", 1000, "finance_verified", 15, production_line=True),
    Spec("Mô hình trình diễn kỹ thuật sản xuất viên nén mùn cưa từ phụ phẩm gỗ cao su", 3, "demonstration", "c", COKHI, "25363", 2400, "approved_with_advance", 4),
    Spec("Hỗ trợ ứng dụng máy chẻ nan và vót tăm mây tre", 3, "machinery", "dd", HTX_MAYTRE, "25396", 420, "settled", 30),
    Spec("Hỗ trợ ứng dụng máy cắt CNC trong sản xuất cơ khí nông nghiệp", 3, "machinery", "d", COKHI, "25363", 560, "settlement_filed", 9),
    Spec("Hỗ trợ ứng dụng lò hơi tiết kiệm năng lượng trong chế biến hạt điều", 3, "machinery", "a", DIEU_LN, "25276", 700, "district_submitted", 3),
    Spec("Mô hình trình diễn sản xuất phân bón hữu cơ vi sinh từ vỏ hạt điều", 3, "demonstration", "c", LAN, "25417", 1500, "returned", 3),
    Spec("Hỗ trợ ứng dụng máy ép dầu vỏ hạt điều", 3, "machinery", "a", LAN, "25417", 380, "withdrawn_lodged", 8),
    Spec("Hỗ trợ ứng dụng máy đóng gói hạt điều hút chân không", 3, "machinery", "a", DIEU_LN, "25270", 600, "stopped", 10),
    Spec("Hỗ trợ ứng dụng máy sấy nông sản bằng năng lượng mặt trời", 3, "machinery", "a", COKHI, "25366", 480, "appraised", 14),
    Spec("Mô hình trình diễn sản xuất gạch không nung từ đất đồi xã Đồng Tâm", 3, "demonstration", "c", COKHI, "25372", 2000, "rejected_by_approver", 7),
    Spec("Hỗ trợ ứng dụng máy xay xát và đánh bóng hạt tiêu", 3, "machinery", "a", DIEU_LN, "25282", 500, "approved_with_advance", 20, trimmed=True),
    # 4. Sản phẩm công nghiệp nông thôn tiêu biểu
    Spec("Hỗ trợ cơ sở công nghiệp nông thôn tham gia Hội chợ hàng công nghiệp nông thôn tiêu biểu khu vực phía Nam", 4, "fair", "b", TRUNGTAM, "25195", 350, "settled", 45),
    Spec("Tổ chức bình chọn sản phẩm công nghiệp nông thôn tiêu biểu cấp tỉnh", 4, "typical_product", "b", TRUNGTAM, "25195", 300, "finance_verified", 2),
    Spec("Xây dựng và đăng ký nhãn hiệu chứng nhận Hạt điều Lộc Ninh", 4, "brand", "a", DIEU_LN, "25270", 70, "approved", 25),
    Spec("Hỗ trợ xây dựng phòng trưng bày sản phẩm mây tre đan Đức Phong", 4, "fair", "dd", HTX_MAYTRE, "25396", 260, "resubmitted", 2),
    Spec("Hỗ trợ cơ sở tham gia Hội chợ Công Thương vùng Đông Nam Bộ", 4, "fair", "b", TRUNGTAM, "25198", 280, "drafted", 1),
    # 5. Tư vấn, thông tin
    Spec("Tư vấn thiết kế mẫu mã, bao bì sản phẩm hạt điều rang muối", 5, "consultancy", "a", LAN, "25417", 60, "approved", 12, trimmed=True),
    Spec("Chuyên mục khuyến công trên Báo và Phát thanh, Truyền hình Đồng Nai", 5, "media", "b", TRUNGTAM, "25195", 240, "appraised", 1),
    Spec("Tư vấn lập dự án đầu tư mở rộng xưởng cơ khí nông nghiệp", 5, "consultancy", "d", COKHI, "25363", 64, "withdrawn_draft", 5),
    # 6. Liên doanh liên kết, cụm công nghiệp
    Spec("Hỗ trợ thành lập Hội ngành nghề chế biến điều xã Lộc Ninh", 6, "association", "a", DIEU_LN, "25270", 300, "implemented", 3),
    Spec("Lập quy hoạch chi tiết cụm công nghiệp Tân Phú", 6, "ccn_planning", "c", TRUNGTAM, "25363", 900, "district_submitted", 9),
    Spec("Liên kết sản phẩm mây tre đan với điểm du lịch sinh thái Bù Đăng", 6, "association", "dd", HTX_MAYTRE, "25396", 200, "lodged", 16),
    # 7. Năng lực tổ chức thực hiện
    Spec("Tập huấn nghiệp vụ khuyến công cho cán bộ cấp xã và cộng tác viên", 7, "capacity", "b", TRUNGTAM, "25195", 150, "finance_verified", 6),
    Spec("Tham quan học tập kinh nghiệm khuyến công tại các tỉnh Đông Nam Bộ", 7, "capacity", "b", TRUNGTAM, "25201", 120, "settled", 20),
)
# fmt: on


@dataclass(frozen=True)
class Past:
    """One đề án of former Bình Phước, lodged before 1/7/2025 in the units of its day (the old province, district
    and commune: ``commune`` is the old commune's code), created on ``created`` and taken through ``steps``,
    each (step, ISO date) at office hours."""

    title: str
    sub: int
    content_type: str
    sector: str
    org: str
    commune: str
    total: int
    plan_year: int
    created: str
    steps: tuple[tuple[str, str], ...]
    production_line: bool = False
    trimmed: bool = False


# fmt: off
HISTORY = (
    Past("Hỗ trợ ứng dụng máy phân loại hạt điều nhân theo kích cỡ", 3, "machinery", "a", LAN, "25417", 540, 2024, "2024-01-08", (
        ("lodge", "2024-01-10"), ("district_submit", "2024-01-17"), ("appraise", "2024-02-05"),
        ("verify_finance", "2024-02-26"), ("approve", "2024-03-11"), ("advance", "2024-04-08"),
        ("accept", "2024-09-16"), ("settle", "2024-10-01"),
    )),
    Past("Tổ chức Hội chợ hàng công nghiệp nông thôn tiêu biểu tỉnh Bình Phước năm 2024", 4, "fair", "b", TRUNGTAM, "25195", 450, 2024, "2024-03-04", (
        ("lodge", "2024-03-06"), ("district_submit", "2024-03-13"), ("appraise", "2024-03-27"),
        ("verify_finance", "2024-04-10"), ("approve", "2024-04-24"), ("advance", "2024-05-13"),
        ("accept", "2024-11-25"), ("settle", "2024-12-10"),
    )),
    Past("Đào tạo nghề hàn, gia công cơ khí cho lao động nông thôn huyện Đồng Phú", 1, "training", "d", COKHI, "25363", 150, 2025, "2024-11-04", (
        ("lodge", "2024-11-06"), ("district_submit", "2024-11-13"), ("appraise", "2024-11-27"),
        ("verify_finance", "2024-12-09"), ("approve", "2024-12-23"), ("advance", "2025-02-17"),
        ("accept", "2025-05-26"), ("settle", "2025-06-09"),
    )),
    Past("Mô hình trình diễn kỹ thuật xử lý khói lò rang hạt điều tại thị trấn Lộc Ninh", 3, "demonstration", "g", DIEU_LN, "25270", 1200, 2025, "2025-02-10", (
        ("lodge", "2025-02-12"), ("district_submit", "2025-02-19"), ("reject", "2025-03-12"),
    )),
    # Sent back by the Sở of Bình Phước in June 2025, lodged again in September: appraised, verified and approved
    # by today's Sở of Đồng Nai (the resubmission goes back to the step that returned it), under way in 2026.
    Past("Hỗ trợ ứng dụng máy đan lát mây tre bán tự động", 3, "machinery", "dd", HTX_MAYTRE, "25396", 450, 2026, "2025-04-14", (
        ("lodge", "2025-04-16"), ("district_submit", "2025-04-23"), ("return_for_revision", "2025-06-18"),
        ("lodge", "2025-09-08"), ("appraise", "2025-10-06"), ("verify_finance", "2025-11-10"),
        ("approve", "2025-12-15"), ("advance", "2026-03-09"), ("report", "2026-04-20"),
    )),
)
# fmt: on


@dataclass(frozen=True)
class National(Past):
    """A national đề án (khuyến công quốc gia) on fixed dates: in the units of its day when it was created before
    1/7/2025 (as ``Past``), else in today's commune of Tỉnh Đồng Nai."""


# fmt: off
# Plan year N registers with the Sở by 20/5 of N-1; the dossier reaches the Cục by 30/9 of N-1 (workflow/national.py).
_NATIONAL_2026 = (("lodge", "2025-04-14"), ("appraise", "2025-06-09"), ("send_to_ministry", "2025-09-15"),
                  ("appraise_ministry", "2025-11-03"), ("approve", "2025-12-15"))
NATIONALS = (
    National("Hỗ trợ ứng dụng máy sấy hạt điều bằng bơm nhiệt", 3, "machinery", "a", DIEU_LN, "25270", 700, 2028, "2026-10-26", (
        ("lodge", "2026-11-02"),
    )),
    National("Mô hình trình diễn kỹ thuật chế biến điều nhân đóng gói theo tiêu chuẩn xuất khẩu", 3, "demonstration", "a", DIEU_LN, "25276", 2000, 2028, "2026-09-21", (
        ("lodge", "2026-09-28"), ("appraise", "2026-11-16"),
    )),
    National("Đào tạo nghề đan lát mây tre xuất khẩu cho lao động nông thôn", 1, "training", "dd", HTX_MAYTRE, "25396", 210, 2027, "2026-04-13", (
        ("lodge", "2026-04-20"), ("appraise", "2026-06-08"), ("send_to_ministry", "2026-09-21"),
    )),
    National("Hỗ trợ ứng dụng máy cán, ép định hình khung nông cụ cơ khí", 3, "machinery", "d", COKHI, "25363", 640, 2027, "2026-05-04", (
        ("lodge", "2026-05-11"), ("appraise", "2026-06-15"), ("send_to_ministry", "2026-09-14"),
        ("appraise_ministry", "2026-11-09"),
    )),
    National("Hỗ trợ cơ sở công nghiệp nông thôn tham gia Hội chợ hàng công nghiệp nông thôn tiêu biểu toàn quốc 2027", 4, "fair", "b", TRUNGTAM, "25195", 400, 2027, "2026-04-27", (
        ("lodge", "2026-05-04"), ("appraise", "2026-06-01"), ("send_to_ministry", "2026-09-07"),
        ("appraise_ministry", "2026-10-26"), ("approve", "2026-11-30"),
    )),
    National("Đào tạo nghề hàn, tiện cơ khí cho lao động nông thôn xã Đồng Phú", 1, "training", "d", COKHI, "25363", 240, 2026, "2025-04-07", (
        *_NATIONAL_2026, ("contract", "2026-02-02"), ("advance", "2026-02-16"), ("report", "2026-04-20"),
    )),
    National("Hỗ trợ ứng dụng dây chuyền bóc tách hạt điều tự động", 3, "machinery", "a", DIEU_LN, "25270", 1000, 2026, "2025-04-07", (
        *_NATIONAL_2026, ("contract", "2026-02-09"), ("report", "2026-06-22"), ("advance", "2026-06-29"),
        ("accept", "2026-11-27"),
    ), production_line=True),
    National("Mô hình trình diễn sản xuất viên nén nhiên liệu từ vỏ hạt điều", 3, "demonstration", "g", LAN, "25417", 1600, 2026, "2025-04-07", (
        *_NATIONAL_2026, ("contract", "2026-02-23"), ("report", "2026-05-25"), ("advance", "2026-06-01"),
        ("accept", "2026-10-19"), ("file_settlement", "2026-10-30"),
    )),
    National("Hỗ trợ hợp tác xã tham gia Hội chợ xúc tiến thương mại quốc gia 2026", 4, "fair", "dd", HTX_MAYTRE, "25396", 300, 2026, "2025-04-07", (
        *_NATIONAL_2026, ("contract", "2026-03-02"), ("advance", "2026-03-16"), ("accept", "2026-09-14"),
        ("file_settlement", "2026-09-24"), ("settle", "2026-11-16"),
    )),
)
# fmt: on
HISTORY_UNTIL = max(
    dt.date.fromisoformat(day) for past in (*HISTORY, *NATIONALS) for _step, day in past.steps
)

# Day (from creation) of each step on the main path.
DAY = {
    "lodge": 2,
    "district_submit": 6,
    "appraise": 16,
    "verify_finance": 24,
    "approve": 32,
    "advance": 42,
    "report": 60,
    "stop": 75,
    "accept": 150,
    "file_settlement": 160,
    "settle": 165,
}
MAIN = ("lodge", "district_submit", "appraise", "verify_finance", "approve", "accept", "settle")


def _main_until(last: str) -> list[tuple[str, int]]:
    steps = MAIN[: MAIN.index(last) + 1]
    return [(s, DAY[s]) for s in steps]


PATHS: dict[str, list[tuple[str, int]]] = {
    "drafted": [],
    "lodged": _main_until("lodge"),
    "district_submitted": _main_until("district_submit"),
    "appraised": _main_until("appraise"),
    "finance_verified": _main_until("verify_finance"),
    "approved": _main_until("approve"),
    "approved_with_advance": [
        *_main_until("approve"),
        ("advance", DAY["advance"]),
        ("report", DAY["report"]),
    ],
    "implemented": [*_main_until("approve"), ("advance", DAY["advance"]), ("accept", DAY["accept"])],
    "settlement_filed": [
        *_main_until("approve"),
        ("advance", DAY["advance"]),
        ("accept", DAY["accept"]),
        ("file_settlement", DAY["file_settlement"]),
    ],
    "settled": [
        *_main_until("approve"),
        ("advance", DAY["advance"]),
        ("accept", DAY["accept"]),
        ("settle", DAY["settle"]),
    ],
    "stopped": [*_main_until("approve"), ("advance", DAY["advance"]), ("stop", DAY["stop"])],
    "returned": [("lodge", 2), ("return_for_revision", 5)],
    "resubmitted": [("lodge", 2), ("district_submit", 6), ("return_for_revision", 12), ("lodge", 20)],
    "withdrawn_draft": [("withdraw", 3)],
    "withdrawn_lodged": [("lodge", 2), ("withdraw", 6)],
    "rejected_by_appraiser": [*_main_until("district_submit"), ("reject", 14)],
    "rejected_by_approver": [*_main_until("verify_finance"), ("reject", 30)],
}


@dataclass
class SeedResult:
    units_created: int = 0
    users_created: int = 0
    orgs_created: int = 0
    proposals_created: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.units_created or self.users_created or self.orgs_created or self.proposals_created)


def seed_demo(*, now: dt.datetime, password: str) -> SeedResult:
    """Create what is missing of the demo data; every step of every đề án happens before ``now``."""
    today = now.astimezone(VN_TZ).date()
    if today <= HISTORY_UNTIL:
        raise ValueError(f"Dữ liệu mẫu cần thời điểm sau ngày {HISTORY_UNTIL:%d/%m/%Y} (lịch sử đề án).")
    result = SeedResult()
    result.units_created = load_units(province="75").created
    units = _units()
    with transaction.atomic():
        orgs = {o.tax_code: _org(o, units, today, result) for o in ORGS}
        users = {p.username: _person(p, units, today, orgs, password, result) for p in PEOPLE}
    holders = _holders(users)
    missing = [
        past
        for past in HISTORY
        if not Proposal.objects.filter(implementing_org=orgs[past.org], title=past.title).exists()
    ]
    if missing:
        with _at_work(FORMER):
            for past in missing:
                _past_proposal(past, orgs[past.org], units, users, holders)
                result.proposals_created += 1
    missing = [
        n
        for n in NATIONALS
        if not Proposal.objects.filter(implementing_org=orgs[n.org], title=n.title).exists()
    ]
    if missing:
        with _at_work(FORMER):
            for n in missing:
                _past_proposal(n, orgs[n.org], units, users, holders)
                result.proposals_created += 1
    for spec in SPECS:
        org = orgs[spec.org]
        if Proposal.objects.filter(implementing_org=org, title=spec.title).exists():
            continue
        _proposal(spec, org, units, users, holders, now)
        result.proposals_created += 1
    result.statuses = {s: Proposal.objects.filter(status=s).count() for s in Status.values}
    return result


def _units() -> dict[str, AdministrativeUnit]:
    """The units the demo names, by code (the old map's and today's)."""
    codes = {
        PROVINCE,
        FORMER_PROVINCE,
        *(p.unit for p in PEOPLE if p.unit),
        *(o.commune for o in ORGS),
        *(s.commune for s in SPECS),
        *(past.commune for past in (*HISTORY, *NATIONALS)),
    }
    units = {
        u.code: u
        for u in AdministrativeUnit.objects.select_related("parent__parent", "successor").filter(
            code__in=codes
        )
    }
    if missing := sorted(codes - set(units)):
        raise LookupError(f"Chưa có các đơn vị hành chính mã {', '.join(missing)} (chạy load_units).")
    return units


def _today(unit: AdministrativeUnit, day: dt.date) -> AdministrativeUnit:
    """The unit holding ``unit``'s territory on ``day``: itself while it exists, else its successor (followed
    through ``AdministrativeUnit.successor``)."""
    seen: set[int] = set()
    while not unit.is_valid_on(day):
        if unit.successor_id is None or unit.pk in seen:
            raise LookupError(
                f"{unit.name} (mã {unit.code}) không có đơn vị kế thừa vào ngày {day:%d/%m/%Y}."
            )
        seen.add(unit.pk)
        unit = unit.successor  # type: ignore[assignment]
    return unit


def _holders(users: dict[str, User]) -> dict[tuple[str, int | None], str]:
    """(role, unit id) → the demo staff member holding that role in that unit."""
    return {(str(p.role), users[p.username].unit_id): p.username for p in PEOPLE if p.unit}


@contextmanager
def _at_work(usernames: tuple[str, ...]) -> Iterator[None]:
    """The staff of former Bình Phước worked until 30/6/2025: active while the history is written, inactive
    afterwards (their units no longer exist; no task of today waits for them)."""
    User.objects.filter(username__in=usernames).update(is_active=True)
    try:
        yield
    finally:
        User.objects.filter(username__in=usernames).update(is_active=False)


def _org(o: Org, units, today: dt.date, result: SeedResult) -> Organisation:
    org, created = Organisation.objects.get_or_create(
        tax_code=o.tax_code,
        defaults={
            "name": o.name,
            "kind": o.kind,
            "address_unit": _today(units[o.commune], today),
            "address": o.address,
            "representative": o.representative,
            "phone": o.phone,
            "email": o.email,
        },
    )
    result.orgs_created += created
    return org


def _person(p: Person, units, today: dt.date, orgs, password: str, result: SeedResult) -> User:
    user = User.objects.filter(username=p.username).first()
    if user is None:
        unit = None
        if p.unit:
            unit = units[p.unit] if p.former else _today(units[p.unit], today)
        user = User(
            username=p.username,
            first_name=p.family,
            last_name=p.given,
            email=f"{p.username.replace('.', '-')}@khuyencong.example.vn",
            phone=p.phone,
            unit=unit,
            organisation=orgs[p.org] if p.org else None,
            is_staff=p.role == Role.ADMINISTRATOR,
            is_superuser=p.role == Role.ADMINISTRATOR,
            is_active=not p.former,
        )
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get_or_create(name=str(p.role))[0])
        result.users_created += 1
    return user


# --- one đề án ---------------------------------------------------------------------------------------------


def _round_m(amount: int) -> int:
    return amount // MILLION * MILLION


def _split(spec: Spec | Past, proposal_on: dt.date, province) -> tuple[int, int, int]:
    """National, local and counterpart amounts of the whole đề án: the sub-programme's proportions, with the
    support lowered to the cap in force (percentage and maximum) where the proportions would exceed it."""
    nat, loc, other = SUB_PROGRAMMES[spec.sub][1]
    total = spec.total * MILLION
    support = _round_m(total * (nat + loc) // (nat + loc + other))
    probe = Proposal(
        content_type=spec.content_type,
        funding_kind=_funding_kind(spec),
        province=province,
        is_production_line=spec.production_line,
    )
    cap = applicable_cap(probe, on=proposal_on)
    if cap is not None:
        if cap.percent_cap is not None:
            # A whole number of đồng (a PercentField reads a whole percentage as an int, 1,5 % as a Decimal).
            support = min(support, _round_m(int(total * cap.percent_cap // 100)))
        if cap.max_amount is not None:
            limit = cap.max_amount
            if spec.production_line:
                limit = limit * cap.priority_multiplier_percent // 100
            support = min(support, limit)
    national = support if _funding_kind(spec) == "national" else 0
    return national, support - national, total - support


def _funding_kind(spec: Spec | Past) -> str:
    """A national đề án is funded by the national budget and follows the national track; every other one by the
    local budget (its sub-programme's national share is carried by the national đề án of the same line)."""
    return "national" if isinstance(spec, National) else "local"


def _at(start: dt.datetime, day: int, n: int = 0) -> dt.datetime:
    return start + dt.timedelta(days=day, minutes=15 * n)


def _office_hours(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=VN_TZ)


def _proposal(spec: Spec, org: Organisation, units, users, holders, now: dt.datetime) -> Proposal:
    """A đề án of today in today's commune (the successor of the spec's), its steps in the months before
    ``now``."""
    steps = PATHS[spec.path]
    last = steps[-1][1] if steps else 0
    local_now = now.astimezone(VN_TZ)
    # Steps at office hours on past days; the last one ``idle_days`` ago.
    start_day = local_now.date() - dt.timedelta(days=last + spec.idle_days)
    start = dt.datetime.combine(start_day, dt.time(8, 30), tzinfo=VN_TZ)
    approve_on = (start + dt.timedelta(days=DAY["approve"])).date()
    in_progress = spec.path in (
        "approved",
        "approved_with_advance",
        "implemented",
        "settlement_filed",
        "settled",
        "stopped",
    )
    plan_year = approve_on.year if in_progress else local_now.year + 1
    commune = _today(units[spec.commune], start_day)
    proposal, driver = _create(
        spec, org, users, holders, (units[PROVINCE], None, commune), plan_year=plan_year, start=start
    )
    for n, (step, day) in enumerate(steps):
        driver.run(step, _at(start, day, n))
    return proposal


def _past_proposal(past: Past, org: Organisation, units, users, holders) -> Proposal:
    """A đề án in the units of its day, each step on its date: former Bình Phước's before 1/7/2025, today's
    commune of Tỉnh Đồng Nai after."""
    start = _office_hours(past.created, 8)
    if start.date() < TWO_LEVEL_FROM:
        commune = units[past.commune]
        district = commune.parent
        place = (district.parent, district, commune)
    else:
        place = (units[PROVINCE], None, _today(units[past.commune], start.date()))
    proposal, driver = _create(past, org, users, holders, place, plan_year=past.plan_year, start=start)
    moved = start.date() >= TWO_LEVEL_FROM
    for n, (step, day) in enumerate(past.steps):
        if not moved and dt.date.fromisoformat(day) >= TWO_LEVEL_FROM:
            # On 1/7/2025 the tasks left at the units that ended move to their successors (as an operator does with
            # ``manage.py move_tasks_to_successors``): the Sở of Đồng Nai takes over Bình Phước's open steps.
            move_to_successors(now=_office_hours(TWO_LEVEL_FROM.isoformat(), 7))
            moved = True
        driver.run(step, _office_hours(day) + dt.timedelta(minutes=15 * n))
    return proposal


def _create(
    spec: Spec | Past,
    org: Organisation,
    users,
    holders,
    place: tuple[AdministrativeUnit, AdministrativeUnit | None, AdministrativeUnit],
    *,
    plan_year: int,
    start: dt.datetime,
) -> tuple[Proposal, _Driver]:
    province, district, commune = place
    applicant = users[APPLICANT_OF[spec.org]]
    declared = ORG_BY_TAX_CODE[spec.org]
    national, local, counterpart = _split(spec, start.date(), province)
    sub_name = SUB_PROGRAMMES[spec.sub][0]
    where = ", ".join([commune.name, *(_named(u) for u in (district, province) if u is not None)])
    if district is not None:
        endorsing = f"Phòng Kinh tế {_named(district)}"
    elif commune.name.startswith("Phường"):
        endorsing = f"Phòng Kinh tế, Hạ tầng và Đô thị {_named(commune)}"
    else:
        endorsing = f"Phòng Kinh tế {_named(commune)}"
    proposal = create_proposal(
        actor=applicant,
        now=start,
        implementing_org=org,
        title=spec.title,
        plan_year=plan_year,
        funding_kind=_funding_kind(spec),
        content_type=spec.content_type,
        sector=spec.sector,
        is_production_line=spec.production_line,
        province=province,
        district=district,
        commune=commune,
        location_detail=where,
        beneficiary_capital=declared.capital,
        beneficiary_workers=declared.workers,
        counterpart_committed=True,
        no_other_state_support=True,
        partners=f"Đơn vị thực hiện: {org.name}. Đơn vị phối hợp: {endorsing}, UBND {_named(commune)}. "
        f"Địa điểm: {_named(commune)}.",
        need=f"Thuộc chương trình “{sub_name}” của tỉnh; cơ sở công nghiệp nông thôn tại {_named(commune)} "
        "cần hỗ trợ để nâng cao năng suất, chất lượng sản phẩm và tạo việc làm cho lao động địa phương.",
        objectives="Nâng cao năng suất lao động ít nhất 20 %, tạo việc làm ổn định cho lao động nông thôn.",
        scale=f"Tổng kinh phí {spec.total} triệu đồng, thực hiện trong năm {plan_year}.",
        content_plan="Khảo sát, chuẩn bị; tổ chức thực hiện các nội dung chính; nghiệm thu, báo cáo kết quả.",
        organisation_plan=f"{org.name} chủ trì, phối hợp với Trung tâm Khuyến công và UBND {_named(commune)}.",
        effectiveness="Tăng thu nhập cho người lao động, nhân rộng mô hình sang các cơ sở khác trên địa bàn.",
        target_learners=30 if spec.content_type == "training" else 0,
        target_models=1 if spec.content_type == "demonstration" else 0,
        target_machines=1 if spec.content_type == "machinery" else 0,
        target_fairs=1 if spec.content_type == "fair" else 0,
        target_products=10 if spec.content_type == "typical_product" else 0,
    )
    _dossier(proposal, applicant, start, plan_year, national, local, counterpart)
    return proposal, _Driver(proposal, spec, users, holders, national, local, counterpart)


def _named(unit: AdministrativeUnit) -> str:
    """A unit's name inside a sentence: "xã Nghĩa Trung", "thị trấn Đức Phong", "tỉnh Bình Phước"."""
    return unit.name[:1].lower() + unit.name[1:]


def _dossier(
    p: Proposal, applicant: User, now: dt.datetime, year: int, national: int, local: int, counterpart: int
) -> None:
    WorkItem.objects.bulk_create(
        [
            WorkItem(
                proposal=p,
                position=1,
                title="Khảo sát, chuẩn bị, lựa chọn nhà cung cấp và học viên",
                starts_on=dt.date(year, 3, 1),
                ends_on=dt.date(year, 4, 30),
                responsible=p.implementing_org.name,
            ),
            WorkItem(
                proposal=p,
                position=2,
                title="Tổ chức thực hiện nội dung chính của đề án",
                starts_on=dt.date(year, 5, 1),
                ends_on=dt.date(year, 9, 30),
                responsible=p.implementing_org.name,
            ),
            WorkItem(
                proposal=p,
                position=3,
                title="Nghiệm thu, báo cáo kết quả và quyết toán",
                starts_on=dt.date(year, 10, 1),
                ends_on=dt.date(year, 11, 30),
                responsible="Sở Công Thương",
            ),
        ]
    )
    # Two lines: the main item (about 80 %) and the accompanying costs (the rest), each split by source.
    main = [_round_m(a * 8 // 10) for a in (national, local, counterpart)]
    rest = [a - m for a, m in zip((national, local, counterpart), main, strict=True)]
    BudgetLine.objects.bulk_create(
        [
            BudgetLine(
                proposal=p,
                position=1,
                item=_main_item(p.content_type),
                unit="gói",
                quantity=1,
                unit_price=sum(main),
                national_amount=main[0],
                local_amount=main[1],
                counterpart_amount=main[2],
            ),
            BudgetLine(
                proposal=p,
                position=2,
                item="Chi phí tổ chức, hội nghị, nghiệm thu, quản lý đề án",
                unit="gói",
                quantity=1,
                unit_price=sum(rest),
                national_amount=rest[0],
                local_amount=rest[1],
                counterpart_amount=rest[2],
            ),
        ]
    )
    kinds = set(
        AttachmentRequirement.objects.filter(content_type__in=("", p.content_type)).values_list(
            "kind", flat=True
        )
    )
    for kind in sorted(kinds | {"cover_letter", "counterpart_commitment"}):
        body = f"%PDF-1.4\n% {p.tracking_code} {kind}\n".encode()
        Attachment.objects.create(
            proposal=p,
            kind=kind,
            file=ContentFile(body, name=f"{kind}.pdf"),
            original_name=f"{kind}.pdf",
            mime_type="application/pdf",
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            uploaded_by=applicant,
            uploaded_at=now,
        )


def _main_item(content_type: str) -> str:
    return {
        "training": "Thù lao giảng viên, học liệu, nguyên vật liệu thực hành",
        "management": "Chi phí tổ chức lớp tập huấn, hội thảo, tham quan",
        "machinery": "Mua sắm, lắp đặt máy móc thiết bị",
        "demonstration": "Xây dựng mô hình, máy móc thiết bị, tài liệu quy trình",
        "fair": "Thuê gian hàng, thiết kế, vận chuyển sản phẩm",
        "typical_product": "Tổ chức hội đồng bình chọn, giấy chứng nhận, khen thưởng",
        "brand": "Thiết kế, đăng ký nhãn hiệu",
        "consultancy": "Thù lao chuyên gia tư vấn",
        "media": "Sản xuất, phát sóng chuyên mục",
        "association": "Hội nghị thành lập, xây dựng quy chế, liên kết",
        "ccn_planning": "Lập quy hoạch chi tiết tỷ lệ 1/500",
        "capacity": "Tập huấn, tham quan học tập kinh nghiệm",
    }.get(content_type, "Nội dung chi chính")


OPINIONS = {
    "policy_fit": "Phù hợp nội dung, ngành nghề được hỗ trợ theo Nghị định 45/2012/NĐ-CP và chương trình khuyến công của tỉnh.",
    "objectives_budget": "Mục tiêu rõ ràng, cần thiết; dự toán hợp lý, phù hợp mức chi quy định.",
    "capacity": "Đơn vị thực hiện có đủ năng lực, kinh nghiệm và vốn đối ứng.",
    "integration": "Không trùng lặp với chương trình, dự án khác; có thể lồng ghép chương trình nông thôn mới.",
    "dossier": "Hồ sơ đầy đủ, đúng mẫu.",
}


@dataclass
class _Driver:
    """Fires each step of a path with the data the step needs, as the demo person holding the step's role in
    the unit that has the đề án's task that day (the district or the commune, the old province or today's)."""

    proposal: Proposal
    spec: Spec | Past
    users: dict[str, User]
    holders: dict[tuple[str, int | None], str]
    national: int
    local: int
    counterpart: int

    @property
    def support(self) -> int:
        return self.national + self.local

    def user(self, username: str) -> User:
        return User.objects.get(pk=self.users[username].pk)  # fresh: role names are cached per instance

    def staff(self, role: str, now: dt.datetime) -> str:
        scope = "endorsing" if role == Role.DISTRICT_OFFICER else "province"
        unit_id = task_unit_id(self.proposal, scope, now)
        try:
            return self.holders[(str(role), unit_id)]
        except KeyError:
            raise LookupError(
                f"Dữ liệu mẫu không có người giữ vai trò {role} tại đơn vị {unit_id} "
                f"({self.proposal.title}, {now:%d/%m/%Y})."
            ) from None

    @property
    def on_national_track(self) -> bool:
        return self.proposal.funding_kind == "national"

    def ministry(self, now: dt.datetime) -> str:
        """Who acts for the ministry side: the Cục's officer in the system, else the Sở's appraiser recording."""
        return "cuc" if ministry_side_role() == Role.MINISTRY else self.staff(Role.APPRAISER, now)

    def _document(self, now: dt.datetime, suffix: str) -> tuple[str, str]:
        day = now.astimezone(VN_TZ).date()
        return f"{(day - dt.date(2020, 1, 1)).days % 900 + 100}/{suffix}", day.isoformat()

    def fire(
        self, trigger: str, who: str, now: dt.datetime, *, comment: str = "", data: dict | None = None
    ) -> None:
        fire(self.proposal.pk, trigger, actor=self.user(who), now=now, comment=comment, data=data)
        self.proposal.refresh_from_db()

    def file_settlement(self, filed: dt.datetime, settled: int, national: int) -> None:
        """The unit files its settlement dossier in the portal (its own task, within 15 days of acceptance);
        the Sở Công Thương then settles what its vouchers show."""
        spent = {"national": national, "local": settled - national, "counterpart": self.counterpart}
        day = filed.astimezone(VN_TZ).date()
        submit_settlement_dossier(
            self.proposal.pk,
            actor=self.user(APPLICANT_OF[self.spec.org]),
            now=filed,
            national_spent=spent["national"],
            local_spent=spent["local"],
            counterpart_spent=spent["counterpart"],
            vouchers=[
                VoucherData(f"PC{i:03d}/{day:%Y}", day, f"Chi {source}", source, amount)
                for i, (source, amount) in enumerate(spent.items(), 1)
                if amount
            ],
            note="Hồ sơ quyết toán theo Mẫu 7, kèm bảng kê chứng từ chi.",
        )
        self.proposal.refresh_from_db()

    def run(self, step: str, now: dt.datetime) -> None:
        p, spec = self.proposal, self.spec
        applicant = APPLICANT_OF[spec.org]
        if step == "lodge":
            self.fire("lodge", applicant, now)
        elif step == "district_submit":
            self.fire(
                "district_submit",
                self.staff(Role.DISTRICT_OFFICER, now),
                now,
                comment="Đề án phù hợp quy hoạch, kế hoạch phát triển công nghiệp nông thôn của địa phương; "
                "đề nghị Sở Công Thương xem xét hỗ trợ.",
            )
        elif step == "appraise":
            recommended = _round_m(self.support * 9 // 10) if spec.trimmed else self.support
            self.fire(
                "appraise",
                self.staff(Role.APPRAISER, now),
                now,
                data={
                    "verdict": "pass",
                    "opinions": OPINIONS,
                    "score": 70 + p.pk % 25,
                    "recommended_amount": recommended,
                },
            )
        elif step == "verify_finance":
            recommended = p.recommended_amount or 0
            national = _round_m(recommended * self.national // self.support) if self.support else 0
            self.fire(
                "verify_finance",
                self.staff(Role.FINANCE_OFFICER, now),
                now,
                data={"national_amount": national, "local_amount": recommended - national},
            )
        elif step == "send_to_ministry":
            number, day = self._document(now, "SCT-QLCN")
            self.fire(
                "send_to_ministry",
                self.staff(Role.APPRAISER, now),
                now,
                data={"letter_number": number, "letter_date": day},
            )
        elif step == "appraise_ministry":
            number, day = self._document(now, "BB-CĐM")
            self.fire(
                "appraise_ministry",
                self.ministry(now),
                now,
                data={"appraisal_number": number, "appraisal_date": day, "amount": p.recommended_amount},
            )
        elif step == "contract":
            number, day = self._document(now, f"{now.year}/HĐ-KCQG")
            self.fire(
                "contract", self.ministry(now), now, data={"contract_number": number, "contract_date": day}
            )
        elif step == "approve" and self.on_national_track:
            number, day = self._document(now, "QĐ-BCT")
            self.fire(
                "approve",
                self.ministry(now),
                now,
                data={"decision_number": number, "decision_date": day, "amount": p.verified_amount},
            )
        elif step == "approve":
            number, day = self._document(now, "QĐ-UBND")
            self.fire(
                "approve",
                self.staff(Role.APPROVER, now),
                now,
                data={"decision_number": number, "decision_date": day, "amount": p.verified_amount},
            )
        elif step == "advance":
            amount = _round_m(advance_terms(p).limit)
            if amount:
                advance = request_advance(
                    p.pk,
                    actor=self.user(applicant),
                    now=now,
                    amount=amount,
                    note="Tạm ứng đợt 1 theo hợp đồng",
                )
                decided = now + dt.timedelta(days=2)
                role = decider_role(p.funding_kind)
                who = "cuc" if role == Role.MINISTRY else self.staff(role, decided)
                decide_advance(advance.pk, actor=self.user(who), now=decided, pay=True)
                p.refresh_from_db()
        elif step == "report":
            submit_progress_report(
                p.pk,
                actor=self.user(applicant),
                now=now,
                period=now.astimezone(VN_TZ).date(),
                percent_complete=80 if self.on_national_track else 40,
                summary="Đã hoàn thành khảo sát, đang triển khai nội dung chính.",
            )
        elif step == "accept":
            self.fire(
                "accept",
                self.staff(Role.APPRAISER, now),
                now,
                data={
                    "accepted_on": (now.astimezone(VN_TZ).date() - dt.timedelta(days=2)).isoformat(),
                    "results": "Hoàn thành các chỉ tiêu của đề án; máy móc, mô hình vận hành đạt yêu cầu.",
                    # The minutes record each target as reached (the quarterly report's "achieved").
                    "achieved": {
                        key: getattr(p, f"target_{key}") for key in ACHIEVED if getattr(p, f"target_{key}")
                    },
                },
            )
        elif step == "settle":
            approved = p.approved_amount or 0
            settled = _round_m(approved * 97 // 100)
            national = _round_m(settled * self.national // self.support) if self.support else 0
            if p.status != Status.SETTLEMENT_FILED:
                self.file_settlement(now - dt.timedelta(days=5), settled, national)
            data: dict[str, object] = {
                "national_amount": national,
                "local_amount": settled - national,
                "counterpart_amount": self.counterpart,
            }
            if self.on_national_track:  # with the Cục: the contract is liquidated as the đề án is settled
                number, day = self._document(now, "TLHĐ-KCQG")
                data |= {"liquidation_number": number, "liquidation_date": day}
            self.fire(
                "settle",
                self.ministry(now) if self.on_national_track else self.staff(Role.APPRAISER, now),
                now,
                data=data,
            )
        elif step == "file_settlement":
            settled = _round_m((p.approved_amount or 0) * 97 // 100)
            self.file_settlement(
                now, settled, _round_m(settled * self.national // self.support) if self.support else 0
            )
        elif step == "stop":
            self.fire(
                "stop",
                self.staff(Role.APPROVER, now),
                now,
                comment="Đơn vị thực hiện đề nghị dừng do nhà cung cấp không giao được thiết bị đúng hạn.",
            )
        elif step == "return_for_revision":
            role = Role.DISTRICT_OFFICER if p.status == Status.LODGED else Role.APPRAISER
            who = self.staff(role, now)
            self.fire(
                "return_for_revision",
                who,
                now,
                comment="Đề nghị bổ sung báo giá của ít nhất ba nhà cung cấp và thuyết minh rõ hiệu quả.",
            )
        elif step == "reject":
            role = Role.APPRAISER if p.status == Status.DISTRICT_SUBMITTED else Role.APPROVER
            who = self.staff(role, now)
            self.fire(
                "reject",
                who,
                now,
                comment="Nội dung không thuộc đối tượng ưu tiên hỗ trợ của kế hoạch năm; "
                "kinh phí khuyến công địa phương không đủ bố trí.",
            )
        elif step == "withdraw":
            self.fire("withdraw", applicant, now, comment="Đơn vị tự thực hiện bằng vốn của mình.")
        else:  # pragma: no cover - a typo in PATHS
            raise ValueError(step)
