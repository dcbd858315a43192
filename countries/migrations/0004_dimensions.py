from django.db import migrations


def add_dimensions(apps, schema_editor):
    from countries.dimensions import load_dimensions

    load_dimensions(
        apps.get_model("countries", "Dimension"), apps.get_model("countries", "LevelDefinition")
    )


class Migration(migrations.Migration):
    dependencies = [("countries", "0003_risk_database")]

    operations = [migrations.RunPython(add_dimensions, migrations.RunPython.noop)]
