"""A national đề án in the browser (journeys.md §10): the unit registers it with the Sở Công Thương in the portal,
the Sở appraises it at base level and sends it to the Bộ Công Thương; the ministry appraisal, the Minister's
decision and the contract are recorded by the Sở (NATIONAL_MODE "recorded") or made by the Cục in its own queue
("in_system"); the Sở accepts the work, the unit files its settlement dossier in the portal, and the contract is
liquidated and settled. The provincial leader never approves it."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from core.calendar import VN_TZ
from core.models import User
from tests.integration.world import build_world, complete_proposal
from workflow.models import BudgetLine, NationalRecord, Proposal, Settlement, Task

pytestmark = pytest.mark.e2e
PASSWORD = "x-password-1"  # tests/integration/world.py
TITLE = "Ứng dụng máy tách vỏ lụa hạt điều (khuyến công quốc gia)"

# The steps of the national track as the history of the đề án page names them, in order.
HISTORY = [
    ("lodge", "Đăng ký với Sở Công Thương"),
    ("appraise", "Thẩm định cấp cơ sở"),
    ("send_to_ministry", "Gửi hồ sơ Bộ Công Thương"),
    ("appraise_ministry", "Thẩm định cấp Bộ"),
    ("approve", "Bộ trưởng phê duyệt"),
    ("contract", "Ký hợp đồng"),
    ("accept", "Nghiệm thu cơ sở"),
    ("file_settlement", "Nộp hồ sơ quyết toán"),
    ("settle", "Thanh lý hợp đồng và quyết toán"),
]
BASE_APPRAISAL = {
    "1. Sự phù hợp với nguyên tắc, nội dung, ngành nghề": "Phù hợp",
    "2. Mục tiêu, sự cần thiết, hiệu quả; tính hợp lý của dự toán": "Hợp lý",
    "3. Năng lực của đơn vị thực hiện, phối hợp, thụ hưởng": "Đủ năng lực",
    "4. Khả năng lồng ghép với chương trình khác": "Không trùng lặp",
    "5. Tính đầy đủ, phù hợp của hồ sơ": "Đầy đủ",
    "Kinh phí đề nghị hỗ trợ (đồng)": "280.000.000",
}


def day(days_ago: int) -> str:
    """A date ``days_ago`` before today in Vietnam, as a date input takes it (documents are never future-dated)."""
    return (timezone.now().astimezone(VN_TZ).date() - dt.timedelta(days=days_ago)).isoformat()


@pytest.fixture
def world(transactional_db):
    return build_world()


@pytest.fixture
def national(world):
    """Chị Lan's machinery đề án, drafted and complete, funded from the national budget for plan year 2028
    (registration open until 20/5/2027: the browser runs on the real clock)."""
    p = complete_proposal(world, title=TITLE)
    p.funding_kind, p.plan_year = "national", 2028
    p.save(update_fields=["funding_kind", "plan_year"])
    BudgetLine.objects.filter(proposal=p).update(national_amount=300_000_000, local_amount=0)
    return p


def act(page, p, label, fields=None, radio=None, status=None):
    """Open the đề án page, press the action ``label``, fill its form, submit; back on the đề án page, the success
    message and (when given) the new status name are shown."""
    page.goto(f"/de-an/{p.pk}/")
    page.locator(".kc-actions").get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", name=f"{label}: {p.tracking_code}")).to_be_visible()
    if radio:
        page.get_by_label(radio, exact=True).check()
    for name, value in (fields or {}).items():
        page.get_by_label(name).fill(value)
    page.locator("form.kc-form").get_by_role("button", name=label, exact=True).click()
    expect(page.locator(".kc-messages")).to_contain_text(
        f"Đã thực hiện “{label}” cho đề án {p.tracking_code}."
    )
    if status:
        expect(page.locator(".kc-status")).to_have_text(status)


def no_action(page, p, label, trigger, *, http_status=403):
    """The đề án page offers no ``label`` to this user, and the action's URL typed by hand is refused."""
    page.goto(f"/de-an/{p.pk}/")
    expect(page.get_by_role("heading", name=p.title)).to_be_visible()
    expect(page.get_by_role("link", name=label, exact=True)).to_have_count(0)
    response = page.goto(f"/de-an/{p.pk}/thao-tac/{trigger}/")
    assert response.status == http_status
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("form.kc-form")).to_have_count(0)


