from django.db import migrations


def create_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="ministry_officer")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_endorsement_level")]
    operations = [migrations.RunPython(create_role, migrations.RunPython.noop)]
