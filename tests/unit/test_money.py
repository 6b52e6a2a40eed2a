"""Money shown Vietnamese style: 1.234.567 ₫ (integer đồng)."""

import pytest
from django.template import Context, Template

from core.money import format_vnd

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
