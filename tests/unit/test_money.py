"""Money shown Vietnamese style: 1.234.567 ₫ (integer đồng); percentage caps taken of integer đồng."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from core.money import format_vnd
from workflow.models.dossier import PercentField
from workflow.validation import percent_of, percent_text

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "0"),
        (5, "5"),
        (1_000, "1.000"),
        (1_234_567, "1.234.567"),
        (620_000_000, "620.000.000"),
        (-1_234, "-1.234"),
        (20_560_000_000, "20.560.000.000"),
    ],
)
def test_format_vnd(amount, text):
    assert format_vnd(amount) == f"{text}{NBSP}₫"


def test_none_is_a_dash():
    assert format_vnd(None) == "—"


def test_the_vnd_filter():
    t = Template("{% load money %}{{ a|vnd }}|{{ b|vnd }}|{{ c|vnd }}|{{ d|vnd }}")
    out = t.render(Context({"a": 1_234_567, "b": None, "c": -1_234, "d": "310000000"}))
    assert out == f"1.234.567{NBSP}₫|—|-1.234{NBSP}₫|310.000.000{NBSP}₫"


# --- percentage caps on integer đồng (workflow/validation.py, SupportCap.percent_cap) ---------------------------


@pytest.mark.parametrize(
    ("amount", "pct", "limit"),
    [
        (300_000_000, 50, 150_000_000),
        (620_000_000, 50, 310_000_000),
        (333, 50, 166),  # rounded down: the cap is never exceeded by a rounding
        (100_000_000, 80, 80_000_000),
        (500_000_000, Decimal("1.5"), 7_500_000),
        (620_000_000, Decimal("2.5"), 15_500_000),
        (999, Decimal("1.5"), 14),
        (0, Decimal("2.5"), 0),
        (20_560_000_000, 100, 20_560_000_000),
    ],
)
def test_percent_of_is_whole_dong_rounded_down(amount, pct, limit):
    result = percent_of(amount, pct)
    assert result == limit
    assert type(result) is int


@pytest.mark.parametrize(
    ("pct", "text"), [(50, "50"), (100, "100"), (Decimal("1.5"), "1,5"), (Decimal("2.25"), "2,25")]
)
def test_percent_text_uses_the_decimal_comma(pct, text):
    assert percent_text(pct) == text


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ("50.00", 50),
        ("100", 100),
        ("1.50", Decimal("1.5")),
        ("2.5", Decimal("2.5")),
        (None, None),
    ],
)
def test_a_whole_percentage_reads_back_as_an_int(stored, read):
    value = PercentField().to_python(stored)
    assert value == read
    assert type(value) is type(read)
