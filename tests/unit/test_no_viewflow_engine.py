"""The application never loads viewflow.workflow or viewflow.fsm (architecture §2: their files carry a
commercial-licence header). We use viewflow's app shell only: urls, views, forms, contrib.auth.

Runs in a fresh interpreter, because the test process itself may import anything.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
FORBIDDEN = ("viewflow.workflow", "viewflow.fsm")

# Start Django as a server does, load the URLconf, resolve the pages, then report what got imported.
PROBE = """
import json, sys
import django
django.setup()
from django.urls import resolve, reverse
import config.urls  # noqa: F401
for path in ("/", reverse("login")):
    resolve(path)
{extra}
print(json.dumps(sorted(
    name for name in sys.modules if any(name == p or name.startswith(p + ".") for p in {forbidden!r})
)))
"""


def loaded_forbidden_modules(extra: str = "") -> list[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "sqlite://:memory:",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(extra=extra, forbidden=FORBIDDEN)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_application_does_not_load_the_viewflow_engine():
    assert loaded_forbidden_modules() == []


def test_the_probe_would_see_the_engine_if_something_imported_it():
    loaded = loaded_forbidden_modules(extra="import viewflow.fsm")

    assert "viewflow.fsm" in loaded
