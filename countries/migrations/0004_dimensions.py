from django.db import migrations


def add_dimensions(apps, schema_editor):
    from countries.dimensions import DIMENSIONS

    Dimension = apps.get_model("countries", "Dimension")
    LevelDefinition = apps.get_model("countries", "LevelDefinition")
    for position, (code, name, description, levels) in enumerate(DIMENSIONS):
        dimension, _created = Dimension.objects.get_or_create(
            code=code,
            defaults={"name": name, "description": description, "position": position},
        )
        for level, text in levels.items():
            LevelDefinition.objects.get_or_create(
                dimension=dimension, level=level, defaults={"text": text}
            )


class Migration(migrations.Migration):
    dependencies = [("countries", "0003_risk_database")]

    operations = [migrations.RunPython(add_dimensions, migrations.RunPython.noop)]
