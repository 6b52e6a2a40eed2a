"""Validators for Vietnamese identifiers: tax codes and mobile numbers."""

import datetime as dt
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Enterprise tax code: 10 digits; a branch adds "-" and 3 digits; since 1/7/2025 business households
# use the owner's 12-digit personal identification number as tax code (Thông tư 86/2024/TT-BTC).
# ASCII digits only: \d would also take other scripts' digits (٣٨٠٠١٢٣٤٥٦), stored as typed, which would slip
# past the uniqueness of 3800123456.
_TAX_CODE = re.compile(r"[0-9]{10}(-[0-9]{3})?|[0-9]{12}")


def validate_tax_code(value: str) -> None:
    if not _TAX_CODE.fullmatch(value or ""):
        raise ValidationError(
            _(
                "Mã số thuế phải gồm 10 chữ số (chi nhánh: 10 chữ số, dấu '-' và 3 chữ số) hoặc 12 chữ số định danh."
            ),
            code="invalid_tax_code",
        )


def normalise_vn_mobile(value: str) -> str:
    """Return the number in E.164 form (+849…) or raise ValidationError with a reason."""
    try:
        number = phonenumbers.parse(value, "VN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Số điện thoại không đọc được."), code="invalid_phone") from exc
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Số điện thoại không phải là số Việt Nam hợp lệ."), code="invalid_phone")
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(_("Cần số di động để nhận tin nhắn SMS."), code="not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_vn_mobile(value: str) -> None:
    normalise_vn_mobile(value)


# The largest value PostgreSQL's bigint holds: ids and years from a query string are compared with it.
BIGINT_MAX = 2**63 - 1


def parse_int(value: str | None, *, lo: int = 0, hi: int = BIGINT_MAX) -> int | None:
    """A whole number written in ASCII digits within [lo, hi], or None. ``str.isdigit`` alone is not enough:
    it accepts "²", which ``int`` refuses."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if lo <= number <= hi else None


# The days a filter accepts: a day outside them cannot be turned into a moment in Asia/Ho_Chi_Minh and back
# (9999-12-31 plus one day overflows).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def parse_date(value: str | None) -> dt.date | None:
    """An ISO date (YYYY-MM-DD) between FIRST_DAY and LAST_DAY, or None."""
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None
