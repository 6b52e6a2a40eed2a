"""The applicant in the browser (journeys.md §1, §9): registration with the emailed confirmation link, a đề án
drafted and lodged with a receipt, a revision round after a return, and the public lookup."""

import datetime as dt
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.integration.world import T0, build_world, complete_proposal, drive
from workflow.models import Proposal
from workflow.services.transitions import fire

pytestmark = pytest.mark.e2e
PASSWORD = "x-password-1"  # tests/integration/world.py
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def world(transactional_db):
    mail.outbox = []
    return build_world()


def login(page, username, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name=re.compile("Xin chào"))).to_be_visible()


def test_applicant_from_registration_to_lodged_receipt(page, world):
    page.goto("/dang-ky/")
    page.get_by_label("Tên tổ chức / hộ kinh doanh").fill("Hộ kinh doanh Lê Văn Điều")
    page.get_by_label("Loại hình").select_option("household")
    page.get_by_label("Mã số thuế").fill("3800999888")
    page.get_by_label("Xã / phường (hoặc huyện) nơi đặt cơ sở").select_option(str(world.commune.pk))
    page.get_by_label("Người đại diện").fill("Lê Văn Điều")
    page.get_by_label("Số di động").fill("0912 888 777")
    page.get_by_label("Thư điện tử").fill("dieu@example.vn")
    page.get_by_label("Họ và tên người dùng").fill("Lê Văn Điều")
    page.get_by_label("Tên đăng nhập").fill("ledieu")
    page.locator("#id_password1").fill("hat-dieu-binh-phuoc")
    page.locator("#id_password2").fill("hat-dieu-binh-phuoc")
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.get_by_role("heading", name="Đã đăng ký — còn một bước")).to_be_visible()

    [message] = mail.outbox
    link = re.search(r"https?://\S+/dang-ky/xac-nhan/\S+/", message.body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Tài khoản đã được kích hoạt")).to_be_visible()
    login(page, "ledieu", "hat-dieu-binh-phuoc")

    page.goto("/don-vi/")
    page.get_by_role("link", name="Lập đề án mới").first.click()
    page.get_by_label("Tên đề án").fill("Hỗ trợ ứng dụng máy tách vỏ lụa hạt điều")
    page.get_by_label("Năm kế hoạch").fill("2026")
    page.get_by_label("Nguồn khuyến công").select_option("local")
    page.get_by_label("Nội dung hoạt động").select_option("machinery")
    page.get_by_label("Ngành nghề").select_option("a")
    page.get_by_label("Địa bàn thực hiện (xã hoặc huyện)").select_option(str(world.commune.pk))
    page.get_by_role("button", name="Tạo đề án").click()
    expect(page.locator(".kc-messages")).to_contain_text("Đã tạo đề án")

    # Lodging too early lists what is missing, with links to each part.
    page.get_by_role("button", name="Nộp hồ sơ").click()
    missing = page.locator("#missing")
    expect(missing).to_contain_text("Chưa nộp được hồ sơ")
    missing.get_by_role("link", name=re.compile("Sự cần thiết")).click()
    expect(page).to_have_url(re.compile("#section-need$"))

    texts = {
        "partners": "Hộ kinh doanh tự thực hiện tại xã Đức Liễu",
        "need": "Chế biến thủ công năng suất thấp",
        "objectives": "Tăng năng suất 30 %",
        "scale": "01 máy tách vỏ lụa 500 kg/giờ",
        "content_plan": "Mua sắm, lắp đặt, vận hành thử",
        "budget_note": "Theo báo giá nhà cung cấp",
        "organisation_plan": "Chủ hộ tổ chức thực hiện",
        "effectiveness": "Giảm 5 lao động thủ công",
    }
    for name, text in texts.items():
        page.locator(f"#id_{name}").fill(text)
    page.locator("#id_wi-0-title").fill("Lắp đặt máy")
    page.locator("#id_wi-0-starts_on").fill("2026-04-01")
    page.locator("#id_wi-0-ends_on").fill("2026-06-30")
    page.locator("#id_bl-0-item").fill("Máy tách vỏ lụa")
    page.locator("#id_bl-0-unit_price").fill("620000000")
    page.locator("#id_bl-0-local_amount").fill("400000000")
    page.locator("#id_bl-0-counterpart_amount").fill("220000000")
    # Totals per source and the cap check follow the typing.
    expect(page.locator("#budget [data-total='local']").first).to_have_text("400.000.000\u00a0₫")
    expect(page.locator("#cap [data-cap-over]")).to_be_visible()
    page.locator("#id_bl-0-local_amount").fill("300000000")
    page.locator("#id_bl-0-counterpart_amount").fill("320000000")
    expect(page.locator("#cap [data-cap-ok]")).to_be_visible()
    expect(page.locator("[data-total='all']")).to_have_text("620.000.000\u00a0₫")
    # The funding conditions the applicant commits to (workflow/eligibility.py).
    page.get_by_label(re.compile("Cam kết bố trí đủ vốn đối ứng")).check()
    page.get_by_label(re.compile("Cam kết không nhận hỗ trợ")).check()
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.locator(".kc-messages")).to_contain_text("Đã lưu hồ sơ.")

    for kind, name, content, mime in (
        ("quote", "bao-gia.pdf", PDF, "application/pdf"),
        ("business_registration", "dang-ky.png", PNG, "image/png"),
    ):
        page.get_by_label("Loại tài liệu").select_option(kind)
        page.get_by_label("Tệp").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": content}])
        page.get_by_role("button", name="Tải lên").click()
        expect(page.locator(".kc-messages")).to_contain_text(f"Đã tải lên “{name}”")
    # A renamed executable is refused with a reason.
    page.get_by_label("Loại tài liệu").select_option("other")
    page.get_by_label("Tệp").set_input_files(
        files=[
            {"name": "bao-gia-2.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\x00" * 100}
        ]
    )
    page.get_by_role("button", name="Tải lên").click()
    expect(page.locator(".kc-messages")).to_contain_text("không phải là loại được nhận")

    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.get_by_role("heading", name="Giấy biên nhận hồ sơ đề án khuyến công")).to_be_visible()
    p = Proposal.objects.get(title="Hỗ trợ ứng dụng máy tách vỏ lụa hạt điều")
    assert p.status == "lodged"
    expect(page.locator("[data-field='tracking-code']")).to_have_text(p.tracking_code)
    pin = page.locator("[data-field='pin']").inner_text()
    assert re.fullmatch(r"\d{6}", pin)
    expect(page.locator(".kc-qr svg")).to_be_visible()
    page.reload()
    expect(page.locator("[data-field='pin']")).to_have_count(0)  # shown once