def status_of(p) -> str:
    return Proposal.objects.get(pk=p.pk).status


def register_in_the_portal(page, p) -> str:
    """The applicant finds the drafted đề án in the portal and registers it with the Sở; returns the receipt's PIN."""
    page.goto("/don-vi/")
    row = page.locator(f"tr[data-code='{p.tracking_code}']")
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text("2028")
    expect(row).to_contain_text("Đơn vị đang hoàn thiện hồ sơ")
    row.get_by_role("link", name="Soạn hồ sơ").click()
    expect(page.get_by_label("Nguồn khuyến công")).to_have_value("national")
    page.get_by_role("button", name="Đăng ký với Sở Công Thương", exact=True).click()
    expect(page.get_by_role("heading", name="Giấy biên nhận hồ sơ đề án khuyến công")).to_be_visible()
    expect(page.locator(".kc-messages")).to_contain_text(f"Đã nộp hồ sơ {p.tracking_code}.")
    expect(page.locator("[data-field='tracking-code']")).to_have_text(p.tracking_code)
    expect(page.locator(".kc-receipt")).to_contain_text("Sở Công Thương đang thẩm định cấp cơ sở")
    pin = page.locator("[data-field='pin']").inner_text().strip()
    assert re.fullmatch(r"\d{6}", pin)
    assert status_of(p) == "registered"
    return pin


def to_the_ministry(page, p):
    """The Sở's appraiser: base-level appraisal, then the dossier to the Bộ Công Thương with the letter."""
    page.goto(f"/de-an/{p.pk}/")
    expect(page.locator(".kc-status")).to_have_text("Đã đăng ký với Sở Công Thương")
    expect(page.locator(".kc-path [aria-current='step']")).to_have_text("Đã đăng ký với Sở Công Thương")
    act(
        page,
        p,
        "Thẩm định cấp cơ sở",
        BASE_APPRAISAL,
        radio="Đạt",
        status="Sở Công Thương đã thẩm định cấp cơ sở",
    )
    act(
        page,
        p,
        "Gửi hồ sơ Bộ Công Thương",
        {"Số công văn gửi Bộ Công Thương": "1234/SCT-QLCN", "Ngày công văn": day(30)},
        status="Đã gửi Bộ Công Thương, chờ thẩm định cấp Bộ",
    )


def ministry_appraisal(page, p):
    act(
        page,
        p,
        "Thẩm định cấp Bộ",
        {
            "Số văn bản thẩm định cấp Bộ": "55/BB-CĐM",
            "Ngày văn bản": day(20),
            "Kinh phí Bộ thẩm định (đồng)": "270.000.000",
        },
        status="Bộ đã thẩm định, chờ Bộ trưởng phê duyệt",
    )


def decision(page, p):
    act(
        page,
        p,
        "Bộ trưởng phê duyệt",
        {
            "Số quyết định của Bộ trưởng": "3100/QĐ-BCT",
            "Ngày quyết định": day(10),
            "Kinh phí phê duyệt (đồng)": "260.000.000",
        },
        status="Đã phê duyệt, đang thực hiện",
    )


def contract(page, p):
    act(
        page,
        p,
        "Ký hợp đồng",
        {"Số hợp đồng": "12/2027/HĐ-KCQG", "Ngày ký hợp đồng": day(5)},
        status="Đã ký hợp đồng, đang thực hiện",
    )
    expect(page.locator(".kc-proposal")).to_contain_text("Phê duyệt: 260.000.000")


def the_approver_never_approves(approver, p):
    """The provincial leader sees the national đề án waiting for the Minister, but no approval of theirs."""
    approver.goto(f"/de-an/{p.pk}/")
    expect(approver.locator(".kc-status")).to_have_text("Bộ đã thẩm định, chờ Bộ trưởng phê duyệt")
    expect(approver.locator(".kc-actions")).to_have_count(0)
    proposal = approver.locator(".kc-proposal")
    expect(proposal.get_by_role("link", name=re.compile("phê duyệt", re.IGNORECASE))).to_have_count(0)
    no_action(approver, p, "Bộ trưởng phê duyệt", "approve")
    expect(approver.get_by_role("alert")).to_contain_text("Vai trò của bạn không được thực hiện thao tác")
    approver.goto("/cong-viec/hang-cho/")
    expect(approver.locator("body")).not_to_contain_text(p.tracking_code)


