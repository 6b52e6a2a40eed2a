"""The applicant portal through HTTP: IDOR (another organisation's dossier, attachment, report, receipt → 404),
upload refusals, the editor (save, lodge, missing parts), the receipt, a revision round with the diff, the
implementation forms, registration with email verification and password reset."""

import datetime as dt
import hashlib
import io
import re
import zipfile

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse

from core.models import Organisation, User
from workflow.models import (
    AttachmentRequirement,
    CompletionReport,
    Proposal,
    SettlementDossier,
    SupportCap,
    TransitionEvent,
)
from workflow.services import portal
from workflow.services.errors import GuardFailed
from workflow.services.steps import pin_matches
from workflow.services.transitions import fire

from .world import T0, build_world, complete_proposal, drive

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def lan(client, world):
    client.force_login(world.user("applicant"))
    return client


def _files():
    from django.conf import settings

    root = settings.MEDIA_ROOT / "attachments"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- IDOR -------------------------------------------------------------------------------------------------------


def test_another_organisations_dossier_attachment_report_and_receipt_are_404(client, world):
    p = drive(world, complete_proposal(world), "approve")
    attachment = p.attachments.first()
    client.force_login(world.user("applicant_other"))
    pages = [
        reverse(f"portal:{name}", args=[p.pk])
        for name in ("detail", "edit", "receipt", "progress_report", "advance", "completion", "settlement")
    ]
    pages.append(reverse("proposal_diff", args=[p.pk]))
    pages += [
        reverse("portal:attachment", args=[attachment.pk]),
        reverse("proposals:attachment", args=[attachment.pk]),
    ]
    for url in pages[:-1]:
        assert client.get(url).status_code == 404, url
    # The staff back office is closed to applicants as a whole (viewflow's app gate answers 403).
    assert client.get(pages[-1]).status_code in (403, 404)
    posts = [
        reverse(f"portal:{name}", args=[p.pk])
        for name in ("edit", "progress_report", "advance", "completion", "settlement", "upload", "withdraw")
    ]
    posts.append(reverse("portal:remove_attachment", args=[p.pk, attachment.pk]))
    for url in posts:
        assert (
            client.post(
                url, {"amount": "1000", "summary": "x", "period": "2026-04-01", "percent_complete": "10"}
            ).status_code
            == 404
        ), url
    assert not TransitionEvent.objects.filter(proposal=p, actor__username="applicant_other").exists()
    assert p.advances.count() == 0 and p.progress_reports.count() == 0


def test_staff_user_gets_404_on_the_applicant_pages(client, world):
    p = complete_proposal(world)
    client.force_login(world.user("district"))
    # The portal application is closed to staff as a whole (viewflow's app gate answers 403).
    assert client.get(reverse("portal:detail", args=[p.pk])).status_code in (403, 404)
    assert client.get(reverse("portal:index")).status_code in (403, 404)


def test_colleague_of_the_same_organisation_shares_the_dossier(client, world):
    p = complete_proposal(world)
    colleague = User.objects.create_user("lan2", password="x-password-1", organisation=world.org)
    colleague.groups.add(*world.user("applicant").groups.all())
    client.force_login(colleague)
    assert client.get(reverse("portal:edit", args=[p.pk])).status_code == 200
    assert p.tracking_code in client.get(reverse("portal:index")).content.decode()


# --- uploads ----------------------------------------------------------------------------------------------------


def _upload(client, p, name, content, kind="quote"):
    f = io.BytesIO(content)
    f.name = name
    return client.post(reverse("portal:upload", args=[p.pk]), {"kind": kind, "file": f}, follow=True)


