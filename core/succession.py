"""Units through time: which unit of today succeeds an old one, which old units a unit of today stands for, and
which level endorses a đề án on a given day.

Since 1/7/2025 districts no longer exist and many provinces and communes were merged (domain.md §8). Records
keep the units of their day; work and scope follow the successors:

* ``current(unit_id, on)`` — the unit that holds the territory on ``on``: the unit itself while it exists,
  else its successor, followed until one exists (a district's successor is its province's successor);
* ``lineage(unit_id)`` — the unit and every unit it succeeds, transitively: an officer of today's unit sees
  the records of all of them;
* ``endorsement_level(province_id, on)`` — the level in force: a province's own ``EndorsementLevel`` row,
  else the district before 1/7/2025 and ``KHUYENCONG["ENDORSEMENT_LEVEL"]`` (commune by default) after.

The unit tree is small (a province: a few hundred rows; the country: about 14,000) and read on every task
opened and every scope check, so a per-process copy is kept (core/config_cache.py), dropped when a unit or an
endorsement row is saved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import overload

from django.conf import settings
from django.utils.translation import gettext as _

from .config_cache import cached
from .models import TWO_LEVEL_FROM, AdministrativeUnit, EndorsementLevel
from .units import unit_names


@dataclass(frozen=True)
class UnitFacts:
    level: str
    parent_id: int | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    successor_id: int | None

    def exists_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


def _facts() -> dict[int, UnitFacts]:
    return {
        pk: UnitFacts(level, parent_id, valid_from, valid_to, successor_id)
        for pk, level, parent_id, valid_from, valid_to, successor_id in AdministrativeUnit.objects.values_list(
            "id", "level", "parent_id", "valid_from", "valid_to", "successor_id"
        )
    }


def _predecessors() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for pk, facts in cached("unit_facts", _facts).items():
        if facts.successor_id is not None:
            out.setdefault(facts.successor_id, []).append(pk)
    return out


def facts(unit_id: int) -> UnitFacts | None:
    return cached("unit_facts", _facts).get(unit_id)


def current(unit_id: int | None, on: dt.date) -> int | None:
    """The unit holding ``unit_id``'s territory on ``on`` (None when the chain ends without one)."""
    seen: set[int] = set()
    while unit_id is not None and unit_id not in seen:
        seen.add(unit_id)
        f = facts(unit_id)
        if f is None:
            return None
        if f.exists_on(on):
            return unit_id
        unit_id = f.successor_id
    return None


def lineage(unit_id: int | None) -> frozenset[int]:
    """``unit_id`` and every unit it succeeds, directly or through others."""
    if unit_id is None:
        return frozenset()
    predecessors = cached("unit_predecessors", _predecessors)
    out, todo = {unit_id}, [unit_id]
    while todo:
        for pk in predecessors.get(todo.pop(), ()):
            if pk not in out:
                out.add(pk)
                todo.append(pk)
    return frozenset(out)


def _levels() -> dict[int, list[tuple[dt.date, str]]]:
    out: dict[int, list[tuple[dt.date, str]]] = {}
    for province_id, day, level in EndorsementLevel.objects.order_by("-effective_from").values_list(
        "province_id", "effective_from", "level"
    ):
        out.setdefault(province_id, []).append((day, level))
    return out


def endorsement_level(province_id: int | None, on: dt.date) -> str:
    """ "district" or "commune": the row in force for the province (or the province it became), else the rule
    of the day."""
    rows = cached("endorsement_levels", _levels)
    today = current(province_id, on)
    for pk in (today, province_id):
        for day, level in rows.get(pk, []) if pk is not None else []:
            if day <= on:
                return level
    if on < TWO_LEVEL_FROM:
        return EndorsementLevel.Level.DISTRICT
    return str(settings.KHUYENCONG.get("ENDORSEMENT_LEVEL", "commune"))


@overload
def latest(unit_id: int) -> int: ...
@overload
def latest(unit_id: None) -> None: ...
@overload
def latest(unit_id: int | None) -> int | None: ...
def latest(unit_id: int | None) -> int | None:
    """The unit at the end of ``unit_id``'s chain of successors (itself when it has none): the unit of today's
    map that a record of any date is reported under."""
    seen: set[int] = set()
    while unit_id is not None and unit_id not in seen:
        seen.add(unit_id)
        f = facts(unit_id)
        if f is None or f.successor_id is None:
            return unit_id
        unit_id = f.successor_id
    return unit_id


def reporting_unit(commune_id: int | None, district_id: int | None, province_id: int | None) -> int | None:
    """The unit a đề án is counted under: its district while that district still exists (the map before 1/7/2025,
    or a deployment configured so), else its commune, else its district or province."""
    if district_id is not None and latest(district_id) == district_id:
        return district_id
    return commune_id or district_id or province_id


def place(commune_id: int | None, district_id: int | None, province_id: int | None) -> tuple[int | None, str]:
    """Where a đề án is on today's map, for reports: (today's unit, its name), with the old units' names beside it
    when the record predates the map: "Xã Nghĩa Trung (trước 1/7/2025: Xã Đức Liễu, Huyện Bù Đăng)"."""
    first = reporting_unit(commune_id, district_id, province_id)
    if first is None:
        return None, ""
    today = latest(first)
    old = [pk for pk in (commune_id, district_id) if pk] or [first]  # without both, first is the province
    names = unit_names([today, *old])
    if today == first:
        return today, names.get(today, "")
    return today, _("%(today)s (trước 1/7/2025: %(old)s)") % {
        "today": names.get(today, ""),
        "old": ", ".join(names.get(pk, "") for pk in old),
    }