def accept(page, p):
    act(
        page,
        p,
        "Nghiệm thu cơ sở",
        {"Ngày nghiệm thu": day(0), "Kết quả so với mục tiêu": "Máy vận hành đạt công suất 500 kg/giờ"},
        status="Đã nghiệm thu, chờ quyết toán",
    )


def file_settlement_in_the_portal(page, p):
    """The unit declares what it spent per source with its vouchers, in the portal."""
    page.goto(f"/don-vi/{p.pk}/")
    expect(page.locator(".kc-status")).to_contain_text("Đã nghiệm thu — đơn vị lập hồ sơ quyết toán")
    page.locator("#implementation").get_by_role("link", name="Nộp hồ sơ quyết toán").click()
    expect(page.get_by_role("heading", name="Hồ sơ quyết toán", exact=True)).to_be_visible()
    page.get_by_label("Đã chi nguồn khuyến công quốc gia (đồng)").fill("255.000.000")
    page.get_by_label("Đã chi nguồn khuyến công địa phương (đồng)").fill("0")
    page.get_by_label("Đã chi vốn đối ứng và nguồn khác (đồng)").fill("320.000.000")
    vouchers = (
        ("PC-01/2027", "Thanh toán máy tách vỏ lụa (ngân sách quốc gia)", "national", "255000000"),
        ("PC-02/2027", "Thanh toán phần vốn đối ứng", "counterpart", "320000000"),
    )
    for i, (number, description, source, amount) in enumerate(vouchers):
        page.locator(f"#id_v-{i}-number").fill(number)
        page.locator(f"#id_v-{i}-issued_on").fill(day(1))
        page.locator(f"#id_v-{i}-description").fill(description)
        page.locator(f"#id_v-{i}-source").select_option(source)
        page.locator(f"#id_v-{i}-amount").fill(amount)
    page.locator("form.kc-form").get_by_role("button", name="Nộp hồ sơ quyết toán").click()
    expect(page.locator(".kc-messages")).to_contain_text("Đã nộp hồ sơ quyết toán")
    expect(page.locator(".kc-status")).to_contain_text("đang quyết toán")
    expect(page.locator("#implementation")).to_contain_text("2 chứng từ")
    assert status_of(p) == "settlement_filed"


def liquidate_and_settle(page, p):
    """Liquidation of the contract and settlement of what the vouchers show (the Sở recording, or the Cục)."""
    act(
        page,
        p,
        "Thanh lý hợp đồng và quyết toán",
        {
            "Quyết toán nguồn quốc gia (đồng)": "255.000.000",
            "Quyết toán nguồn địa phương (đồng)": "0",
            "Vốn đối ứng đã chi (đồng)": "320.000.000",
            "Số biên bản thanh lý hợp đồng": "12/2027/TLHĐ",
            "Ngày thanh lý hợp đồng": day(0),
        },
        status="Đã quyết toán",
    )


def settled(page, p, pin):
    """The đề án page lists every step by its name; the public lookup says the settlement is done."""
    page.goto(f"/de-an/{p.pk}/")
    expect(page.locator(".kc-status")).to_have_text("Đã quyết toán")
    expect(page.locator(".kc-actions")).to_have_count(0)
    timeline = page.locator(".kc-timeline")
    steps = [
        t
        for t in timeline.locator("li").evaluate_all("els => els.map(e => e.dataset.trigger)")
        if t in dict(HISTORY)
    ]
    assert steps == [t for t, _label in HISTORY]
    for trigger, label in HISTORY:
        expect(timeline.locator(f"li[data-trigger='{trigger}']").last).to_contain_text(label)
    expect(timeline).to_contain_text(
        "Bộ đã thẩm định, chờ Bộ trưởng phê duyệt → Đã phê duyệt, đang thực hiện"
    )
    assert Settlement.objects.get(proposal=p).national_amount == 255_000_000

    page.goto(f"/tra-cuu/?ma={p.tracking_code}")
    page.get_by_label("Mã PIN (6 chữ số)").fill(pin)
    page.get_by_role("button", name="Tra cứu").click()
    result = page.locator("#result")
    expect(result).to_contain_text("Đã hoàn thành quyết toán")
    for public_step in (
        "Đăng ký đề án khuyến công quốc gia",
        "Sở Công Thương gửi hồ sơ Bộ Công Thương",
        "Bộ trưởng Bộ Công Thương phê duyệt",
        "Ký hợp đồng thực hiện",
        "Thanh lý hợp đồng và quyết toán",
    ):
        expect(result).to_contain_text(public_step)
    expect(result).not_to_contain_text("₫")


