"""The administrative units of Bình Phước (before 1/7/2025) and of Đồng Nai after the merger: load_units."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from core.models import AdministrativeUnit
from core.units import DEFAULT_UNITS_FILE, load_units

pytestmark = pytest.mark.django_db


def test_the_file_names_its_source_and_date_basis():
    data = json.loads(DEFAULT_UNITS_FILE.read_text(encoding="utf-8"))
    assert "vietnamadminunits 1.0.4" in data["source"] and "MIT" in data["source"]
    assert data["counts"] == {"province": 2, "district": 11, "commune": 206}


def test_load_units_creates_bình_phước_with_its_districts_and_communes():
    out = StringIO()
    call_command("load_units", stdout=out)
    assert "thêm 219" in out.getvalue()
    province = AdministrativeUnit.objects.get(code="70")
    assert province.name == "Tỉnh Bình Phước" and province.level == "province"
    districts = AdministrativeUnit.objects.filter(parent=province)
    assert districts.count() == 11
    assert set(districts.values_list("level", flat=True)) == {"district"}
    assert AdministrativeUnit.objects.filter(parent__parent=province, level="commune").count() == 111
    commune = AdministrativeUnit.objects.get(code="25417")
    assert (commune.name, commune.parent.name, commune.province) == ("Xã Đức Liễu", "Huyện Bù Đăng", province)


def test_second_run_changes_nothing():
    first = load_units()
    before = list(AdministrativeUnit.objects.order_by("code").values())
    second = load_units()
    assert (first.created, second.created, second.updated, second.unchanged) == (219, 0, 0, 219)
    assert list(AdministrativeUnit.objects.order_by("code").values()) == before
    out = StringIO()
    call_command("load_units", stdout=out)
    assert "không có gì thay đổi" in out.getvalue()


def test_a_changed_row_is_put_back():
    load_units()
    AdministrativeUnit.objects.filter(code="696").update(name="Huyện X", valid_to=None)
    result = load_units()
    assert (result.created, result.updated) == (0, 1)
    assert AdministrativeUnit.objects.get(code="696").name == "Huyện Bù Đăng"


def test_districts_end_on_30_june_2025_and_communes_have_successors():
    load_units()
    bu_dang = AdministrativeUnit.objects.get(code="696")
    assert bu_dang.valid_to == dt.date(2025, 6, 30)
    assert bu_dang.is_valid_on(dt.date(2025, 6, 30))
    assert not bu_dang.is_valid_on(dt.date(2025, 7, 1))
    dong_nai = AdministrativeUnit.objects.get(code="2025-75")
    assert dong_nai.name == "Tỉnh Đồng Nai" and dong_nai.valid_from == dt.date(2025, 7, 1)
    assert not dong_nai.is_valid_on(dt.date(2025, 6, 30)) and dong_nai.is_valid_on(dt.date(2026, 1, 1))
    assert AdministrativeUnit.objects.get(code="70").successor == dong_nai
    # Every old commune points at the commune of Đồng Nai it became part of.
    old_communes = AdministrativeUnit.objects.filter(level="commune", parent__parent__code="70")
    assert not old_communes.filter(successor__isnull=True).exists()
    assert set(old_communes.values_list("successor__parent__code", flat=True)) == {"2025-75"}
    phuoc_long = AdministrativeUnit.objects.get(code="25217")  # Phường Long Thủy before the reform
    assert (phuoc_long.name, phuoc_long.successor.name) == ("Phường Long Thủy", "Phường Phước Long")
