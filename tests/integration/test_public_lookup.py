"""The public lookup at /tra-cuu/ and /tra-cuu/json/: the right PIN shows the public status and timeline and
nothing private; wrong PINs are counted per IP address and per tracking code and then refused."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from workflow.services.transitions import fire

from .world import T0, build_world, complete_proposal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lodged():
    w = build_world()
    p = complete_proposal(w)
    event = fire(p.pk, "lodge", actor=w.user("applicant"), now=T0)
    fire(p.pk, "district_submit", actor=w.user("district"), now=T0, comment="Ghi chú nội bộ của huyện")
    p.refresh_from_db()
    return w, p, event.receipt_pin


def test_right_pin_shows_public_status_timeline_and_nothing_private(client, lodged):
    w, p, pin = lodged
    r = client.post(reverse("public_lookup"), {"code": p.tracking_code.lower(), "pin": pin})
    page = r.content.decode()
    assert r.status_code == 200
    assert "Sở Công Thương đang thẩm định" in page and "Sở Công Thương tỉnh Bình Phước" in page
    assert "Nộp hồ sơ" in page and "Cấp huyện/xã trình Sở" in page and "02/03/2026" in page
    for private in ("Ghi chú nội bộ", "300.000.000", "Nguyễn Thị Lan", p.title, "₫"):
        assert private not in page
    data = client.get(reverse("public_lookup_json"), {"ma": p.tracking_code, "pin": pin}).json()
    assert data["status"] == "district_submitted" and data["status_label"] == "Sở Công Thương đang thẩm định"
    assert [e["action"] for e in data["timeline"]] == ["Nộp hồ sơ", "Cấp huyện/xã trình Sở"]
    assert data["late"] is True and data["holder"] == "Sở Công Thương tỉnh Bình Phước"
    assert set(data) == {
        "tracking_code",
        "status",
        "status_label",
        "holder",
        "due_at",
        "due_on",
        "late",
        "timeline",
    }


def test_qr_link_prefills_the_code(client, lodged):
    _w, p, _pin = lodged
    page = client.get(reverse("public_lookup"), {"ma": p.tracking_code}).content.decode()
    assert f'value="{p.tracking_code}"' in page


def test_wrong_pin_is_refused_and_ten_wrong_pins_lock_the_code(client, lodged):
    _w, p, pin = lodged
    wrong = "000000" if pin != "000000" else "111111"
    r = client.post(reverse("public_lookup"), {"code": p.tracking_code, "pin": wrong})
    assert r.status_code == 404 and "Mã hồ sơ hoặc mã PIN không đúng" in r.content.decode()
    for i in range(9):  # from different addresses: the per-code counter still adds up
        client.post(
            reverse("public_lookup"), {"code": p.tracking_code, "pin": wrong}, REMOTE_ADDR=f"10.0.0.{i}"
        )
    r = client.post(reverse("public_lookup"), {"code": p.tracking_code, "pin": pin}, REMOTE_ADDR="10.9.9.9")
    assert r.status_code == 429 and "thử lại sau 15 phút" in r.content.decode()
    r = client.get(reverse("public_lookup_json"), {"ma": p.tracking_code, "pin": pin}, REMOTE_ADDR="10.9.9.9")
    assert r.status_code == 429 and r.json()["error"] == "too_many_attempts"


def test_ten_wrong_pins_from_one_address_lock_that_address(client, lodged):
    _w, p, pin = lodged
    for i in range(10):
        client.get(reverse("public_lookup_json"), {"ma": f"KC2026-{900000 + i}", "pin": "123456"})
    r = client.get(reverse("public_lookup_json"), {"ma": p.tracking_code, "pin": pin})
    assert r.status_code == 429
    r = client.get(reverse("public_lookup_json"), {"ma": p.tracking_code, "pin": pin}, REMOTE_ADDR="10.1.1.1")
    assert r.status_code == 200


def test_a_draft_is_never_found(client):
    w = build_world()
    p = complete_proposal(w)
    r = client.get(reverse("public_lookup_json"), {"ma": p.tracking_code, "pin": "123456"})
    assert r.status_code == 404 and r.json()["error"] == "lookup_failed"


def test_lookup_with_the_cache_down_answers_503_with_a_message_not_a_500(client, settings):
    # A Redis that is not there: the wrong-PIN counters cannot be read, so the lookup refuses politely.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/tra-cuu/json/?ma=KC2026-000001&pin=123456")
    assert response.status_code == 503
    assert "tạm thời gián đoạn" in response.json()["message"]
    response = client.post("/tra-cuu/", {"code": "KC2026-000001", "pin": "123456"})
    assert response.status_code == 503
    assert "tạm thời gián đoạn" in response.content.decode()
