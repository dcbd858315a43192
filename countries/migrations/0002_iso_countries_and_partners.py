from django.db import migrations

PARTNERS = "BI KM CD DJ EG ER SZ ET KE LY MG MW MU RW SC SO SD TN UG ZM ZW CN".split()


def add_countries(apps, schema_editor):
    from django_countries import countries

    Country = apps.get_model("countries", "Country")
    Country.objects.bulk_create(
        [Country(code=code, partner=code in PARTNERS) for code, _name in countries],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("countries", "0001_initial")]

    operations = [migrations.RunPython(add_countries, migrations.RunPython.noop)]
