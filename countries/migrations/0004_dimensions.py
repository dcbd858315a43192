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
    # Each dimension is also a legal-policy topic: a risk note is filed under it by tag.
    WorkingGroup = apps.get_model("forum", "WorkingGroup")
    Tag = apps.get_model("forum", "Tag")
    legal = WorkingGroup.objects.filter(slug="legal-policy").first()
    if legal is not None:
        for code, _name, _description, _levels in DIMENSIONS:
            Tag.objects.get_or_create(group=legal, kind="topic", name=code)


class Migration(migrations.Migration):
    dependencies = [
        ("countries", "0003_risk_database"),
        ("forum", "0011_event_log_notifications_and_threads"),
    ]

    operations = [migrations.RunPython(add_dimensions, migrations.RunPython.noop)]
