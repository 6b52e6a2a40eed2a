"""Tax codes and Vietnamese mobile numbers."""

import pytest
from django.core.exceptions import ValidationError

from core.validators import normalise_vn_mobile, validate_tax_code, validate_vn_mobile


@pytest.mark.parametrize("code", ["3800123456", "0101243150-001", "079085001234"])
def test_tax_codes_accepted(code):
    validate_tax_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "380012345",
        "38001234567",
        "3800123456-01",
        "3800123456-0011",
        "0791234567890",
        "38001234AB",
        " 3800123456",
        "3800123456 ",
        "3800123456\n",
        "٣٨٠٠١٢٣٤٥٦",  # Arabic-Indic digits: stored as typed, they would slip past the uniqueness of 3800123456
        "３８００１２３４５６",
    ],
)
def test_tax_codes_refused(code):
    with pytest.raises(ValidationError) as exc:
        validate_tax_code(code)
    assert exc.value.code == "invalid_tax_code"
    assert "10 chữ số" in exc.value.messages[0]


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0912345678", "+84912345678"),
        ("091 234 5678", "+84912345678"),
        ("+84912345678", "+84912345678"),
        ("84987654321", "+84987654321"),
        ("0351234567", "+84351234567"),
    ],
)
def test_vn_mobiles_normalised(raw, e164):
    assert normalise_vn_mobile(raw) == e164
    validate_vn_mobile(raw)


def test_landline_refused_with_the_reason():
    with pytest.raises(ValidationError) as exc:
        normalise_vn_mobile("02838123456")
    assert exc.value.code == "not_mobile"
    assert exc.value.messages == ["Cần số di động để nhận tin nhắn SMS."]


def test_foreign_number_refused():
    with pytest.raises(ValidationError) as exc:
        normalise_vn_mobile("+14155552671")
    assert exc.value.code == "invalid_phone"
    assert exc.value.messages == ["Số điện thoại không phải là số Việt Nam hợp lệ."]


@pytest.mark.parametrize("raw", ["abc", "", "091234"])
def test_garbage_refused(raw):
    with pytest.raises(ValidationError) as exc:
        validate_vn_mobile(raw)
    assert exc.value.code == "invalid_phone"
