"""The administrative units of the whole country, before and after the 2025 reform, built at run time from two
maintained PyPI packages (no hand-made file) and loaded idempotently, in bulk: ``load_units()``.

* **Today's map** (from 1/7/2025: 34 provinces and 3,321 communes, no districts, domain.md §8): the package
  ``vietnam-provinces`` (``data/nested-divisions.json``, the official GSO codes). Codes ``"2025-" + GSO code``
  (``"2025-75"``, ``"2025-25417"``): the new communes reuse codes of old ones. Valid from 2025-07-01.
* **The old map** (until 30/6/2025: 63 provinces, 696 districts, 10,035 communes): the package
  ``vietnamadminunits`` (``data/dataset.db``, table ``admin_units_legacy``). The GSO code is the code (``"70"``,
  ``"696"``, ``"25417"``). Valid to 2025-06-30; their start dates are not in the source (left empty).
* **Successors**, from ``vietnamadminunits``' ``data/converter_2025.json``:

  - an old province → the new province it was merged into (``DICT_PROVINCE``);
  - an old commune → the new commune it became part of (``DICT_PROVINCE_WARD_NO_DIVIDED``); an old commune
    divided between several new ones → the one the package names the default (``DICT_PROVINCE_WARD_DIVIDED``,
    ``isDefaultNewWard``);
  - an old district → the new province of its old province (core/succession.py follows a district's
    successor to today's province). Districts were abolished, not merged into communes, so none has a commune
    successor — including the five island districts without communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn,
    Côn Đảo), which the converter maps to an đặc khu.

  The converter names today's communes with ``vietnamadminunits``' own table ``admin_units``, whose codes
  differ from ``vietnam-provinces``' for about a hundred communes (some codes even name another commune of the
  same province). Each is matched to a commune of ``vietnam-provinces`` by its code when the two names agree
  (spelt alike up to case, spaces, dashes, apostrophes and the place of the tone mark: "Hòa"/"Hoà"), else by
  its name in the same province; ``Country`` counts both.

The packages' data files are read directly (``sqlite3`` read-only, ``json``): importing ``vietnamadminunits``
would load shapely and take most of a second.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import importlib.util
import itertools
import json
import sqlite3
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from .config_cache import cached, invalidate
from .models import AdministrativeUnit

NEW_PREFIX = "2025-"
ABOLISHED_ON = dt.date(2025, 6, 30)
REFORM_FROM = dt.date(2025, 7, 1)
_FIELDS = ("name", "level", "parent_id", "valid_from", "valid_to", "successor_id")
_BATCH = 1000
# The per-process copies built from the unit table (core/units.py, core/succession.py).
_COPIES = ("unit_names", "unit_children", "unit_facts", "unit_predecessors")


class UnknownProvince(ValueError):
    pass


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    parent: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    successor: str | None
    province: str  # the code of today's province the unit is or became part of ("2025-75")


@dataclass(frozen=True)
class Country:
    """Every unit, parents and successors before the units that point at them; and how the two packages met."""

    units: tuple[Unit, ...]
    source: str
    communes_by_code: (
        int  # today's communes of vietnamadminunits found in vietnam-provinces by code (and name)
    )
    communes_by_name: int  # … by name in the same province (the codes differ)
    communes_unmatched: tuple[str, ...]  # "province code/commune code name" not found in vietnam-provinces
    old_communes_undivided: int  # old communes wholly in one new commune
    old_communes_divided: int  # old communes divided: the successor is the package's default new commune
    old_communes_without_successor: tuple[str, ...]  # codes of old communes left without one

    def province_code(self, code: str) -> str:
        """Today's province (``"2025-75"``) for the GSO code of today's province or of an old one: ``"75"``
        (Đồng Nai), ``"70"`` (Bình Phước, merged into Đồng Nai), ``"7"``, ``"2025-75"``. A code of both maps is
        read as today's (an old province whose code lives on is always part of that new province)."""
        raw = str(code).strip().removeprefix(NEW_PREFIX)
        gso = raw.zfill(2) if raw.isdigit() else raw
        today = {u.code for u in self.units if u.level == "province" and u.valid_from == REFORM_FROM}
        if NEW_PREFIX + gso in today:
            return NEW_PREFIX + gso
        for u in self.units:
            if u.code == gso and u.level == "province":
                return u.province
        raise UnknownProvince(
            _("Không có tỉnh, thành phố nào mã %(code)s (trước hoặc sau ngày 1/7/2025).") % {"code": code}
        )

    def of_province(self, code: str) -> tuple[Unit, ...]:
        """Today's province with its communes, and every old province merged into it with its districts and
        communes."""
        province = self.province_code(code)
        return tuple(u for u in self.units if u.province == province)


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int
    source: str

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def unit_names(ids=()) -> dict[int, str]:
    """Every unit's name by id: a per-process copy (core/config_cache.py; a province has a few hundred units),
    read again at once when one of ``ids`` is not in it yet (a unit created by another process)."""
    names = cached("unit_names", _read_names)
    if any(pk is not None and pk not in names for pk in ids):
        invalidate("unit_names")
        names = cached("unit_names", _read_names)
    return names


