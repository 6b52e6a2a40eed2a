"""The English catalogue: complete, never fuzzy, placeholders intact, and actually used when "en" is active.

Vietnamese is the source language (msgids); locale/en/LC_MESSAGES/django.po is the only translation of the
interface. `make messages` compiles it without `-f`, so a fuzzy entry would silently show Vietnamese.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from core.roles import Role
from workflow.lifecycle import Status

LOCALE = Path(settings.BASE_DIR) / "locale"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
EN_MO = EN_PO.with_suffix(".mo")

# %(name)s / %(n)d, a literal %% and Django template variables {{ var }}.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%%|\{\{\s*[\w.|:\"']+\s*\}\}")


def _unquote(line: str) -> str:
    return ast.literal_eval(line.strip())


def parse_po(path: Path) -> list[dict]:
    """A small .po reader: every live (non-obsolete) entry with its flags, msgid(s) and msgstr(s)."""
    entries: list[dict] = []
    entry: dict | None = None
    field: str | None = None

    def flush() -> None:
        nonlocal entry
        if entry is not None and "msgid" in entry:
            entries.append(entry)
        entry = None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):  # obsolete entries are not compiled
            continue
        if line.startswith("#"):
            if entry is not None and "msgid" in entry:
                flush()
            entry = entry or {"flags": set(), "msgstr": {}}
            if line.startswith("#,"):
                entry["flags"].update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        m = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
        if m:
            keyword, index, value = m.group(1), m.group(2), _unquote(m.group(3))
            if keyword in ("msgctxt", "msgid") and entry is not None and "msgid" in entry:
                flush()
            entry = entry or {"flags": set(), "msgstr": {}}
            if keyword.startswith("msgstr"):
                field = f"msgstr:{index or 0}"
                entry["msgstr"][int(index or 0)] = value
            else:
                field = keyword
                entry[keyword] = value
            continue
        assert line.startswith('"'), f"unexpected line in {path}: {raw!r}"
        assert entry is not None and field is not None
        if field.startswith("msgstr:"):
            entry["msgstr"][int(field.split(":")[1])] += _unquote(line)
        else:
            entry[field] += _unquote(line)
    flush()
    return entries


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    return parse_po(EN_PO)


@pytest.fixture(scope="module")
def messages(entries) -> list[dict]:
    return [e for e in entries if e["msgid"] != ""]


def test_header_is_english_and_not_fuzzy(entries):
    header = next(e for e in entries if e["msgid"] == "")
    assert "fuzzy" not in header["flags"]
    assert "Language: en\n" in header["msgstr"][0]
    assert "charset=UTF-8" in header["msgstr"][0]


def test_no_fuzzy_entries(messages):
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert fuzzy == [], f"{len(fuzzy)} fuzzy entries (never compiled): {fuzzy[:5]}"


def test_no_untranslated_entries(messages):
    missing = [e["msgid"] for e in messages if not all(e["msgstr"].values())]
    assert missing == [], f"{len(missing)} untranslated entries: {missing[:5]}"


def test_plural_entries_have_both_forms(messages):
    for e in messages:
        if "msgid_plural" in e:
            assert sorted(e["msgstr"]) == [0, 1], e["msgid"]


def test_placeholders_survive_translation(messages):
    problems = []
    for e in messages:
        expected = set(PLACEHOLDER.findall(e["msgid"])) | set(PLACEHOLDER.findall(e.get("msgid_plural", "")))
        for index, text in e["msgstr"].items():
            if not text:
                continue
            found = set(PLACEHOLDER.findall(text))
            if found != expected:
                problems.append((e["msgid"], index, sorted(expected), sorted(found)))
            if e["msgid"].count("\n") != text.count("\n"):
                problems.append((e["msgid"], index, "line breaks", text))
            if (
                e["msgid"][:1].isspace() != text[:1].isspace()
                or e["msgid"][-1:].isspace() != text[-1:].isspace()
            ):
                problems.append((e["msgid"], index, "leading/trailing space", text))
    assert problems == []


def test_html_tags_survive_translation(messages):
    tag = re.compile(r"</?\w+[^>]*>")
    for e in messages:
        for text in e["msgstr"].values():
            if text:
                assert sorted(tag.findall(text)) == sorted(tag.findall(e["msgid"])), e["msgid"]


@pytest.fixture
def english():
    """Compile the .po if the .mo is missing or stale (as `make messages` does), then activate English."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from django.utils.translation import trans_real

    if not EN_MO.exists() or EN_MO.stat().st_mtime < EN_PO.stat().st_mtime:
        with EN_PO.open("rb") as po_file:
            catalog = read_po(po_file, locale="en")
        with EN_MO.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        trans_real._translations = {}
        trans_real._default = None
    with translation.override("en"):
        yield


def test_key_strings_render_in_english(english):
    from django.utils.translation import gettext as _

    assert _("Đăng nhập") == "Sign in"
    assert _("Đăng xuất") == "Sign out"
    assert _("Mã hồ sơ") == "Tracking code"
    assert _("Quá hạn") == "Overdue"
    assert str(Status.SETTLED.label) == "Settled"
    assert str(Status.APPROVED.label) == "Approved, in implementation"
    assert str(Status.REJECTED.label) == "Not approved"
    assert str(Role.APPRAISER.label) == "Appraiser, Department of Industry and Trade"
    assert str(Role.FINANCE_OFFICER.label) == "Officer, Department of Finance"


def test_every_status_and_role_label_is_translated(english):
    for label in [*Status.labels, *Role.labels]:
        text = str(label)
        assert not re.search(
            r"[ăâđêôơưạảãáàấầẩẫậắằẳẵặẹẻẽéèếềểễệịỉĩíìọỏõóòốồổỗộớờởỡợụủũúùứừửữựỵỷỹýỳ]", text, re.I
        ), text


def test_vietnamese_stays_the_source(english):
    with translation.override("vi"):
        assert str(Status.SETTLED.label) == "Đã quyết toán"
        assert translation.gettext("Đăng nhập") == "Đăng nhập"