def test_revision_round_reason_edit_and_resubmit(page, world):
    p = drive(world, complete_proposal(world), "district_submit")
    fire(
        p.pk,
        "return_for_revision",
        actor=world.user("appraiser"),
        now=T0 + dt.timedelta(days=4),
        comment="Làm rõ sự cần thiết của đề án",
    )
    login(page, "applicant")
    page.goto(f"/don-vi/{p.pk}/")
    expect(page.locator("#reason")).to_contain_text("Làm rõ sự cần thiết của đề án")
    expect(page.locator("body")).not_to_contain_text("Đề nghị Sở xem xét hỗ trợ")  # internal note
    page.get_by_role("link", name="Bổ sung hồ sơ").click()
    expect(page.locator("#return-reason")).to_contain_text("Làm rõ sự cần thiết")
    page.locator("#id_need").fill("Nhu cầu đã làm rõ: năng suất thủ công chỉ 50 kg/giờ")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.get_by_role("heading", name="Giấy biên nhận hồ sơ đề án khuyến công")).to_be_visible()
    p.refresh_from_db()
    assert p.status == "district_submitted" and p.revision_round == 1  # back to the Sở that returned it
    page.goto(f"/de-an/{p.pk}/so-sanh/")
    expect(page.locator("[data-field='need'] ins")).to_contain_text("Nhu cầu đã làm rõ")


def test_public_lookup(page, world):
    p = complete_proposal(world)
    pin = fire(p.pk, "lodge", actor=world.user("applicant"), now=T0).receipt_pin
    page.goto(f"/tra-cuu/?ma={p.tracking_code}")
    expect(page.get_by_label("Mã hồ sơ")).to_have_value(p.tracking_code)
    page.get_by_label("Mã PIN (6 chữ số)").fill("000000" if pin != "000000" else "111111")
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.locator("#lookup-error")).to_contain_text("không đúng")
    page.get_by_label("Mã PIN (6 chữ số)").fill(pin)
    page.get_by_role("button", name="Tra cứu").click()
    result = page.locator("#result")
    expect(result).to_contain_text("Cấp huyện/xã đang xem xét")
    expect(result).to_contain_text("UBND huyện Bù Đăng")
    expect(result).to_contain_text("Nộp hồ sơ")
    expect(result).not_to_contain_text("₫")
