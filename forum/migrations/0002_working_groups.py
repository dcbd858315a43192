from django.db import migrations

GROUPS = [
    (
        "legal-policy",
        "Legal policy",
        "Laws, regulations and risk notes for each host country.",
    ),
    (
        "project-promotion",
        "Project promotion",
        "Project opportunities and matchmaking (docking) between partners.",
    ),
    (
        "meetings",
        "Meetings",
        "The annual forum meeting, visits, and online sessions with live chat.",
    ),
]


def create_groups(apps, schema_editor):
    WorkingGroup = apps.get_model("forum", "WorkingGroup")
    for slug, name, description in GROUPS:
        WorkingGroup.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("forum", "0001_initial")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