def _read_names() -> dict[int, str]:
    return dict(AdministrativeUnit.objects.values_list("id", "name"))


def child_units(parent_id: int | None) -> list[tuple[int, str]]:
    """``(id, name)`` of the units directly under ``parent_id``, in code order: the place filter of the task
    pages. From a per-process copy of the tree like the names (dropped on save and by load_units; another
    process shows a new unit within CONFIG_CACHE_SECONDS)."""
    if parent_id is None:
        return []
    return cached("unit_children", _read_children).get(parent_id, [])


def _read_children() -> dict[int, list[tuple[int, str]]]:
    children: dict[int, list[tuple[int, str]]] = {}
    for pk, parent_id, name in (
        AdministrativeUnit.objects.filter(parent__isnull=False)
        .order_by("code", "pk")
        .values_list("id", "parent_id", "name")
    ):
        children.setdefault(parent_id, []).append((pk, name))
    return children


# --- The packages' data ------------------------------------------------------------------------------------


def _package_dir(name: str) -> Path:
    """Where an installed package lives, without importing it (``find_spec`` of a top-level name runs no code;
    ``importlib.resources.files`` would import it)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _tidy(name: str) -> str:
    return " ".join(name.split())


_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _spelling(name: str) -> str:
    return unicodedata.normalize("NFC", " ".join(name.translate(_DASHES).split()).casefold())


def _toneless(name: str) -> str:
    """The name without its tone marks: "Hòa" and "Hoà" (tone mark placed on another vowel) read alike. Only a
    fallback: it also makes "Lộc Thành" and "Lộc Thạnh" alike, so a match on it must be the only one."""
    decomposed = unicodedata.normalize("NFD", _spelling(name))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))


def _alike(a: str, b: str) -> bool:
    return _spelling(a) == _spelling(b) or _toneless(a) == _toneless(b)


@functools.cache
def country_units() -> Country:
    """The whole country's units from the installed packages (read once per process: the files do not change)."""
    vp_dir, vau_dir = _package_dir("vietnam_provinces"), _package_dir("vietnamadminunits")
    today = json.loads((vp_dir / "data" / "nested-divisions.json").read_text(encoding="utf-8"))
    converter = json.loads((vau_dir / "data" / "converter_2025.json").read_text(encoding="utf-8"))
    db = sqlite3.connect(f"file:{vau_dir / 'data' / 'dataset.db'}?mode=ro", uri=True)
    try:
        legacy = db.execute(
            "SELECT provinceCode, province, provinceKey, districtCode, district, districtKey, wardCode, ward, "
            "wardKey FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
        ).fetchall()
        vau_new = db.execute(
            "SELECT provinceCode, provinceKey, wardCode, ward, wardKey FROM admin_units ORDER BY wardCode"
        ).fetchall()
    finally:
        db.close()

    units: list[Unit] = []
    # Today's map: vietnam-provinces.
    vp_communes: dict[str, list[tuple[str, str]]] = defaultdict(list)  # province GSO → [(commune GSO, name)]
    for p in sorted(today, key=lambda p: p["code"]):
        gso = f"{p['code']:02d}"
        name = _tidy(p["name"])
        if p["division_type"] == "tỉnh" and not name.startswith("Tỉnh "):
            name = f"Tỉnh {name}"
        code = NEW_PREFIX + gso
        units.append(Unit(code, name, "province", None, REFORM_FROM, None, None, code))
        for w in sorted(p["wards"], key=lambda w: w["code"]):
            commune = (f"{w['code']:05d}", _tidy(w["name"]))
            vp_communes[gso].append(commune)
            units.append(
                Unit(NEW_PREFIX + commune[0], commune[1], "commune", code, REFORM_FROM, None, None, code)
            )
    new_provinces = {u.code for u in units if u.level == "province"}

    # vietnamadminunits' today's communes → vietnam-provinces' codes: by code when the names agree, else by name.
    found: dict[tuple[str, str], str] = {}  # (provinceKey, wardKey) → "2025-<vietnam-provinces code>"
    taken: set[str] = set()
    vp_by_code = {(p, c): n for p, communes in vp_communes.items() for c, n in communes}
    pending = []
    for r in vau_new:
        p_code, p_key, w_code, w_name, w_key = r
        vp_name = vp_by_code.get((p_code, w_code))
        if vp_name is not None and _alike(vp_name, w_name):
            found[(p_key, w_key)] = NEW_PREFIX + w_code
            taken.add(w_code)
        else:
            pending.append(r)
    by_code, unmatched = len(found), []
    for p_code, p_key, w_code, w_name, w_key in pending:
        free = [(c, n) for c, n in vp_communes.get(p_code, ()) if c not in taken]
        candidates = [c for c, n in free if _spelling(n) == _spelling(w_name)] or [
            c for c, n in free if _toneless(n) == _toneless(w_name)
        ]
        if len(candidates) == 1:
            found[(p_key, w_key)] = NEW_PREFIX + candidates[0]
            taken.add(candidates[0])
        else:
            unmatched.append(f"{p_code}/{w_code} {w_name}")
    new_province_of_key = {r[1]: NEW_PREFIX + r[0] for r in vau_new}

    # The old map: vietnamadminunits' admin_units_legacy, successors from converter_2025.json.
    province_successor = {
        old: new_province_of_key[new] for new, olds in converter["DICT_PROVINCE"].items() for old in olds
    }
    commune_successor: dict[str, tuple[str, str]] = {}
    for new_p, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_w, olds in wards.items():
            for old in olds:
                commune_successor[old] = (new_p, new_w)
    divided: dict[str, tuple[str, str]] = {}
    for new_p, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in olds.items():
            default = next((w["newWardKey"] for w in parts if w["isDefaultNewWard"]), None)
            if default is not None:
                divided[old] = (new_p, default)

    provinces, districts, communes = [], [], []
    seen: set[str] = set()
    undivided_count = divided_count = 0
    orphans = []
    for p_code, p_name, p_key, d_code, d_name, d_key, w_code, w_name, w_key in legacy:
        successor = province_successor[p_key]
        if successor not in new_provinces:
            raise RuntimeError(
                f"vietnamadminunits: {p_name} merged into {successor}, not in vietnam-provinces"
            )
        if p_code not in seen:
            seen.add(p_code)
            provinces.append(
                Unit(p_code, _tidy(p_name), "province", None, None, ABOLISHED_ON, successor, successor)
            )
        if d_code not in seen:
            seen.add(d_code)
            districts.append(
                Unit(d_code, _tidy(d_name), "district", p_code, None, ABOLISHED_ON, successor, successor)
            )
        if w_code is None:  # an island district without communes
            continue
        key = f"{p_key}_{d_key}_{w_key}"
        target: tuple[str, str] | None
        if key in commune_successor:
            target = commune_successor[key]
            undivided_count += 1
        else:
            target = divided.get(key)
            divided_count += target is not None
        new_commune = found.get(target) if target else None
        if new_commune is None:
            orphans.append(w_code)
        communes.append(
            Unit(w_code, _tidy(w_name), "commune", d_code, None, ABOLISHED_ON, new_commune, successor)
        )
    units += provinces + districts + communes
    return Country(
        units=tuple(units),
        source=(
            f"vietnam-provinces {importlib.metadata.version('vietnam-provinces')} "
            f"(data/nested-divisions.json), vietnamadminunits {importlib.metadata.version('vietnamadminunits')} "
            "(data/dataset.db admin_units_legacy, data/converter_2025.json)"
        ),
        communes_by_code=by_code,
        communes_by_name=len(found) - by_code,
        communes_unmatched=tuple(unmatched),
        old_communes_undivided=undivided_count,
        old_communes_divided=divided_count,
        old_communes_without_successor=tuple(orphans),
    )


