from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def test_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("\n")[:8]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)


@pytest.mark.parametrize("track", ["local", "national"])
def test_readme_diagram_is_the_lifecycle_table(capsys, track):
    call_command("lifecycle_diagram", track=track)
    diagram = capsys.readouterr().out.strip()
    assert f"```mermaid\n{diagram}\n```" in (ROOT / "README.md").read_text(encoding="utf-8")
