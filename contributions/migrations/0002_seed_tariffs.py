"""The tariff schemes, income brackets and reliefs of contributions/seeding.py."""

from django.db import migrations

from contributions.seeding import seed_tariffs


def seed(apps, schema_editor):
    seed_tariffs(
        apps.get_model("contributions", "TariffScheme"),
        apps.get_model("contributions", "IncomeBracket"),
        apps.get_model("contributions", "Relief"),
    )


class Migration(migrations.Migration):
    dependencies = [("contributions", "0001_tariffs"), ("regions", "0002_load_regions")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
