"""The reference rows the data migrations create (role groups, caps, SLAs, required attachments, message
templates). A transactional test's flush empties them; browser tests put them back before they start."""

import importlib

from django.apps import apps

SEEDS = [
    ("core.migrations.0002_roles", "create_roles"),
    ("workflow.migrations.0002_defaults", "seed"),
    ("notifications.migrations.0003_seed_message_templates", "seed"),
    ("notifications.migrations.0004_seed_portal_templates", "seed"),
    ("notifications.migrations.0005_seed_file_settlement_template", "seed"),
    ("notifications.migrations.0006_seed_national_templates", "seed"),
]


def ensure_reference_data() -> None:
    for module, function in SEEDS:
        getattr(importlib.import_module(module), function)(apps, None)  # each seed uses get_or_create
