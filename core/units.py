"""Load administrative units from a JSON file (core/data/binh_phuoc_units.json): idempotent, in bulk."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from .config_cache import cached, invalidate
from .models import AdministrativeUnit

DEFAULT_UNITS_FILE = Path(__file__).resolve().parent / "data" / "binh_phuoc_units.json"
_LEVELS = ("province", "district", "commune")  # parents before children
_FIELDS = ("name", "level", "parent_id", "valid_from", "valid_to", "successor_id")


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


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def load_units(path: Path = DEFAULT_UNITS_FILE) -> LoadResult:
    """Create or update every unit of the file by its code; a second run changes nothing."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = sorted(data["units"], key=lambda u: _LEVELS.index(u["level"]))
    codes = [u["code"] for u in rows]
    with transaction.atomic():
        existing = {u.code: u for u in AdministrativeUnit.objects.filter(code__in=codes)}
        ids = {code: unit.pk for code, unit in existing.items()}
        created = 0
        # Pass 1: create the missing units level by level, so that each parent has its id.
        for level in _LEVELS:
            new = [
                AdministrativeUnit(
                    code=u["code"],
                    name=u["name"],
                    level=level,
                    parent_id=ids[u["parent"]] if u["parent"] else None,
                    valid_from=_day(u["valid_from"]),
                    valid_to=_day(u["valid_to"]),
                )
                for u in rows
                if u["level"] == level and u["code"] not in ids
            ]
            if new:
                AdministrativeUnit.objects.bulk_create(new, batch_size=500)
                created += len(new)
                ids.update(
                    AdministrativeUnit.objects.filter(code__in=[n.code for n in new]).values_list(
                        "code", "pk"
                    )
                )
        # Pass 2: bring every unit to the file's values (successors point at units created in pass 1).
        units = {unit.code: unit for unit in AdministrativeUnit.objects.filter(code__in=codes)}
        to_update = []
        for u in rows:
            unit = units[u["code"]]
            wanted = {
                "name": u["name"],
                "level": u["level"],
                "parent_id": ids[u["parent"]] if u["parent"] else None,
                "valid_from": _day(u["valid_from"]),
                "valid_to": _day(u["valid_to"]),
                "successor_id": ids[u["successor"]] if u["successor"] else None,
            }
            if any(getattr(unit, f) != v for f, v in wanted.items()):
                for f, v in wanted.items():
                    setattr(unit, f, v)
                to_update.append(unit)
        if to_update:
            AdministrativeUnit.objects.bulk_update(to_update, _FIELDS, batch_size=500)
        # Bulk writes send no model signals: drop the copy of the names here, and again at commit.
        invalidate("unit_names", "unit_children")
        transaction.on_commit(lambda: invalidate("unit_names", "unit_children"))
    # Units created in this run get their successor in pass 2: count them once, as created.
    updated = sum(1 for unit in to_update if unit.code in existing)
    return LoadResult(created, updated, len(rows) - created - updated, str(data.get("source", "")))
