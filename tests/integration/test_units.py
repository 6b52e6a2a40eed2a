"""The administrative units of the whole country, before and after the 2025 reform (core/units.py): load_units
from the packages vietnam-provinces (today's map) and vietnamadminunits (the old map and the successors)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F

from core.config_cache import invalidate
from core.models import AdministrativeUnit
from core.units import country_units, load_units

pytestmark = pytest.mark.django_db

ABOLISHED_ON, REFORM_FROM = dt.date(2025, 6, 30), dt.date(2025, 7, 1)
COUNTRY = (
    34 + 3321 + 63 + 696 + 10035
)  # today's provinces and communes; the old provinces, districts, communes


@pytest.fixture(scope="module")
def country(django_db_setup, django_db_blocker):
    """The whole country, loaded once for the module by the command (what it printed), in a transaction rolled
    back after the module (each test runs in a savepoint of it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("load_units", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)
    invalidate()


def test_the_whole_country_today_and_before_the_reform(country):
    assert f"thêm {COUNTRY}, cập nhật 0, giữ nguyên 0" in country
    units = AdministrativeUnit.objects
    provinces = units.filter(level="province", valid_from=REFORM_FROM, valid_to__isnull=True)
    assert provinces.count() == 34
    communes = units.filter(level="commune", valid_from=REFORM_FROM, valid_to__isnull=True)
    assert communes.count() == 3321
    assert not communes.exclude(parent__in=provinces).exists()
    assert not units.filter(level="district", valid_to__isnull=True).exists()  # no district after 30/6/2025
    old_provinces = units.filter(level="province", valid_to=ABOLISHED_ON, valid_from__isnull=True)
    assert old_provinces.count() == 63
    assert set(old_provinces.values_list("successor__valid_from", flat=True)) == {REFORM_FROM}
    assert set(old_provinces.values_list("successor__level", flat=True)) == {"province"}
    assert set(old_provinces.values_list("successor", flat=True)) == set(
        provinces.values_list("pk", flat=True)
    )
    districts = units.filter(level="district", valid_to=ABOLISHED_ON)
    assert districts.count() == 696
    assert not districts.exclude(parent__in=old_provinces).exists()
    # A district's successor is the province its own province was merged into.
    assert not districts.exclude(successor=F("parent__successor")).exists()
    assert units.count() == COUNTRY


def test_every_old_commune_has_a_commune_of_today_in_its_provinces_successor(country):
    old = AdministrativeUnit.objects.filter(level="commune", valid_to=ABOLISHED_ON)
    assert old.count() == 10035
    assert not old.exclude(parent__level="district").exists()
    assert not old.filter(successor__isnull=True).exists()
    assert set(old.values_list("successor__level", "successor__valid_from", "successor__valid_to")) == {
        ("commune", REFORM_FROM, None)
    }
    assert not old.exclude(successor__parent=F("parent__parent__successor")).exists()


def test_the_two_packages_are_matched_by_code_else_by_name():
    country = country_units()
    assert "vietnam-provinces 2025.10.1" in country.source and "vietnamadminunits 1.0.4" in country.source
    # Every commune of today the converter names is found in vietnam-provinces, each once.
    assert country.communes_by_code + country.communes_by_name == 3321 and not country.communes_unmatched
    assert country.communes_by_name > 4  # among them the four of Đồng Nai coded differently
    assert (country.old_communes_undivided, country.old_communes_divided) == (9564, 471)
    assert not country.old_communes_without_successor


def test_named_units(country):
    get = AdministrativeUnit.objects.get
    duc_lieu = get(code="25417")  # before the reform, in Huyện Bù Đăng, Tỉnh Bình Phước
    assert (duc_lieu.name, duc_lieu.parent.name, duc_lieu.province.name) == (
        "Xã Đức Liễu",
        "Huyện Bù Đăng",
        "Tỉnh Bình Phước",
    )
    assert duc_lieu.valid_to == ABOLISHED_ON and duc_lieu.is_valid_on(ABOLISHED_ON)
    assert not duc_lieu.is_valid_on(REFORM_FROM)
    nghia_trung = duc_lieu.successor  # today's Xã Nghĩa Trung reuses Đức Liễu's code
    assert (nghia_trung.code, nghia_trung.name, nghia_trung.parent.code) == (
        "2025-25417",
        "Xã Nghĩa Trung",
        "2025-75",
    )
    assert get(code="25423").successor == nghia_trung  # old Xã Nghĩa Trung, of the same merger
    dong_nai = get(code="2025-75")
    assert (dong_nai.name, dong_nai.valid_from, dong_nai.valid_to) == ("Tỉnh Đồng Nai", REFORM_FROM, None)
    assert not dong_nai.is_valid_on(ABOLISHED_ON) and dong_nai.is_valid_on(dt.date(2026, 1, 1))
    assert get(code="70").successor == dong_nai and get(code="75").successor == dong_nai
    assert get(code="696").successor == dong_nai  # Huyện Bù Đăng: a district ends in its province's successor
    assert get(code="25217").successor.name == "Phường Phước Long"  # Phường Long Thủy
    # Codes of vietnam-provinces where vietnamadminunits has others: matched by name.
    assert get(code="25252").successor.code == "2025-25264"  # Xã Bù Nho → Xã Phú Riềng
    assert get(code="2025-25264").name == "Xã Phú Riềng"
    assert (
        get(code="01537").successor.code == "2025-01558"
    )  # Cao Bằng: the packages' codes 01537, 01558 cross
    assert (get(code="2025-01558").name, get(code="2025-01537").name) == ("Xã Lý Quốc", "Xã Vinh Quý")
    assert get(code="00181").successor.name == "Phường Văn Miếu - Quốc Tử Giám"
    # An old commune divided between new ones: the package's default new commune.
    assert (get(code="26449").name, get(code="26449").successor.name) == ("Xã Xuân Tâm", "Xã Xuân Hòa")
    assert get(code="2025-01").name == "Thành phố Hà Nội" and get(code="2025-04").name == "Tỉnh Cao Bằng"


def test_second_run_changes_nothing(country):
    before = list(AdministrativeUnit.objects.order_by("code").values())
    second = load_units()
    assert (second.created, second.updated, second.unchanged) == (0, 0, COUNTRY)
    assert list(AdministrativeUnit.objects.order_by("code").values()) == before
    out = StringIO()
    call_command("load_units", stdout=out)
    assert f"đã đủ {COUNTRY} đơn vị, không có gì thay đổi" in out.getvalue()


def test_a_changed_row_is_put_back(country):
    AdministrativeUnit.objects.filter(code="696").update(name="Huyện X", valid_to=None, successor=None)
    result = load_units()
    assert (result.created, result.updated) == (0, 1)
    bu_dang = AdministrativeUnit.objects.get(code="696")
    assert (bu_dang.name, bu_dang.valid_to, bu_dang.successor.code) == (
        "Huyện Bù Đăng",
        ABOLISHED_ON,
        "2025-75",
    )


def test_one_province_loads_today_s_province_and_the_old_ones_merged_into_it():
    with (
        connection.cursor() as cursor
    ):  # whatever an earlier test left (one statement: the rows point at each other)
        cursor.execute(f"DELETE FROM {AdministrativeUnit._meta.db_table}")
    out = StringIO()
    call_command("load_units", "--province", "75", stdout=out)
    units = AdministrativeUnit.objects
    assert set(units.filter(level="province").values_list("code", "name")) == {
        ("2025-75", "Tỉnh Đồng Nai"),  # today's
        ("70", "Tỉnh Bình Phước"),
        ("75", "Tỉnh Đồng Nai"),  # before 1/7/2025
    }
    assert units.filter(parent__code="70").count() == 11  # Bình Phước's districts
    assert units.filter(parent__parent__code="70").count() == 111  # and communes
    assert units.filter(parent__code="2025-75").count() == 95
    assert set(units.filter(level="district").values_list("parent__code", flat=True)) == {"70", "75"}
    assert set(units.filter(level="commune").values_list("successor__parent__code", flat=True)) - {None} == {
        "2025-75"
    }
    total = units.count()
    assert f"thêm {total}, cập nhật 0, giữ nguyên 0" in out.getvalue()
    assert total == 1 + 95 + 2 + 11 + 111 + 11 + 159
    assert units.get(code="25417").successor.name == "Xã Nghĩa Trung"
    # An old province's code finds the same province of today; nothing changes.
    out = StringIO()
    call_command("load_units", "--province", "70", stdout=out)
    assert f"đã đủ {total} đơn vị, không có gì thay đổi" in out.getvalue()


def test_an_unknown_province_is_refused(country):
    with pytest.raises(CommandError, match="Không có tỉnh, thành phố nào mã 99"):
        call_command("load_units", "--province", "99")
    assert AdministrativeUnit.objects.count() == COUNTRY


def test_a_commune_recoded_by_the_source_keeps_its_row(country):
    # As the hand-made file of earlier versions coded it (after vietnamadminunits).
    AdministrativeUnit.objects.filter(code="2025-25264").update(code="2025-25252")
    phu_rieng = AdministrativeUnit.objects.get(code="2025-25252")
    result = load_units(province="75")
    assert (result.created, result.updated) == (0, 1)
    assert AdministrativeUnit.objects.get(code="2025-25264").pk == phu_rieng.pk
    assert not AdministrativeUnit.objects.filter(code="2025-25252").exists()
