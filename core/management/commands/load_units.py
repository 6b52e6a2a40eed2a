"""Load the administrative units of the demo province (core/data/binh_phuoc_units.json). Idempotent."""

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from core.models import AdministrativeUnit

DATA = Path(__file__).resolve().parents[2] / "data" / "binh_phuoc_units.json"


def _date(value):
    return dt.date.fromisoformat(value) if value else None


def load_units(path: Path = DATA) -> tuple[int, int]:
    """Create or update every unit of the file; returns (created, updated)."""
    units = json.loads(path.read_text(encoding="utf-8"))["units"]
    existing = {u.code: u for u in AdministrativeUnit.objects.all()}
    created = updated = 0
    with transaction.atomic():
        for row in units:  # parents come before their children in the file
            values = {
                "name": row["name"], "level": row["level"],
                "parent_id": existing[row["parent"]].pk if row.get("parent") else None,
                "valid_from": _date(row.get("valid_from")), "valid_to": _date(row.get("valid_to")),
            }
            unit = existing.get(row["code"])
            if unit is None:
                unit = AdministrativeUnit.objects.create(code=row["code"], **values)
                existing[unit.code] = unit
                created += 1
            elif any(getattr(unit, k) != v for k, v in values.items()):
                AdministrativeUnit.objects.filter(pk=unit.pk).update(**values)
                updated += 1
        for row in units:
            if row.get("successor"):
                AdministrativeUnit.objects.filter(code=row["code"]).update(successor=existing[row["successor"]])
    return created, updated


class Command(BaseCommand):
    help = "Load the demo province's administrative units (GSO codes; see the file's source note)."

    def handle(self, *args, **options):
        created, updated = load_units()
        self.stdout.write(f"Administrative units: {created} created, {updated} updated.")