# --- Loading ------------------------------------------------------------------------------------------------


def load_units(province: str | None = None) -> LoadResult:
    """Create or update the units of the whole country by their codes — or, with ``province`` (the GSO code of
    today's province or of an old one), only that province's (``Country.of_province``). A second run changes
    nothing; units the packages no longer list are left as they are (records may point at them).

    A commune of today whose code changed in the source (the four of Đồng Nai the hand-made file of earlier
    versions coded after vietnamadminunits, e.g. Xã Phú Riềng 2025-25252 → 2025-25264) keeps its row: it is
    found by its province and name and given the new code, so nothing pointing at it moves."""
    country = country_units()
    rows = country.units if province is None else country.of_province(province)
    with transaction.atomic():
        existing = {u.code: u for u in AdministrativeUnit.objects.all()}
        recoded = _recode(rows, existing, {u.code for u in country.units})
        ids = {code: unit.pk for code, unit in existing.items()}
        created, to_update = 0, []
        # One level of one map at a time: the parents and successors a unit points at are created before it.
        for _group, group in itertools.groupby(rows, key=lambda u: (u.level, u.valid_to)):
            new = []
            for u in group:
                wanted = {
                    "name": u.name,
                    "level": u.level,
                    "parent_id": ids[u.parent] if u.parent else None,
                    "valid_from": u.valid_from,
                    "valid_to": u.valid_to,
                    "successor_id": ids[u.successor] if u.successor else None,
                }
                unit = existing.get(u.code)
                if unit is None:
                    new.append(AdministrativeUnit(code=u.code, **wanted))
                elif any(getattr(unit, f) != v for f, v in wanted.items()):
                    for f, v in wanted.items():
                        setattr(unit, f, v)
                    to_update.append(unit)
            if new:
                AdministrativeUnit.objects.bulk_create(new, batch_size=_BATCH)
                created += len(new)
                if all(n.pk is not None for n in new):
                    ids.update((n.code, n.pk) for n in new)
                else:  # a database that does not return the new ids
                    ids.update(
                        AdministrativeUnit.objects.filter(code__in=[n.code for n in new]).values_list(
                            "code", "pk"
                        )
                    )
        if to_update:
            AdministrativeUnit.objects.bulk_update(to_update, _FIELDS, batch_size=_BATCH)
        # Bulk writes send no model signals: drop the per-process copies here, and again at commit.
        invalidate(*_COPIES)
        transaction.on_commit(lambda: invalidate(*_COPIES))
    updated = len(recoded | {u.code for u in to_update})
    return LoadResult(created, updated, len(rows) - created - updated, country.source)


def _recode(rows, existing: dict[str, AdministrativeUnit], known: set[str]) -> set[str]:
    """Give a row of today's commune whose code the source changed its new code (see ``load_units``); the codes
    of the rows changed, ``existing`` updated."""
    missing = [
        u for u in rows if u.code not in existing and u.valid_from == REFORM_FROM and u.level == "commune"
    ]
    if not missing:
        return set()
    code_of: dict[int | None, str] = {unit.pk: code for code, unit in existing.items()}
    stale = defaultdict(list)
    for code, unit in existing.items():
        if code.startswith(NEW_PREFIX) and code not in known and unit.level == "commune":
            stale[(code_of.get(unit.parent_id), _spelling(unit.name))].append(unit)
    changed = []
    for u in missing:
        candidates = stale.get((u.parent, _spelling(u.name)), [])
        if len(candidates) == 1:
            unit = candidates.pop()
            del existing[unit.code]
            unit.code = u.code
            existing[u.code] = unit
            changed.append(unit)
    if changed:
        AdministrativeUnit.objects.bulk_update(changed, ["code"], batch_size=_BATCH)
    return {unit.code for unit in changed}
