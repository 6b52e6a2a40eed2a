"""What kind of place an administrative unit is, read from its name.

The unit table has no type column: both maps it is loaded from (core/units.py) spell the type as the first words
of the official name — "Phường …", "Xã …", "Thị trấn …", "Đặc khu …" for communes; "Quận …", "Huyện …",
"Thị xã …", "Thành phố …" for districts (before 1/7/2025); "Thành phố …" for a centrally-run city (thành phố trực
thuộc trung ương) and "Tỉnh …" for a province.
"""

from __future__ import annotations

import enum
import unicodedata

from .models import AdministrativeUnit


class PlaceKind(enum.StrEnum):
    WARD = "phường"
    COMMUNE = "xã"
    TOWNSHIP = "thị trấn"
    SPECIAL_ZONE = "đặc khu"
    URBAN_DISTRICT = "quận"
    RURAL_DISTRICT = "huyện"
    TOWN = "thị xã"
    CITY = "thành phố"
    PROVINCE = "tỉnh"


# Longest first: "Thị trấn", "Thị xã" before anything shorter they could start with.
_PREFIXES = sorted(PlaceKind, key=lambda kind: -len(kind.value))


def place_kind(unit: AdministrativeUnit | None) -> PlaceKind | None:
    """The kind the unit's name starts with; None for a name that starts with none of them."""
    if unit is None:
        return None
    name = unicodedata.normalize("NFC", " ".join(unit.name.split())).casefold()
    return next((kind for kind in _PREFIXES if name.startswith(kind.value + " ")), None)


def is_centrally_run_city(province: AdministrativeUnit | None) -> bool:
    """Hà Nội, Hồ Chí Minh, Hải Phòng, Đà Nẵng, Cần Thơ, Huế: the provinces named "Thành phố …"."""
    return (
        province is not None
        and province.level == AdministrativeUnit.Level.PROVINCE
        and place_kind(province) is PlaceKind.CITY
    )
