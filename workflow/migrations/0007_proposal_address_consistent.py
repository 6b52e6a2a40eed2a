"""PostgreSQL refuses a đề án whose district is not in its province or whose commune is not in its district (or,
without a district, in its province): the same rule as core/addresses.py, for writes that bypass the services."""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION workflow_proposal_address_consistent() RETURNS trigger AS $$
DECLARE
    d_level text; d_parent bigint; c_level text; c_parent bigint; c_parent_level text;
BEGIN
    IF NEW.district_id IS NOT NULL THEN
        SELECT level, parent_id INTO d_level, d_parent FROM core_administrativeunit WHERE id = NEW.district_id;
        IF d_level IS DISTINCT FROM 'district' OR d_parent IS DISTINCT FROM NEW.province_id THEN
            RAISE EXCEPTION 'proposal_address_consistent: district % is not a district of province %',
                NEW.district_id, NEW.province_id USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF NEW.commune_id IS NOT NULL THEN
        SELECT c.level, c.parent_id, p.level INTO c_level, c_parent, c_parent_level
            FROM core_administrativeunit c LEFT JOIN core_administrativeunit p ON p.id = c.parent_id
            WHERE c.id = NEW.commune_id;
        IF c_level IS DISTINCT FROM 'commune'
           OR (c_parent_level = 'district' AND c_parent IS DISTINCT FROM NEW.district_id)
           OR (c_parent_level IS DISTINCT FROM 'district'
               AND (NEW.district_id IS NOT NULL OR c_parent IS DISTINCT FROM NEW.province_id)) THEN
            RAISE EXCEPTION 'proposal_address_consistent: commune % is not in district % / province %',
                NEW.commune_id, NEW.district_id, NEW.province_id USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS workflow_proposal_address_consistent ON workflow_proposal;
CREATE TRIGGER workflow_proposal_address_consistent
    BEFORE INSERT OR UPDATE OF province_id, district_id, commune_id ON workflow_proposal
    FOR EACH ROW EXECUTE FUNCTION workflow_proposal_address_consistent();
"""
REMOVE = """
DROP TRIGGER IF EXISTS workflow_proposal_address_consistent ON workflow_proposal;
DROP FUNCTION IF EXISTS workflow_proposal_address_consistent();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0006_portal_completion_settlement_dossier")]
    operations = [migrations.RunPython(install, remove)]
