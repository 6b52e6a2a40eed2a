"""PostgreSQL refuses UPDATE and DELETE on the audit table (architecture.md §6)."""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION workflow_transitionevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'workflow_transitionevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS workflow_transitionevent_no_change ON workflow_transitionevent;
CREATE TRIGGER workflow_transitionevent_no_change
    BEFORE UPDATE OR DELETE ON workflow_transitionevent
    FOR EACH ROW EXECUTE FUNCTION workflow_transitionevent_append_only();
"""
# TRUNCATE is not trapped here: the test suite's flush needs it. Production revokes TRUNCATE from the
# application's database role (docs/deployment.md), which only a superuser could then run.
REMOVE = """
DROP TRIGGER IF EXISTS workflow_transitionevent_no_change ON workflow_transitionevent;
DROP FUNCTION IF EXISTS workflow_transitionevent_append_only();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0002_defaults")]
    operations = [migrations.RunPython(install, remove)]
