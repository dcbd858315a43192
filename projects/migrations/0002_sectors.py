"""Seed the sectors named by the platform's brief (names in English, translated by gettext)."""

from django.db import migrations

SECTORS = [
    ("security-services", "Security services"),
    ("security-equipment", "Security equipment"),
    ("smart-cities", "Smart cities"),
    ("face-recognition", "Face recognition"),
    ("energy-equipment", "Energy equipment"),
    ("ict", "ICT"),
    ("infrastructure", "Infrastructure"),
    ("agriculture", "Agriculture"),
    ("mining", "Mining"),
    ("health", "Health"),
    ("other", "Other"),
]


def add_sectors(apps, schema_editor):
    Sector = apps.get_model("projects", "Sector")
    for position, (slug, name) in enumerate(SECTORS):
        Sector.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_listings_and_dockings")]

    operations = [migrations.RunPython(add_sectors, migrations.RunPython.noop)]