def test_recorded_by_the_so_from_registration_to_settlement(national, login_as):
    p = national
    applicant = login_as("applicant")
    pin = register_in_the_portal(applicant, p)

    appraiser = login_as("appraiser")
    to_the_ministry(appraiser, p)
    # Recorded mode: the Sở's appraiser records what the Cục and the Minister decided.
    ministry_appraisal(appraiser, p)
    the_approver_never_approves(login_as("approver"), p)
    decision(appraiser, p)
    contract(appraiser, p)
    assert list(NationalRecord.objects.filter(proposal=p).values_list("kind", "recorded")) == [
        ("letter", True),
        ("ministry_appraisal", True),
        ("contract", True),
    ]

    applicant.goto("/don-vi/")
    row = applicant.locator(f"tr[data-code='{p.tracking_code}']")
    expect(row).to_contain_text("Đã ký hợp đồng — đang thực hiện")
    expect(row.get_by_role("link", name="Báo cáo, tạm ứng")).to_be_visible()

    accept(appraiser, p)
    file_settlement_in_the_portal(applicant, p)
    liquidate_and_settle(appraiser, p)
    settled(appraiser, p, pin)


def test_in_the_system_the_cuc_decides_in_its_own_queue(national, login_as, settings):
    settings.KHUYENCONG = {**settings.KHUYENCONG, "NATIONAL_MODE": "in_system"}
    cuc = User.objects.create_user(
        username="cuc", password=PASSWORD, email="cuc@moit.gov.vn", first_name="Cục"
    )
    cuc.groups.add(Group.objects.get_or_create(name="ministry_officer")[0])
    p = national

    applicant = login_as("applicant")
    pin = register_in_the_portal(applicant, p)
    appraiser = login_as("appraiser")
    to_the_ministry(appraiser, p)
    # The Sở no longer records the Cục's decisions: they are the Cục's, in its queue.
    no_action(appraiser, p, "Thẩm định cấp Bộ", "appraise_ministry")
    appraiser.goto("/cong-viec/hang-cho/")
    expect(appraiser.locator("body")).not_to_contain_text(p.tracking_code)
    applicant.goto(f"/don-vi/{p.pk}/")
    expect(applicant.locator(".kc-status")).to_have_text("Bộ Công Thương đang thẩm định")

    officer = login_as("cuc")
    officer.goto("/cong-viec/hang-cho/")
    row = officer.locator(f"tr:has-text('{p.tracking_code}')")
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text("Đã gửi Bộ Công Thương, chờ thẩm định cấp Bộ")
    row.get_by_role("button", name="Nhận xử lý").click()
    expect(officer.locator(".kc-messages")).to_contain_text("Đã nhận 1 việc")
    officer.goto("/cong-viec/cua-toi/")
    officer.locator(f"tr:has-text('{p.tracking_code}')").get_by_role("link", name="Xử lý", exact=True).click()
    expect(officer.get_by_role("heading", name=p.title)).to_be_visible()
    ministry_appraisal(officer, p)
    the_approver_never_approves(login_as("approver"), p)
    no_action(appraiser, p, "Bộ trưởng phê duyệt", "approve")
    officer.goto("/cong-viec/hang-cho/")
    expect(officer.locator(f"tr:has-text('{p.tracking_code}')")).to_contain_text("chờ Bộ trưởng phê duyệt")
    decision(officer, p)
    no_action(appraiser, p, "Ký hợp đồng", "contract")
    contract(officer, p)
    assert set(NationalRecord.objects.filter(proposal=p).values_list("recorded", flat=True)) == {False}

    accept(appraiser, p)  # nghiệm thu cơ sở stays with the Sở
    file_settlement_in_the_portal(applicant, p)
    task = Task.objects.get(proposal=p, completed_at__isnull=True)
    assert (task.role, task.unit_id) == ("ministry_officer", None)
    no_action(appraiser, p, "Thanh lý hợp đồng và quyết toán", "settle")
    liquidate_and_settle(officer, p)
    settled(officer, p, pin)
