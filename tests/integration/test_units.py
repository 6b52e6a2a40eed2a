import datetime as dt

import pytest

from core.management.commands.load_units import load_units
from core.models import AdministrativeUnit

pytestmark = pytest.mark.django_db


def test_loads_the_province_before_and_after_the_2025_reform():
    created, updated = load_units()
    assert (created, updated) == (219, 0)
    province = AdministrativeUnit.objects.get(code="70")
    assert province.name == "Tỉnh Bình Phước"
    assert province.children.count() == 11
    assert province.successor.name == "Tỉnh Đồng Nai"
    bu_dang = AdministrativeUnit.objects.get(code="696")
    assert (bu_dang.name, bu_dang.level, bu_dang.valid_to) == ("Huyện Bù Đăng", "district", dt.date(2025, 6, 30))
    assert bu_dang.is_valid_on(dt.date(2025, 6, 30)) and not bu_dang.is_valid_on(dt.date(2025, 7, 1))
    assert AdministrativeUnit.objects.get(code="2025-75").children.count() == 95
    commune = bu_dang.children.first()
    assert commune.province == province


def test_second_run_changes_nothing():
    load_units()
    assert load_units() == (0, 0)