def test_pdf_upload_is_stored_privately_with_hash_and_audit_row(lan, world):
    p = complete_proposal(world)
    before = p.attachments.count()
    page = _upload(lan, p, "Báo giá máy.pdf", PDF).content.decode()
    assert "Đã tải lên “Báo giá máy.pdf”" in page
    a = p.attachments.order_by("-id").first()
    assert p.attachments.count() == before + 1
    assert a.original_name == "Báo giá máy.pdf" and a.mime_type == "application/pdf" and a.size == len(PDF)
    assert a.sha256 == hashlib.sha256(PDF).hexdigest()
    assert re.fullmatch(r"attachments/[0-9a-f]{2}/[0-9a-f]{32}", a.file.name)
    event = TransitionEvent.objects.filter(proposal=p, trigger="upload").get()
    assert event.data["sha256"] == a.sha256 and event.actor.username == "applicant"
    response = lan.get(reverse("portal:attachment", args=[a.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert TransitionEvent.objects.filter(proposal=p, trigger="download").count() == 1


def test_word_and_image_uploads_are_recognised_from_content(lan, world):
    p = complete_proposal(world)
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    _upload(lan, p, "cam-ket.docx", docx.getvalue(), kind="counterpart_commitment")
    _upload(lan, p, "gcn.jpg", b"\xff\xd8\xff\xe0" + b"0" * 50, kind="business_registration")
    mimes = set(p.attachments.values_list("mime_type", flat=True))
    assert "application/vnd.openxmlformats-officedocument.wordprocessingml.document" in mimes
    assert "image/jpeg" in mimes


def test_renamed_executable_is_refused_and_nothing_stored(lan, world):
    p = complete_proposal(world)
    rows, files = p.attachments.count(), _files()
    page = _upload(lan, p, "bao-gia.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200).content.decode()
    assert "Chưa tải lên được" in page and "không phải là loại được nhận" in page
    assert p.attachments.count() == rows and _files() == files
    assert not TransitionEvent.objects.filter(proposal=p, trigger="upload").exists()


def test_oversized_file_is_refused_and_nothing_stored(lan, world, settings):
    settings.KHUYENCONG = {**settings.KHUYENCONG, "UPLOAD_MAX_BYTES": 1024}
    p = complete_proposal(world)
    rows, files = p.attachments.count(), _files()
    page = _upload(lan, p, "lon.pdf", PDF + b"0" * 2000).content.decode()
    assert "vượt giới hạn" in page
    assert p.attachments.count() == rows and _files() == files


def test_path_like_filename_is_refused_and_nothing_stored(lan, world):
    p = complete_proposal(world)
    rows, files = p.attachments.count(), _files()
    with pytest.raises(GuardFailed, match="không hợp lệ"):
        portal.add_attachment(
            p.pk,
            actor=world.user("applicant"),
            now=T0,
            kind="quote",
            filename="../../etc/passwd.pdf",
            content=ContentFile(PDF),
        )
    assert p.attachments.count() == rows and _files() == files
    # Over HTTP the path never reaches the storage: the stored name is generated.
    _upload(lan, p, "../../etc/passwd.pdf", PDF)
    a = p.attachments.order_by("-id").first()
    assert "/" not in a.original_name and ".." not in a.original_name
    assert re.fullmatch(r"attachments/[0-9a-f]{2}/[0-9a-f]{32}", a.file.name)


def test_upload_refused_once_lodged(lan, world):
    p = drive(world, complete_proposal(world), "lodge")
    page = _upload(lan, p, "them.pdf", PDF).content.decode()
    assert "Chỉ sửa được hồ sơ khi đề án đang soạn thảo" in page
    assert p.attachments.count() == 2


# --- the editor -------------------------------------------------------------------------------------------------


def _editor_post(p, **overrides):
    data = {
        "title": p.title,
        "plan_year": "2026",
        "funding_kind": "local",
        "content_type": "machinery",
        "sector": "a",
        "location_detail": "",
        "location": str(p.commune_id or p.district_id or ""),
        "brick_kiln_technology": "none",
        "counterpart_committed": "on",
        "no_other_state_support": "on",
        "partners": "Hộ kinh doanh",
        "need": "Cần thiết",
        "objectives": "Tăng năng suất",
        "scale": "01 máy",
        "content_plan": "Mua, lắp đặt",
        "budget_note": "Theo báo giá",
        "organisation_plan": "Tự tổ chức",
        "effectiveness": "Giảm lao động thủ công",
        "target_learners": "0",
        "target_models": "0",
        "target_machines": "1",
        "target_fairs": "0",
        "target_products": "0",
        "wi-TOTAL_FORMS": "1",
        "wi-INITIAL_FORMS": "0",
        "wi-MIN_NUM_FORMS": "0",
        "wi-MAX_NUM_FORMS": "1000",
        "wi-0-title": "Lắp đặt máy",
        "wi-0-starts_on": "2026-04-01",
        "wi-0-ends_on": "2026-06-30",
        "wi-0-responsible": "Chủ hộ",
        "bl-TOTAL_FORMS": "1",
        "bl-INITIAL_FORMS": "0",
        "bl-MIN_NUM_FORMS": "0",
        "bl-MAX_NUM_FORMS": "1000",
        "bl-0-item": "Máy tách vỏ lụa",
        "bl-0-unit": "máy",
        "bl-0-quantity": "1",
        "bl-0-unit_price": "620.000.000",
        "bl-0-national_amount": "",
        "bl-0-local_amount": "300.000.000",
        "bl-0-counterpart_amount": "320.000.000",
    }
    data.update(overrides)
    return data


def _new_draft(lan, world):
    response = lan.post(
        reverse("portal:start"),
        {
            "title": "Hỗ trợ ứng dụng máy tách vỏ lụa hạt điều",
            "plan_year": "2026",
            "funding_kind": "local",
            "content_type": "machinery",
            "sector": "a",
            "location": str(world.commune.pk),
        },
    )
    assert response.status_code == 302
    return Proposal.objects.get(title="Hỗ trợ ứng dụng máy tách vỏ lụa hạt điều")


def test_start_save_and_lodge_with_receipt_pin_shown_once(lan, world):
    assert SupportCap.objects.filter(
        content_type="machinery", percent_cap=50, max_amount=300_000_000
    ).exists()
    p = _new_draft(lan, world)
    assert (p.commune_id, p.district_id, p.province_id) == (
        world.commune.pk,
        world.district.pk,
        world.province.pk,
    )
    page = lan.get(reverse("portal:edit", args=[p.pk])).content.decode()
    assert (
        'href="#section-need"' in page and 'id="section-need"' in page
    )  # missing parts link to their sections
    response = lan.post(reverse("portal:edit", args=[p.pk]), _editor_post(p, save="1"))
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.need == "Cần thiết" and p.status == "drafted"
    assert [(b.local_amount, b.counterpart_amount) for b in p.budget_lines.all()] == [
        (300_000_000, 320_000_000)
    ]
    assert [w.title for w in p.work_items.all()] == ["Lắp đặt máy"]
    edit = TransitionEvent.objects.filter(proposal=p, trigger="edit").get()
    assert set(edit.data["fields"]) >= {"need", "work_items", "budget_lines"}
    page = lan.get(reverse("portal:edit", args=[p.pk])).content.decode()
    assert "nằm trong mức cho phép" in page and "không quá 50 % tổng kinh phí đề án" in page

    _upload(lan, p, "bao-gia.pdf", PDF, kind="quote")
    _upload(lan, p, "dang-ky-kinh-doanh.png", b"\x89PNG\r\n\x1a\n" + b"0" * 40, kind="business_registration")
    post = _editor_post(p, lodge="1", **{"wi-INITIAL_FORMS": "1", "bl-INITIAL_FORMS": "1"})
    response = lan.post(reverse("portal:edit", args=[p.pk]), post)
    assert response.status_code == 302 and response["Location"] == reverse("portal:receipt", args=[p.pk])
    p.refresh_from_db()
    assert p.status == "lodged"
    receipt = lan.get(response["Location"]).content.decode()
    pin = re.search(r'data-field="pin">(\d{6})<', receipt).group(1)
    assert pin_matches(p, pin)
    assert p.tracking_code in receipt and "<svg" in receipt and "tra-cuu" in receipt
    task_due = p.tasks.get(completed_at__isnull=True).due_at
    assert (
        f"{task_due:%d/%m}" in receipt
        or task_due.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%d/%m/%Y") in receipt
    )
    again = lan.get(response["Location"]).content.decode()
    assert pin not in again and "không lưu và không hiển thị lại" in again


def test_lodge_with_missing_parts_lists_them_with_links_and_keeps_the_draft(lan, world):
    AttachmentRequirement.objects.get_or_create(content_type="machinery", kind="quote")
    p = _new_draft(lan, world)
    post = _editor_post(p, lodge="1", need="", **{"bl-TOTAL_FORMS": "0", "bl-0-item": ""})
    response = lan.post(reverse("portal:edit", args=[p.pk]), post)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Chưa nộp được hồ sơ" in page
    assert '<a href="#section-need">' in page and '<a href="#budget">' in page
    assert '<a href="#attachment-quote">' in page
    p.refresh_from_db()
    assert p.status == "drafted" and p.objectives == "Tăng năng suất"  # what was typed is saved


def test_bad_input_is_refused_with_reasons_and_nothing_lost(lan, world):
    p = _new_draft(lan, world)
    post = _editor_post(p, save="1", **{"wi-0-ends_on": "2026-01-01", "bl-0-local_amount": "ba trăm"})
    response = lan.post(reverse("portal:edit", args=[p.pk]), post)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Ngày kết thúc phải sau ngày bắt đầu." in page and "ba trăm" in page and "Tăng năng suất" in page
    p.refresh_from_db()
    assert p.objectives == "" and not TransitionEvent.objects.filter(proposal=p, trigger="edit").exists()


# --- revision round ---------------------------------------------------------------------------------------------


def test_revision_round_reason_shown_resubmission_goes_back_and_reviewer_sees_diff(client, world):
    p = drive(world, complete_proposal(world), "district_submit")
    fire(
        p.pk,
        "return_for_revision",
        actor=world.user("appraiser"),
        now=T0 + dt.timedelta(days=4),
        comment="Bổ sung báo giá thứ hai và giảm kinh phí hỗ trợ",
    )
    client.force_login(world.user("applicant"))
    detail = client.get(reverse("portal:detail", args=[p.pk])).content.decode()
    assert "Bổ sung báo giá thứ hai và giảm kinh phí hỗ trợ" in detail
    assert "Đề nghị Sở xem xét hỗ trợ" not in detail  # the district's endorsement note is internal
    edit = client.get(reverse("portal:edit", args=[p.pk])).content.decode()
    assert "Lý do trả lại hồ sơ" in edit and "Bổ sung báo giá thứ hai" in edit
    same = {
        f: getattr(p, f)
        for f in (
            "partners",
            "objectives",
            "scale",
            "content_plan",
            "budget_note",
            "organisation_plan",
            "effectiveness",
        )
    }
    post = _editor_post(
        p,
        lodge="1",
        **same,
        need="Nhu cầu đã làm rõ",
        **{
            "wi-INITIAL_FORMS": "1",
            "bl-INITIAL_FORMS": "1",
            "bl-0-local_amount": "280.000.000",
            "bl-0-counterpart_amount": "340.000.000",
        },
    )
    response = client.post(reverse("portal:edit", args=[p.pk]), post)
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == "district_submitted" and p.revision_round == 1
    receipt = client.get(reverse("portal:receipt", args=[p.pk])).content.decode()
    assert "không hiển thị lại" in receipt  # no new PIN at a resubmission

    client.force_login(world.user("appraiser"))
    staff_page = client.get(reverse("proposals:detail", args=[p.pk])).content.decode()
    assert reverse("proposal_diff", args=[p.pk]) in staff_page
    diff = client.get(reverse("proposal_diff", args=[p.pk])).content.decode()
    assert "Nhu cầu đã làm rõ" in diff and 'data-field="need"' in diff
    assert 'data-change="changed"' in diff and "280.000.000" in diff
    [d] = portal.round_diffs(p)
    assert [c.field for c in d.sections] == ["need"]
    assert (
        d.budget[0].before["local_amount"] == 300_000_000 and d.budget[0].after["local_amount"] == 280_000_000
    )
    client.force_login(world.user("district_other"))
    assert client.get(reverse("proposal_diff", args=[p.pk])).status_code == 404


def test_status_page_shows_public_names_holder_due_date_and_lateness(lan, world):
    p = drive(world, complete_proposal(world), "district_submit")
    page = lan.get(reverse("portal:detail", args=[p.pk])).content.decode()
    assert "Sở Công Thương đang thẩm định" in page
    assert "Sở Công Thương tỉnh Bình Phước" in page
    assert "đã quá hạn" in page  # T0 is in March 2026, long past
    assert "Cấp huyện/xã trình Sở" in page and "Nộp hồ sơ" in page


# --- while approved ---------------------------------------------------------------------------------------------


def test_progress_report_advance_limit_and_completion_report(lan, world):
    p = drive(world, complete_proposal(world), "approve")
    r = lan.post(
        reverse("portal:progress_report", args=[p.pk]),
        {"period": "2026-04-10", "percent_complete": "40", "summary": "Đã ký hợp đồng mua máy"},
    )
    assert r.status_code == 302 and p.progress_reports.get().percent_complete == 40
    r = lan.post(reverse("portal:advance", args=[p.pk]), {"amount": "200.000.000"})
    assert r.status_code == 400
    assert "196.000.000" in r.content.decode() and p.advances.count() == 0
    r = lan.post(reverse("portal:advance", args=[p.pk]), {"amount": "196.000.000"})
    assert r.status_code == 302 and p.advances.get().amount == 196_000_000
    r = lan.post(
        reverse("portal:completion", args=[p.pk]),
        {"finished_on": "2026-06-25", "percent_complete": "100", "results": "Máy vận hành đạt công suất"},
    )
    assert r.status_code == 302
    report = CompletionReport.objects.get(proposal=p)
    assert report.results == "Máy vận hành đạt công suất"
    event = TransitionEvent.objects.get(proposal=p, trigger="completion_report")
    assert event.data["report"] == report.pk
    from notifications.models import Outbox

    recipients = set(
        Outbox.objects.filter(template="completion.submitted").values_list("recipient__username", flat=True)
    )
    assert recipients == {"appraiser", "appraiser2"}


def test_settlement_dossier_checks_vouchers_and_is_due_15_days_after_acceptance(lan, world):
    p = drive(world, complete_proposal(world), "accept")
    page = lan.get(reverse("portal:settlement", args=[p.pk])).content.decode()
    assert "15/07/2026" in page  # accepted 30/06/2026
    base = {
        "national_spent": "",
        "local_spent": "275.000.000",
        "counterpart_spent": "340.000.000",
        "v-TOTAL_FORMS": "2",
        "v-INITIAL_FORMS": "0",
        "v-MIN_NUM_FORMS": "0",
        "v-MAX_NUM_FORMS": "1000",
        "v-0-number": "HĐ01",
        "v-0-issued_on": "2026-05-02",
        "v-0-description": "Mua máy",
        "v-0-source": "local",
        "v-0-amount": "275.000.000",
        "v-1-number": "PC02",
        "v-1-issued_on": "2026-05-02",
        "v-1-description": "Đối ứng mua máy",
        "v-1-source": "counterpart",
        "v-1-amount": "300.000.000",
    }
    r = lan.post(reverse("portal:settlement", args=[p.pk]), base)
    assert r.status_code == 400 and "tổng chứng từ là 300.000.000" in r.content.decode()
    assert not SettlementDossier.objects.exists()
    r = lan.post(reverse("portal:settlement", args=[p.pk]), {**base, "v-1-amount": "340.000.000"})
    assert r.status_code == 302
    d = SettlementDossier.objects.get(proposal=p)
    assert (d.local_spent, d.counterpart_spent, d.vouchers.count(), d.due_on) == (
        275_000_000,
        340_000_000,
        2,
        dt.date(2026, 7, 15),
    )
    assert TransitionEvent.objects.filter(proposal=p, trigger="settlement_dossier").count() == 1


# --- registration, verification, password reset ------------------------------------------------------------------

SIGNUP = {
    "name": "Hộ kinh doanh Lê Văn Điều",
    "kind": "household",
    "tax_code": "3800999888",
    "address": "Thôn 3",
    "representative": "Lê Văn Điều",
    "phone": "0912 888 777",
    "email": "dieu@example.vn",
    "full_name": "Lê Văn Điều",
    "username": "ledieu",
    "password1": "hat-dieu-binh-phuoc",
    "password2": "hat-dieu-binh-phuoc",
}


def test_signup_verification_login_and_replay(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), {**SIGNUP, "address_unit": world.commune.pk})
    assert response.status_code == 200 and "dieu@example.vn" in response.content.decode()
    user = User.objects.get(username="ledieu")
    assert not user.is_active and user.has_role is not None
    assert list(user.groups.values_list("name", flat=True)) == ["applicant"]
    org = Organisation.objects.get(tax_code="3800999888")
    assert user.organisation == org and org.phone == "+84912888777" and org.address_unit == world.commune
    assert client.login(username="ledieu", password=SIGNUP["password1"]) is False
    [message] = mail.outbox
    assert message.to == ["dieu@example.vn"] and "xác nhận" in message.subject
    link = re.search(r"http://testserver(/dang-ky/xac-nhan/\S+/)", message.body).group(1)
    assert client.get(link).status_code == 200
    assert User.objects.get(username="ledieu").is_active
    assert client.get(link).status_code == 400  # a used link does not work twice
    assert client.login(username="ledieu", password=SIGNUP["password1"])
    assert client.get(reverse("portal:index")).status_code == 200


def test_signup_refuses_bad_input_with_reasons(client, world):
    data = {
        **SIGNUP,
        "address_unit": world.commune.pk,
        "tax_code": world.org.tax_code,
        "phone": "0281234567",
        "password2": "khac",
    }
    page = client.post(reverse("signup"), data).content.decode()
    assert "Mã số thuế này đã được đăng ký" in page
    assert "Cần số di động" in page or "không phải là số Việt Nam" in page
    assert "Hai lần nhập mật khẩu không giống nhau." in page
    assert not User.objects.filter(username="ledieu").exists() and not mail.outbox


def test_member_invitation_and_password_reset_in_vietnamese(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.user("applicant"))
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            reverse("members"),
            {"full_name": "Nguyễn Văn Hùng", "username": "hung", "email": "hung@example.vn"},
        )
    assert r.status_code == 302
    hung = User.objects.get(username="hung")
    assert hung.organisation == world.org and hung.has_role("applicant") and not hung.has_usable_password()
    [invite] = mail.outbox
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", invite.body).group(1)
    client.logout()
    r = client.get(link, follow=True)
    assert "Đặt mật khẩu mới" in r.content.decode()
    url = r.redirect_chain[-1][0]
    r = client.post(
        url, {"new_password1": "mat-khau-moi-123", "new_password2": "mat-khau-moi-123"}, follow=True
    )
    assert "Đã đặt mật khẩu" in r.content.decode()
    assert client.login(username="hung", password="mat-khau-moi-123")
    client.logout()
    mail.outbox.clear()
    r = client.post(reverse("password_reset"), {"email": "hung@example.vn"}, follow=True)
    assert "Đã gửi thư" in r.content.decode()
    [reset] = mail.outbox
    assert reset.subject == "Khuyến công: đặt lại mật khẩu" and "Kính gửi" in reset.body
