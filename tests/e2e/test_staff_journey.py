"""Staff journeys in the browser (journeys.md §2–§5): one đề án from lodged to settled through the UI, a return
for revision, a reject, a batch approval, and an officer of another district who gets 404."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.integration.world import build_world, complete_proposal, drive, file_settlement
from workflow.models import Proposal
from workflow.services.transitions import fire

pytestmark = pytest.mark.e2e
PASSWORD = "x-password-1"  # tests/integration/world.py


@pytest.fixture
def world(transactional_db):
    return build_world()


def act(page, proposal, label, fields=None, radio=None):
    """Open the đề án page, press the action ``label``, fill the form, submit, land back on the đề án."""
    page.goto(f"/de-an/{proposal.pk}/")
    page.locator(".kc-actions").get_by_role("link", name=label, exact=True).click()
    if radio:
        page.get_by_label(radio, exact=True).check()
    for name, value in (fields or {}).items():
        page.get_by_label(name).fill(value)
    page.locator("form.kc-form").get_by_role("button", name=label, exact=True).click()
    expect(page.locator(".kc-messages")).to_contain_text(f"Đã thực hiện “{label}”")


def status_of(proposal):
    return Proposal.objects.get(pk=proposal.pk).status


def test_one_proposal_from_lodged_to_settled(world, login_as):
    p = drive(world, complete_proposal(world), "lodge")

    district = login_as("district")
    district.goto("/cong-viec/hang-cho/")
    row = district.locator(f"tr:has-text('{p.tracking_code}')")
    expect(row).to_contain_text("Bước quá hạn")  # lodged in March 2026 (world.T0): long past its 5 days
    expect(row).to_contain_text("Hồ sơ quá hạn")
    row.get_by_role("button", name="Nhận xử lý").click()
    expect(district.locator(".kc-messages")).to_contain_text("Đã nhận 1 việc")
    district.goto("/cong-viec/cua-toi/")
    district.get_by_role("link", name="Xử lý", exact=True).click()
    expect(district.get_by_role("heading", name=p.title)).to_be_visible()
    act(district, p, "Trình Sở Công Thương", {"Ý kiến đề xuất của cấp huyện/xã": "Đề nghị Sở xem xét hỗ trợ"})
    assert status_of(p) == "district_submitted"

    appraiser = login_as("appraiser")
    act(
        appraiser,
        p,
        "Thẩm định",
        {
            "1. Sự phù hợp với nguyên tắc, nội dung, ngành nghề": "Phù hợp",
            "2. Mục tiêu, sự cần thiết, hiệu quả; tính hợp lý của dự toán": "Hợp lý",
            "3. Năng lực của đơn vị thực hiện, phối hợp, thụ hưởng": "Đủ năng lực",
            "4. Khả năng lồng ghép với chương trình khác": "Không trùng lặp",
            "5. Tính đầy đủ, phù hợp của hồ sơ": "Đầy đủ",
            "Kinh phí đề nghị hỗ trợ (đồng)": "280.000.000",
        },
        radio="Đạt",
    )
    assert Proposal.objects.get(pk=p.pk).recommended_amount == 280_000_000

    finance = login_as("finance")
    act(
        finance,
        p,
        "Thẩm tra kinh phí",
        {"Nguồn khuyến công quốc gia (đồng)": "0", "Nguồn khuyến công địa phương (đồng)": "280.000.000"},
    )
    approver = login_as("approver")
    act(approver, p, "Phê duyệt", {"Số quyết định": "101/QĐ-UBND", "Ngày quyết định": "2026-11-02"})
    assert status_of(p) == "approved"
    act(
        appraiser,
        p,
        "Nghiệm thu",
        {"Ngày nghiệm thu": "2026-11-10", "Kết quả so với mục tiêu": "Máy chạy đạt công suất"},
    )
    # The unit files its settlement dossier (its own task, the portal's journey); the Sở Công Thương settles.
    file_settlement(
        p, world.user("applicant"), timezone.now(), national=0, local=275_000_000, counterpart=340_000_000
    )
    assert status_of(p) == "settlement_filed"
    act(
        appraiser,
        p,
        "Quyết toán",
        {"Quyết toán nguồn quốc gia (đồng)": "0", "Quyết toán nguồn địa phương (đồng)": "275.000.000"},
    )
    assert status_of(p) == "settled"
    appraiser.goto(f"/de-an/{p.pk}/")
    expect(appraiser.locator(".kc-status")).to_have_text("Đã quyết toán")
    # created, claimed, the dossier filed, 8 transitions
    expect(appraiser.locator(".kc-timeline li")).to_have_count(11)
    expect(appraiser.locator(".kc-actions")).to_have_count(0)


def test_return_for_revision_round(world, login_as):
    p = drive(world, complete_proposal(world), "lodge")
    district = login_as("district")
    district.goto(f"/de-an/{p.pk}/")
    district.locator(".kc-actions").get_by_role("link", name="Trả lại để bổ sung").click()
    district.locator("form.kc-form").get_by_role("button", name="Trả lại để bổ sung").click()
    expect(district.get_by_role("alert").first).to_be_visible()  # the reason is required
    assert status_of(p) == "lodged"
    district.get_by_label("Lý do (đơn vị đề nghị sẽ đọc được)").fill(
        "Bổ sung báo giá của nhà cung cấp thứ hai"
    )
    district.locator("form.kc-form").get_by_role("button", name="Trả lại để bổ sung").click()
    expect(district.locator(".kc-messages")).to_contain_text("Đã thực hiện")
    assert status_of(p) == "drafted"
    fire(p.pk, "lodge", actor=world.user("applicant"), now=Proposal.objects.get(pk=p.pk).updated_at)
    district.goto("/cong-viec/hang-cho/")
    expect(district.locator(f"tr:has-text('{p.tracking_code}')")).to_be_visible()
    district.goto(f"/de-an/{p.pk}/")
    expect(district.locator(".kc-timeline")).to_contain_text("Bổ sung báo giá của nhà cung cấp thứ hai")


def test_reject_with_a_reason(world, login_as):
    p = drive(world, complete_proposal(world), "district_submit")
    appraiser = login_as("appraiser")
    act(
        appraiser,
        p,
        "Không chấp thuận",
        {"Lý do (đơn vị đề nghị sẽ đọc được)": "Không thuộc ngành nghề được hỗ trợ"},
    )
    assert status_of(p) == "rejected"


def test_batch_approval_of_a_list(world, login_as):
    ready = [
        drive(world, complete_proposal(world, title=f"Đề án kế hoạch {i}"), "verify_finance")
        for i in range(3)
    ]
    approver = login_as("approver")
    approver.goto("/cong-viec/hang-loat/approve/")
    approver.get_by_label("Số quyết định").fill("200/QĐ-UBND")
    approver.get_by_label("Ngày quyết định").fill("2026-11-02")
    for p in ready:
        approver.get_by_role("checkbox", name=p.tracking_code).check()
    approver.get_by_role("button", name=re.compile("các đề án đã chọn")).click()
    expect(approver.locator("#batch-result tbody tr")).to_have_count(3)
    expect(approver.locator("#batch-result tr[data-ok='1']")).to_have_count(3)
    assert [status_of(p) for p in ready] == ["approved"] * 3


def test_officer_of_another_district_gets_404(world, login_as):
    p = drive(world, complete_proposal(world), "lodge")
    other = login_as("district_other")
    response = other.goto(f"/de-an/{p.pk}/")
    assert response.status == 404
    other.goto("/cong-viec/hang-cho/")
    expect(other.locator("body")).not_to_contain_text(p.tracking_code)


def test_queue_and_proposal_page_fit_a_phone(world, browser, live_server):
    p = drive(world, complete_proposal(world), "lodge")
    context = browser.new_context(
        base_url=live_server.url, locale="vi-VN", viewport={"width": 375, "height": 740}
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill("district")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_label("Mật khẩu").press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Xin chào"))).to_be_visible()
    for url in ("/cong-viec/hang-cho/", f"/de-an/{p.pk}/", f"/de-an/{p.pk}/thao-tac/district_submit/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, url
    # Keyboard only: the reason field is reachable and the form submits with Enter on the button.
    page.get_by_label("Ý kiến đề xuất của cấp huyện/xã").focus()
    page.keyboard.type("Đề nghị hỗ trợ")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".kc-messages")).to_contain_text("Đã thực hiện")
    context.close()


def test_a_commune_officer_endorses_a_proposal_lodged_in_a_post_reform_commune(world, login_as):
    """Today's map (domain.md §8): a đề án lodged in Xã Nghĩa Trung of today's Đồng Nai waits in that commune's
    queue; its Phòng Kinh tế officer claims and endorses it in the browser; the task goes to today's Sở."""
    import datetime as dt

    from django.contrib.auth.models import Group

    from core.calendar import VN_TZ
    from core.models import AdministrativeUnit, User
    from workflow.models import Task

    dn = AdministrativeUnit.objects.create(
        code="e2025-75", name="Tỉnh Đồng Nai", level="province", valid_from=dt.date(2025, 7, 1)
    )
    nghia_trung = AdministrativeUnit.objects.create(
        code="e2025-25417", name="Xã Nghĩa Trung", level="commune", parent=dn, valid_from=dt.date(2025, 7, 1)
    )
    officer = User.objects.create_user(
        username="nghia_trung", password=PASSWORD, unit=nghia_trung, first_name="Phòng Kinh tế"
    )
    officer.groups.add(Group.objects.get(name="district_officer"))
    p = complete_proposal(world, title="Lò sấy điều Nghĩa Trung")
    Proposal.objects.filter(pk=p.pk).update(province=dn, district=None, commune=nghia_trung)
    fire(p.pk, "lodge", actor=world.user("applicant"), now=dt.datetime(2026, 12, 1, 9, tzinfo=VN_TZ))
    assert Task.objects.get(proposal=p, completed_at__isnull=True).unit_id == nghia_trung.pk

    page = login_as("nghia_trung")
    page.goto("/cong-viec/hang-cho/")
    row = page.locator(f"tr:has-text('{p.tracking_code}')")
    expect(row).to_contain_text("Xã Nghĩa Trung")
    row.get_by_role("button", name="Nhận xử lý").click()
    expect(page.locator(".kc-messages")).to_contain_text("Đã nhận 1 việc")
    act(page, p, "Trình Sở Công Thương", {"Ý kiến đề xuất của cấp huyện/xã": "Phù hợp quy hoạch của xã"})
    assert status_of(p) == "district_submitted"
    task = Task.objects.get(proposal=p, completed_at__isnull=True)
    assert (task.unit_id, task.role) == (dn.pk, "appraiser")
    # The district officer of the test world's old map sees nothing of it.
    district = login_as("district")
    district.goto("/cong-viec/hang-cho/")
    expect(district.locator(f"tr:has-text('{p.tracking_code}')")).to_have_count(0)
