"""Regenerate core/data/binh_phuoc_units.json from the PyPI package ``vietnamadminunits`` (MIT licence).

Not a project dependency: download the wheel by hand and point this script at its unpacked folder::

    .venv/bin/pip download vietnamadminunits==1.0.4 --no-deps -d /tmp/vau
    cd /tmp/vau && unzip -q vietnamadminunits-1.0.4-py3-none-any.whl -d x
    .venv/bin/python tools/extract_binh_phuoc_units.py /tmp/vau/x > core/data/binh_phuoc_units.json

Pre-reform units (Bình Phước, GSO code 70, its 11 districts and 111 communes) keep their GSO codes and end on
30/6/2025. Post-reform units (Đồng Nai after the merger of 1/7/2025, and its communes) are coded
``2025-<GSO code>``, because the new communes reuse codes of old ones (e.g. 25217).
"""

import json
import sqlite3
import sys
from pathlib import Path

OLD_PROVINCE, NEW_PROVINCE = "70", "75"
NEW_PREFIX = "2025-"
ABOLISHED_ON, REFORM_FROM = "2025-06-30", "2025-07-01"


def main(root: Path) -> dict:
    db = sqlite3.connect(root / "vietnamadminunits/data/dataset.db")
    db.row_factory = sqlite3.Row
    conv = json.loads((root / "vietnamadminunits/data/converter_2025.json").read_text())
    version = next(root.glob("vietnamadminunits-*.dist-info")).name.split("-")[1].removesuffix(".dist")
    old = db.execute(
        "SELECT * FROM admin_units_legacy WHERE provinceCode = ? ORDER BY districtCode, wardCode",
        (OLD_PROVINCE,),
    ).fetchall()
    new = db.execute(
        "SELECT * FROM admin_units WHERE provinceCode = ? ORDER BY wardCode", (NEW_PROVINCE,)
    ).fetchall()
    new_key = [k for k, olds in conv["DICT_PROVINCE"].items() if "tinhbinhphuoc" in olds]
    assert new_key == ["tinhdongnai"], new_key
    undivided = conv["DICT_PROVINCE_WARD_NO_DIVIDED"]["tinhdongnai"]
    divided = conv["DICT_PROVINCE_WARD_DIVIDED"].get("tinhdongnai", {})
    new_code = {r["wardKey"]: NEW_PREFIX + r["wardCode"] for r in new}

    def successor(r) -> str | None:
        key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"
        found = next((k for k, olds in undivided.items() if key in olds), None)
        if found is None:  # an old commune split between new ones: the package's default new commune
            found = next((w["newWardKey"] for w in divided.get(key, []) if w["isDefaultNewWard"]), None)
        return new_code.get(found) if found else None

    units = [
        {
            "code": OLD_PROVINCE,
            "gso_code": OLD_PROVINCE,
            "name": old[0]["province"],
            "level": "province",
            "parent": None,
            "valid_from": None,
            "valid_to": ABOLISHED_ON,
            "successor": NEW_PREFIX + NEW_PROVINCE,
        },
    ]
    seen = set()
    for r in old:
        if r["districtCode"] not in seen:
            seen.add(r["districtCode"])
            units.append(
                {
                    "code": r["districtCode"],
                    "gso_code": r["districtCode"],
                    "name": r["district"],
                    "level": "district",
                    "parent": OLD_PROVINCE,
                    "valid_from": None,
                    "valid_to": ABOLISHED_ON,
                    "successor": None,
                }
            )
    for r in old:
        units.append(
            {
                "code": r["wardCode"],
                "gso_code": r["wardCode"],
                "name": r["ward"],
                "level": "commune",
                "parent": r["districtCode"],
                "valid_from": None,
                "valid_to": ABOLISHED_ON,
                "successor": successor(r),
            }
        )
    units.append(
        {
            "code": NEW_PREFIX + NEW_PROVINCE,
            "gso_code": NEW_PROVINCE,
            "name": new[0]["province"],
            "level": "province",
            "parent": None,
            "valid_from": REFORM_FROM,
            "valid_to": None,
            "successor": None,
        }
    )
    for r in new:
        units.append(
            {
                "code": NEW_PREFIX + r["wardCode"],
                "gso_code": r["wardCode"],
                "name": r["ward"],
                "level": "commune",
                "parent": NEW_PREFIX + NEW_PROVINCE,
                "valid_from": REFORM_FROM,
                "valid_to": None,
                "successor": None,
            }
        )
    return {
        "source": (
            f"PyPI package vietnamadminunits {version} (MIT licence, © 2025 Tran Ngoc Minh Hieu), files "
            "data/dataset.db (tables admin_units_legacy and admin_units) and data/converter_2025.json. "
            "Pre-reform units: Tỉnh Bình Phước (GSO 70) with its districts and communes as in force before "
            "1/7/2025 (GSO codes; the same 11 districts and 111 communes, codes and names as in the PyPI package "
            "vietnam-provinces 0.6.0). Post-reform units: Tỉnh Đồng Nai and its communes from 1/7/2025 "
            "(Nghị quyết 202/2025/QH15 merged Bình Phước into Đồng Nai; the district level ended on 30/6/2025); "
            "each old commune's successor is the new commune the package maps it to."
        ),
        "date_basis": "pre-reform units valid until 2025-06-30; post-reform units valid from 2025-07-01",
        "code_scheme": "pre-reform units: GSO code; post-reform units: '2025-' + GSO code (new communes reuse old codes)",
        "notes": [
            "The old units' start dates are not in the source (valid_from left empty).",
            "Four post-reform commune codes differ in vietnam-provinces 2025.10.1: Xã Phú Riềng 25264, "
            "Phường An Lộc 25336, Xã Nha Bích 25453, Xã Xuân Quế 26329 (this file keeps vietnamadminunits' codes "
            "25252, 25333, 25450, 26332).",
        ],
        "counts": {
            level: sum(1 for u in units if u["level"] == level)
            for level in ("province", "district", "commune")
        },
        "units": units,
    }


if __name__ == "__main__":
    data = main(Path(sys.argv[1]))
    units = data.pop("units")
    head = json.dumps(data, ensure_ascii=False, indent=1)[:-2]
    # One unit a line: readable diffs when the source is updated.
    body = ",\n".join("  " + json.dumps(u, ensure_ascii=False) for u in units)
    sys.stdout.write(f'{head},\n "units": [\n{body}\n ]\n}}\n')
