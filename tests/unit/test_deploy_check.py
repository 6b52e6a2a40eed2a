"""`manage.py check --deploy` passes with the production environment (docs: DEBUG off, real key, real host).

Runs in a subprocess because settings are read once per process from the environment.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def run_deploy_check(tmp_path, **overrides):
    env = {
        # Only what a process needs to start: nothing from the developer's or the test run's environment
        # (pytest-django exports config.test_settings; config.test_settings exports DEBUG=true).
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "khuyencong.example.gov.vn",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
        **overrides,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_production_settings(tmp_path):
    result = run_deploy_check(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_with_a_short_secret_key(tmp_path):
    """The check can fail: a short, guessable key is refused (security.W009)."""
    result = run_deploy_check(tmp_path, SECRET_KEY="change-me")

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_deploy_check_fails_with_debug_on(tmp_path):
    result = run_deploy_check(tmp_path, DEBUG="true")

    assert result.returncode != 0
    assert "security.W018" in result.stderr
